// Package daemon assembles jwtd from a loaded config: the plugins (built-in
// or out of process), the token core, the HTTP API and server, with
// graceful shutdown and reload on SIGHUP. host/cli drives it.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/core/jwkshttp"
	"github.com/jwtd/jwtd/host/builtin"
	"github.com/jwtd/jwtd/host/config"
	"github.com/jwtd/jwtd/host/httpapi"
	"github.com/jwtd/jwtd/host/metrics"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/wire"
)

// Stack is a running set of plugins and the core over them: what one
// config makes. Close it to stop the plugins and close the stores.
type Stack struct {
	Config    *config.Config
	Service   *core.Service
	Users     sdk.UserStore
	Blacklist sdk.BlacklistStore

	pingers   []namedPinger
	closers   []io.Closer
	feeds     []namedFeed // feeds.go
	launcher  Launcher
	closeOnce sync.Once
	closeErr  error
}

type namedPinger struct {
	name string
	p    sdk.Pinger
}

// Launcher starts out-of-process plugins (host/pluginhost). It is the one
// seam between the daemon and plugin processes.
type Launcher interface {
	// Endpoint starts (or reuses) p's plugin process and returns the
	// endpoint of p's kind in it.
	Endpoint(ctx context.Context, p *config.Plugin) (wire.Endpoint, error)
	// Ping reports every launched plugin process's health.
	Ping(ctx context.Context) []httpapi.Check
	// Close stops every launched plugin process.
	Close() error
}

// BuildOptions tune Build; the zero value is fine.
type BuildOptions struct {
	// Registry is the built-in registry (default builtin.Default()).
	Registry *builtin.Registry
	// Logger receives plugin-host logs (default slog.Default()).
	Logger *slog.Logger
	// Metrics, when set, counts every plugin call.
	Metrics *metrics.Metrics
	// Core are extra core options (a clock, in tests).
	Core []core.Option
	// OneShot builds for a single command (the CLI's): no change feeds are
	// followed and no cache is made, since nothing lives long enough to
	// profit from them.
	OneShot bool
}

// Build starts the configured plugins and the core over them. On error
// everything already started is closed again.
func Build(ctx context.Context, cfg *config.Config, bo BuildOptions) (_ *Stack, err error) {
	reg, logger, opts := bo.Registry, bo.Logger, bo.Core
	if reg == nil {
		reg = builtin.Default()
	}
	if logger == nil {
		logger = slog.Default()
	}
	st := &Stack{Config: cfg}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()
	var plugins core.Plugins
	p := cfg.Plugins
	b := builder{ctx: ctx, st: st, logger: logger, metrics: bo.Metrics, oneShot: bo.OneShot}
	if p.UserStore == nil {
		return nil, errors.New("plugins.user_store: no user store configured")
	}
	if plugins.Users, err = build(b, p.UserStore, reg.UserStore, wire.UserStore, b.userViews(p.UserStore)); err != nil {
		return nil, err
	}
	if plugins.Blacklist, err = build(b, p.BlacklistStore, reg.BlacklistStore, wire.BlacklistStore, b.blacklistView(p.BlacklistStore)); err != nil {
		return nil, err
	}
	bo.Metrics.SetFeeds(st.feedStats)
	if plugins.Rule, err = build(b, p.AuthRule, reg.AuthRule, wire.AuthRule); err != nil {
		return nil, err
	}
	if plugins.Claims, err = build(b, p.ClaimSerializer, reg.ClaimSerializer, wire.ClaimSerializer); err != nil {
		return nil, err
	}
	st.Users, st.Blacklist = plugins.Users, plugins.Blacklist
	if cfg.Tokens.JWKURL != "" {
		// JWK_URL: verifying keys come from the issuer's JWK Set over HTTP.
		var fo []jwkshttp.Option
		if cfg.Tokens.UnsafeJWKURLAllowHTTP {
			fo = append(fo, jwkshttp.UnsafeAllowHTTP())
		}
		opts = append([]core.Option{core.WithJWKSFetcher(jwkshttp.Fetcher(cfg.Tokens.JWKURL, nil, fo...))}, opts...)
	}
	if cfg.Tokens.Sessions {
		if _, ok := sdk.As[sdk.SessionStore](plugins.Blacklist); !ok {
			name := "none"
			if p.BlacklistStore != nil {
				name = fmt.Sprintf("%q", p.BlacklistStore.Use)
			}
			return nil, fmt.Errorf("tokens.sessions: the blacklist store (%s) keeps no sessions (sdk.SessionStore); use one that does (memory, sqlite, redis, postgres, mysql) or turn sessions off", name)
		}
		opts = append(opts, core.WithReuseHook(reuseHook(logger, bo.Metrics)))
	}
	if st.Service, err = core.New(cfg.Tokens, plugins, opts...); err != nil {
		return nil, err
	}
	return st, nil
}

// builder holds what building each plugin needs.
type builder struct {
	ctx     context.Context
	st      *Stack
	logger  *slog.Logger
	metrics *metrics.Metrics
	oneShot bool
}

// build makes one configured plugin: its endpoint (a built-in served in
// process, or a launched process), then metrics and any further wrappers
// (wrap, outermost last) around the endpoint's connection, then the kind's
// client on it. Built-ins and processes take the same path, so values and
// errors cross the same adapters in both modes. It remembers how to ping
// and close the plugin.
func build[T any](b builder, p *config.Plugin,
	builtinFn func(context.Context, string, sdk.Config) (T, error),
	client func(wire.Endpoint) T, wrap ...func(wire.Endpoint) wire.Endpoint,
) (T, error) {
	var zero T
	if p == nil {
		return zero, nil
	}
	st := b.st
	var e wire.Endpoint
	var err error
	if p.External {
		if st.launcher == nil {
			st.launcher = newLauncher(b.logger)
			st.closers = append(st.closers, st.launcher)
		}
		e, err = st.launcher.Endpoint(b.ctx, p)
	} else {
		var v T
		if v, err = builtinFn(b.ctx, p.Use, p.Config); err != nil {
			return zero, err
		}
		if any(v) == nil {
			// The core's default.
			return zero, nil
		}
		if c, ok := any(v).(io.Closer); ok {
			st.closers = append(st.closers, c)
		}
		e, err = wire.Local(p.Kind, v)
	}
	if err != nil {
		return zero, err
	}
	e = metrics.Instrument(b.metrics, e)
	for _, w := range wrap {
		e = w(e)
	}
	v := client(e)
	if !p.External && e.Has(wire.CapPing) {
		st.pingers = append(st.pingers, namedPinger{p.Kind, any(v).(sdk.Pinger)})
	}
	return v, nil
}

// Ready pings every plugin, for /readyz and check-config.
func (st *Stack) Ready(ctx context.Context) []httpapi.Check {
	var out []httpapi.Check
	for _, p := range st.pingers {
		out = append(out, httpapi.Check{Name: p.name, Err: p.p.Ping(ctx)})
	}
	if st.launcher != nil {
		out = append(out, st.launcher.Ping(ctx)...)
	}
	return append(out, st.feedChecks()...)
}

// Close closes the stores and stops plugin processes, in reverse order of
// start. It is safe to call more than once.
func (st *Stack) Close() error {
	st.closeOnce.Do(func() {
		var errs []error
		for i := len(st.closers) - 1; i >= 0; i-- {
			if err := st.closers[i].Close(); err != nil {
				errs = append(errs, err)
			}
		}
		st.closeErr = errors.Join(errs...)
	})
	return st.closeErr
}

// reuseHook logs and counts a detected refresh-token reuse: the session
// and user, never the token.
func reuseHook(logger *slog.Logger, m *metrics.Metrics) func(context.Context, core.Reuse) {
	return func(ctx context.Context, r core.Reuse) {
		logger.WarnContext(ctx, "refresh token reuse detected: session revoked",
			"session", r.SessionID, "user_id", r.UserID, "revoked_now", r.Revoked)
		if m != nil {
			m.SessionReuse(r.Revoked)
		}
	}
}
