package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jwtd/jwtd/host/config"
	"github.com/jwtd/jwtd/host/httpapi"
	"github.com/jwtd/jwtd/host/pluginhost"
	"github.com/jwtd/jwtd/sdk/wire"
)

// processLauncher launches plugin binaries through host/pluginhost.
type processLauncher struct{ h *pluginhost.Host }

func newLauncher(logger *slog.Logger) Launcher {
	return processLauncher{h: pluginhost.New(logger)}
}

func spec(p *config.Plugin) pluginhost.Spec {
	return pluginhost.Spec{Name: p.Kind, Path: p.Use, SHA256: p.SHA256, Config: p.Config, CallTimeout: p.CallTimeout, Env: p.Env, User: p.User, Group: p.Group}
}

func (l processLauncher) Endpoint(ctx context.Context, p *config.Plugin) (wire.Endpoint, error) {
	e, err := l.h.Endpoint(ctx, p.Kind, spec(p))
	return e, named(p, err)
}

// named names the plugin in a start error. pluginhost's errors already
// say "plugin <kind> (<path>): …"; that becomes "plugins.<kind> (<path>): …",
// the config key, rather than naming the plugin twice.
func named(p *config.Plugin, err error) error {
	if err == nil {
		return nil
	}
	prefix := fmt.Sprintf("plugin %s (%s): ", p.Kind, p.Use)
	msg := err.Error()
	if strings.HasPrefix(msg, prefix) {
		msg = strings.TrimPrefix(msg, prefix)
	}
	return &startError{msg: fmt.Sprintf("plugins.%s (%s): %s", p.Kind, p.Use, msg), err: err}
}

// startError is a plugin start error reworded, still matching what it wraps.
type startError struct {
	msg string
	err error
}

func (e *startError) Error() string { return e.msg }
func (e *startError) Unwrap() error { return e.err }

func (l processLauncher) Ping(ctx context.Context) []httpapi.Check {
	var out []httpapi.Check
	for _, s := range l.h.Ping(ctx) {
		err := s.Err
		if !s.Up && err == nil {
			err = errors.New("plugin process is down")
		}
		out = append(out, httpapi.Check{Name: s.Name, Err: err})
	}
	return out
}

func (l processLauncher) Close() error { return l.h.Close() }
