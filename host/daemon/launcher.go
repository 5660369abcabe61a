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
	"github.com/jwtd/jwtd/sdk"
)

// processLauncher launches plugin binaries through host/pluginhost.
type processLauncher struct{ h *pluginhost.Host }

func newLauncher(logger *slog.Logger) Launcher {
	return processLauncher{h: pluginhost.New(logger)}
}

func spec(p *config.Plugin) pluginhost.Spec {
	return pluginhost.Spec{Name: p.Kind, Path: p.Use, SHA256: p.SHA256, Config: p.Config, CallTimeout: p.CallTimeout, Env: p.Env, User: p.User, Group: p.Group}
}

func (l processLauncher) UserStore(ctx context.Context, p *config.Plugin) (sdk.UserStore, error) {
	v, err := l.h.UserStore(ctx, spec(p))
	return v, named(p, err)
}

func (l processLauncher) BlacklistStore(ctx context.Context, p *config.Plugin) (sdk.BlacklistStore, error) {
	v, err := l.h.BlacklistStore(ctx, spec(p))
	return v, named(p, err)
}

func (l processLauncher) AuthRule(ctx context.Context, p *config.Plugin) (sdk.AuthRule, error) {
	v, err := l.h.AuthRule(ctx, spec(p))
	return v, named(p, err)
}

func (l processLauncher) ClaimSerializer(ctx context.Context, p *config.Plugin) (sdk.ClaimSerializer, error) {
	v, err := l.h.ClaimSerializer(ctx, spec(p))
	return v, named(p, err)
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
