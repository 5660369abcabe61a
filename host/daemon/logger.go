package daemon

import (
	"io"
	"log/slog"

	"github.com/jwtd/jwtd/host/config"
)

// NewLogger makes the process logger the [server] section asks for: text
// or JSON lines at the configured level.
func NewLogger(w io.Writer, s config.Server) *slog.Logger {
	var level slog.Level
	switch s.LogLevel {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if s.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
