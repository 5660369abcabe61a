package pluginhost

import (
	"context"
	"io"
	"log"
	"log/slog"

	"github.com/hashicorp/go-hclog"
)

// slogHCLog adapts a *slog.Logger to the hclog.Logger go-plugin logs
// through, so that a plugin's stderr lines (which go-plugin parses into
// level, message and fields) land in jwtd's log with their levels.
type slogHCLog struct {
	l       *slog.Logger
	name    string
	implied []any
	level   hclog.Level
	// alias renames the logger go-plugin names after the executed file
	// (alias[0], "3" for a pinned plugin run from /proc/self/fd/3) to the
	// plugin's own name (alias[1]).
	alias [2]string
}

func newHCLog(l *slog.Logger) *slogHCLog {
	// The level is the lowest one the slog handler wants; go-plugin reads
	// it to skip parsing lines that would be dropped anyway.
	lvl := hclog.Error
	switch {
	case l.Enabled(context.Background(), slog.LevelDebug):
		lvl = hclog.Debug
	case l.Enabled(context.Background(), slog.LevelInfo):
		lvl = hclog.Info
	case l.Enabled(context.Background(), slog.LevelWarn):
		lvl = hclog.Warn
	}
	return &slogHCLog{l: l, level: lvl}
}

func (s *slogHCLog) Log(level hclog.Level, msg string, args ...any) {
	if level == hclog.Off || level < s.level {
		return
	}
	var sl slog.Level
	switch level {
	case hclog.Trace, hclog.Debug:
		sl = slog.LevelDebug
	case hclog.NoLevel, hclog.Info:
		sl = slog.LevelInfo
	case hclog.Warn:
		sl = slog.LevelWarn
	default:
		sl = slog.LevelError
	}
	all := make([]any, 0, len(s.implied)+len(args)+2)
	if s.name != "" {
		all = append(all, "plugin", s.name)
	}
	all = append(all, s.implied...)
	all = append(all, args...)
	s.l.Log(context.Background(), sl, msg, all...)
}

func (s *slogHCLog) Trace(msg string, args ...any) { s.Log(hclog.Trace, msg, args...) }
func (s *slogHCLog) Debug(msg string, args ...any) { s.Log(hclog.Debug, msg, args...) }
func (s *slogHCLog) Info(msg string, args ...any)  { s.Log(hclog.Info, msg, args...) }
func (s *slogHCLog) Warn(msg string, args ...any)  { s.Log(hclog.Warn, msg, args...) }
func (s *slogHCLog) Error(msg string, args ...any) { s.Log(hclog.Error, msg, args...) }
func (s *slogHCLog) IsTrace() bool                 { return s.level <= hclog.Trace }
func (s *slogHCLog) IsDebug() bool                 { return s.level <= hclog.Debug }
func (s *slogHCLog) IsInfo() bool                  { return s.level <= hclog.Info }
func (s *slogHCLog) IsWarn() bool                  { return s.level <= hclog.Warn }
func (s *slogHCLog) IsError() bool                 { return s.level <= hclog.Error }
func (s *slogHCLog) ImpliedArgs() []any            { return s.implied }
func (s *slogHCLog) Name() string                  { return s.name }
func (s *slogHCLog) SetLevel(l hclog.Level)        { s.level = l }
func (s *slogHCLog) GetLevel() hclog.Level         { return s.level }

func (s *slogHCLog) With(args ...any) hclog.Logger {
	c := *s
	c.implied = append(append([]any(nil), s.implied...), args...)
	return &c
}

func (s *slogHCLog) Named(name string) hclog.Logger {
	c := *s
	if name != "" && name == s.alias[0] {
		name = s.alias[1]
	}
	if c.name != "" {
		c.name += "." + name
	} else {
		c.name = name
	}
	return &c
}

func (s *slogHCLog) ResetNamed(name string) hclog.Logger {
	c := *s
	c.name = name
	return &c
}

func (s *slogHCLog) StandardLogger(opts *hclog.StandardLoggerOptions) *log.Logger {
	return log.New(s.StandardWriter(opts), "", 0)
}

func (s *slogHCLog) StandardWriter(*hclog.StandardLoggerOptions) io.Writer {
	return lineWriter(func(line string) { s.Info(line) })
}

// lineWriter hands each write, as one line, to a function.
type lineWriter func(string)

func (w lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	if len(p) > 0 {
		w(string(p))
	}
	return n, nil
}
