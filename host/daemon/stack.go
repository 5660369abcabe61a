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
	"github.com/jwtd/jwtd/host/usercache"
	"github.com/jwtd/jwtd/sdk"
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
	UserStore(ctx context.Context, p *config.Plugin) (sdk.UserStore, error)
	BlacklistStore(ctx context.Context, p *config.Plugin) (sdk.BlacklistStore, error)
	AuthRule(ctx context.Context, p *config.Plugin) (sdk.AuthRule, error)
	ClaimSerializer(ctx context.Context, p *config.Plugin) (sdk.ClaimSerializer, error)
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
	if plugins.Users, err = plugin(ctx, st, logger, p.UserStore, reg.UserStore, Launcher.UserStore); err != nil {
		return nil, err
	}
	if plugins.Users == nil {
		return nil, errors.New("plugins.user_store: no user store configured")
	}
	if plugins.Blacklist, err = plugin(ctx, st, logger, p.BlacklistStore, reg.BlacklistStore, Launcher.BlacklistStore); err != nil {
		return nil, err
	}
	if plugins.Rule, err = plugin(ctx, st, logger, p.AuthRule, reg.AuthRule, Launcher.AuthRule); err != nil {
		return nil, err
	}
	if plugins.Claims, err = plugin(ctx, st, logger, p.ClaimSerializer, reg.ClaimSerializer, Launcher.ClaimSerializer); err != nil {
		return nil, err
	}
	st.Users, st.Blacklist = plugins.Users, plugins.Blacklist
	if m := bo.Metrics; m != nil {
		plugins.Users = metrics.InstrumentUserStore(m, plugins.Users)
		if plugins.Blacklist != nil {
			plugins.Blacklist = metrics.InstrumentBlacklistStore(m, plugins.Blacklist)
		}
		if plugins.Rule != nil {
			plugins.Rule = metrics.InstrumentAuthRule(m, plugins.Rule)
		}
		if plugins.Claims != nil {
			plugins.Claims = metrics.InstrumentClaimSerializer(m, plugins.Claims)
		}
	}
	// The lookup cache sits outside the metrics wrapper, so that plugin
	// call counts show the calls the cache saved.
	if ttl := p.UserStore.CacheTTL; ttl > 0 {
		if plugins.Users, err = usercache.New(plugins.Users, usercache.Options{TTL: ttl, Size: p.UserStore.CacheSize}); err != nil {
			return nil, fmt.Errorf("plugins.user_store.cache_ttl: %w", err)
		}
		// st.Users is then the cached store too, so that user admin
		// commands run through the stack drop the changed user's entries.
		st.Users = plugins.Users
	}
	if cfg.Tokens.JWKURL != "" {
		// JWK_URL: verifying keys come from the issuer's JWK Set over HTTP.
		var fo []jwkshttp.Option
		if cfg.Tokens.UnsafeJWKURLAllowHTTP {
			fo = append(fo, jwkshttp.UnsafeAllowHTTP())
		}
		opts = append([]core.Option{core.WithJWKSFetcher(jwkshttp.Fetcher(cfg.Tokens.JWKURL, nil, fo...))}, opts...)
	}
	if st.Service, err = core.New(cfg.Tokens, plugins, opts...); err != nil {
		return nil, err
	}
	return st, nil
}

// plugin builds one configured plugin, in process or through the launcher,
// and remembers how to ping and close it.
func plugin[T any](ctx context.Context, st *Stack, logger *slog.Logger, p *config.Plugin,
	builtinFn func(context.Context, string, sdk.Config) (T, error),
	launch func(Launcher, context.Context, *config.Plugin) (T, error),
) (T, error) {
	var zero T
	if p == nil {
		return zero, nil
	}
	var v T
	var err error
	if p.External {
		if st.launcher == nil {
			st.launcher = newLauncher(logger)
			st.closers = append(st.closers, st.launcher)
		}
		v, err = launch(st.launcher, ctx, p)
	} else {
		v, err = builtinFn(ctx, p.Use, p.Config)
	}
	if err != nil {
		return zero, err
	}
	if pg, ok := any(v).(sdk.Pinger); ok && !p.External {
		st.pingers = append(st.pingers, namedPinger{p.Kind, pg})
	}
	if c, ok := any(v).(io.Closer); ok && !p.External {
		st.closers = append(st.closers, c)
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
	return out
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
