package config

import (
	"strings"
	"time"

	"github.com/jwtd/jwtd/internal/httpx"
)

// Server is the [server] section: where and how the HTTP API listens, the
// limits that protect it, and logging.
type Server struct {
	// Listen is the TCP address (default "127.0.0.1:8000").
	Listen string
	// MetricsListen, when set, is a TCP address of its own (for example a
	// private interface) serving GET /metrics, /readyz with each plugin's
	// state, and /healthz. Empty (the default): no metrics listener.
	MetricsListen string
	// PublicOps also serves /metrics and /readyz's per-plugin detail on the
	// API listener (default false: there, /readyz answers its status alone
	// and /metrics is 404, since both tell an attacker which stores are
	// down and how loaded the service is). Prefer MetricsListen.
	PublicOps bool
	// Prefix is the token endpoints' path prefix (default "/api/token").
	Prefix string
	// MaxBodyBytes caps a request body (default 1 MiB); larger bodies get 413.
	MaxBodyBytes int64
	// MaxHeaderBytes caps request headers (default 64 KiB).
	MaxHeaderBytes int
	// MaxJSONDepth caps JSON nesting in a request body (default 32): the
	// API's bodies are flat objects, so deep nesting is only ever an attack.
	MaxJSONDepth int
	// MaxFieldChars caps a login field such as the password (default 4096
	// characters), so a password hasher is never fed megabytes.
	MaxFieldChars int
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout are the
	// http.Server timeouts (defaults 5s, 15s, 30s, 120s).
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// ShutdownTimeout bounds the graceful shutdown on SIGTERM (default 20s).
	ShutdownTimeout time.Duration
	// LogFormat is "text" (default) or "json"; LogLevel is debug, info
	// (default), warn or error.
	LogFormat string
	LogLevel  string
	// Throttle is [server.throttle].
	Throttle Throttle
	// BruteForce is [server.brute_force].
	BruteForce BruteForce
}

type rawServer struct {
	Throttle          rawThrottle   `toml:"throttle"`
	BruteForce        rawBruteForce `toml:"brute_force"`
	PublicOps         *bool         `toml:"public_ops"`
	Listen            *string       `toml:"listen"`
	MetricsListen     *string       `toml:"metrics_listen"`
	Prefix            *string       `toml:"prefix"`
	MaxBodyBytes      *int64        `toml:"max_body_bytes"`
	MaxHeaderBytes    *int64        `toml:"max_header_bytes"`
	MaxJSONDepth      *int64        `toml:"max_json_depth"`
	MaxFieldChars     *int64        `toml:"max_field_chars"`
	ReadHeaderTimeout *string       `toml:"read_header_timeout"`
	ReadTimeout       *string       `toml:"read_timeout"`
	WriteTimeout      *string       `toml:"write_timeout"`
	IdleTimeout       *string       `toml:"idle_timeout"`
	ShutdownTimeout   *string       `toml:"shutdown_timeout"`
	LogFormat         *string       `toml:"log_format"`
	LogLevel          *string       `toml:"log_level"`
}

// DefaultServer returns the [server] defaults.
func DefaultServer() Server {
	return Server{
		Listen:            "127.0.0.1:8000",
		Prefix:            httpx.DefaultTokenPrefix,
		MaxBodyBytes:      1 << 20,
		MaxHeaderBytes:    64 << 10,
		MaxJSONDepth:      32,
		MaxFieldChars:     4096,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ShutdownTimeout:   20 * time.Second,
		LogFormat:         "text",
		LogLevel:          "info",
		Throttle:          DefaultThrottle(),
		BruteForce:        DefaultBruteForce(),
	}
}

func (r rawServer) build() (Server, error) {
	s := DefaultServer()
	var err error
	if s.Throttle, err = r.Throttle.build(); err != nil {
		return s, err
	}
	if s.BruteForce, err = r.BruteForce.build(); err != nil {
		return s, err
	}
	if r.PublicOps != nil {
		s.PublicOps = *r.PublicOps
	}
	if r.Listen != nil {
		if *r.Listen == "" {
			return s, invalid("server.listen", "must not be empty")
		}
		s.Listen = *r.Listen
	}
	if r.MetricsListen != nil {
		s.MetricsListen = *r.MetricsListen
	}
	if r.Prefix != nil {
		p := httpx.TokenPrefix(*r.Prefix)
		if *r.Prefix == "" || p == "/" {
			return s, invalid("server.prefix", "must not be empty")
		}
		s.Prefix = p
	}
	ints := []struct {
		key string
		v   *int64
		min int64
		set func(int64)
	}{
		{"server.max_body_bytes", r.MaxBodyBytes, 1024, func(v int64) { s.MaxBodyBytes = v }},
		{"server.max_header_bytes", r.MaxHeaderBytes, 4096, func(v int64) { s.MaxHeaderBytes = int(v) }},
		{"server.max_json_depth", r.MaxJSONDepth, 2, func(v int64) { s.MaxJSONDepth = int(v) }},
		{"server.max_field_chars", r.MaxFieldChars, 64, func(v int64) { s.MaxFieldChars = int(v) }},
	}
	for _, f := range ints {
		if f.v == nil {
			continue
		}
		if *f.v < f.min || *f.v > 1<<30 {
			return s, invalid(f.key, "must be between %d and %d", f.min, 1<<30)
		}
		f.set(*f.v)
	}
	if err := setDurations(
		durationField{"server.read_header_timeout", r.ReadHeaderTimeout, &s.ReadHeaderTimeout},
		durationField{"server.read_timeout", r.ReadTimeout, &s.ReadTimeout},
		durationField{"server.write_timeout", r.WriteTimeout, &s.WriteTimeout},
		durationField{"server.idle_timeout", r.IdleTimeout, &s.IdleTimeout},
		durationField{"server.shutdown_timeout", r.ShutdownTimeout, &s.ShutdownTimeout},
	); err != nil {
		return s, err
	}
	if r.LogFormat != nil {
		switch *r.LogFormat {
		case "text", "json":
			s.LogFormat = *r.LogFormat
		default:
			return s, invalid("server.log_format", "%q is not text or json", *r.LogFormat)
		}
	}
	if r.LogLevel != nil {
		switch strings.ToLower(*r.LogLevel) {
		case "debug", "info", "warn", "error":
			s.LogLevel = strings.ToLower(*r.LogLevel)
		default:
			return s, invalid("server.log_level", "%q is not debug, info, warn or error", *r.LogLevel)
		}
	}
	return s, nil
}

func positiveDuration(key, v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, invalid(key, "%q is not a duration such as \"5m\" or \"24h\"", v)
	}
	if d <= 0 {
		return 0, invalid(key, "must be positive")
	}
	return d, nil
}

// durationField is an optional duration setting: its key for errors, its
// raw value (nil when the file leaves it out) and where a set value goes.
type durationField struct {
	key string
	v   *string
	dst *time.Duration
}

// setDurations stores each set field's value, which must be a positive
// duration, and stops at the first that is not.
func setDurations(fields ...durationField) error {
	for _, f := range fields {
		if f.v == nil {
			continue
		}
		v, err := positiveDuration(f.key, *f.v)
		if err != nil {
			return err
		}
		*f.dst = v
	}
	return nil
}
