package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jwtd/jwtd/host/builtin"
	"github.com/jwtd/jwtd/host/config"
	"github.com/jwtd/jwtd/host/httpapi"
	"github.com/jwtd/jwtd/host/metrics"
	"github.com/jwtd/jwtd/sdk/memory"
)

// ServeOptions tune Serve.
type ServeOptions struct {
	// ConfigPath is the config file to load (and reload on SIGHUP).
	ConfigPath string
	// Listen overrides [server].listen when set.
	Listen string
	// LogOutput receives the logs (default os.Stderr). An *os.File is
	// written in batches, every 100 ms and at return (see logBuffer).
	LogOutput io.Writer
	// Registry is the built-in registry (default builtin.Default()).
	Registry *builtin.Registry
	// Middleware wraps the API handler inside the request log and the
	// metrics (tests); optional.
	Middleware func(http.Handler) http.Handler
	// Ready, when set, receives the bound address once jwtd accepts
	// connections (tests listening on port 0).
	Ready chan<- net.Addr

	metrics *metrics.Metrics
	// failures counts failed logins when the blacklist store cannot: one
	// for the process, so a reload does not forget them.
	failures *memory.LoginFailureStore
}

// generation is one config's worth of running jwtd: its plugins, core and
// API handler. SIGHUP builds a new one and swaps it in.
type generation struct {
	stack   *Stack
	handler http.Handler // the API (it reports to the metrics)
	ops     http.Handler // the operational endpoints, for metrics_listen
}

// Serve runs jwtd until ctx is cancelled or SIGTERM/SIGINT arrives, then
// shuts down gracefully: the listener closes, in-flight requests finish
// (within [server].shutdown_timeout), then stores close and plugins stop.
// SIGHUP re-reads the config and swaps in new plugins and settings without
// dropping connections; a config that fails to load is logged and the
// running one kept. [server] listen and timeouts need a restart.
func Serve(ctx context.Context, opts ServeOptions) error {
	if opts.LogOutput == nil {
		opts.LogOutput = os.Stderr
	}
	if f, ok := opts.LogOutput.(*os.File); ok {
		// A file, pipe or terminal costs a system call per write: the
		// lines go out in batches (logbuf.go). An in-memory writer is
		// written to directly.
		lb := newLogBuffer(f, logFlushInterval)
		defer lb.Close()
		opts.LogOutput = lb
	}
	boot := NewLogger(opts.LogOutput, config.DefaultServer())
	cfg, err := config.Load(opts.ConfigPath, config.Options{Logger: boot})
	if err != nil {
		return err
	}
	logger := NewLogger(opts.LogOutput, cfg.Server)
	if opts.Listen != "" {
		cfg.Server.Listen = opts.Listen
	}
	// One set of metrics for the process, kept across reloads.
	opts.metrics = metrics.New()
	opts.failures = memory.NewLoginFailureStore(0, nil)
	gen, err := opts.build(ctx, cfg, logger)
	if err != nil {
		return err
	}
	var current atomic.Pointer[generation]
	current.Store(gen)

	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		gen.stack.Close()
		return fmt.Errorf("server.listen: %w", err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			current.Load().handler.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: cfg.Server.ReadHeaderTimeout,
		ReadTimeout:       cfg.Server.ReadTimeout,
		WriteTimeout:      cfg.Server.WriteTimeout,
		IdleTimeout:       cfg.Server.IdleTimeout,
		// Above the API's own cap, which answers 431 with a JSON body.
		MaxHeaderBytes: httpapi.ServerMaxHeaderBytes(cfg.Server.MaxHeaderBytes),
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if cfg.Server.MetricsListen != "" {
		msrv, err := serveOps(cfg.Server, func() http.Handler { return current.Load().ops }, served)
		if err != nil {
			srv.Close()
			gen.stack.Close()
			return err
		}
		defer msrv.Close()
		logger.Info("metrics, readiness detail and health listening", "addr", cfg.Server.MetricsListen)
	}
	logger.Info("jwtd listening", "addr", ln.Addr().String(), "config", cfg.Path, "tokens", config.Redacted(cfg.Tokens))
	if opts.Ready != nil {
		opts.Ready <- ln.Addr()
	}

	// retired are generations replaced by SIGHUP: closed a while after the
	// swap, and at the latest at shutdown, so no plugin process outlives jwtd.
	var retired []*generation
	defer func() {
		for _, g := range retired {
			g.stack.Close()
		}
	}()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer signal.Stop(sigs)
	for {
		select {
		case err := <-served:
			current.Load().stack.Close()
			return fmt.Errorf("server: %w", err)
		case <-ctx.Done():
			return shutdown(srv, &current, cfg.Server.ShutdownTimeout, logger, "context done")
		case s := <-sigs:
			if s != syscall.SIGHUP {
				return shutdown(srv, &current, cfg.Server.ShutdownTimeout, logger, s.String())
			}
			if old := opts.reload(ctx, &current, cfg, logger); old != nil {
				retired = append(retired, old)
			}
		}
	}
}

func (opts ServeOptions) build(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*generation, error) {
	st, err := Build(ctx, cfg, BuildOptions{Registry: opts.Registry, Logger: logger, Metrics: opts.metrics})
	if err != nil {
		return nil, err
	}
	login, err := loginGuard(cfg, st.Blacklist, opts.failures, opts.metrics, logger)
	if err != nil {
		st.Close()
		return nil, err
	}
	api := httpapi.New(st.Service, httpapi.Options{
		Prefix:         cfg.Server.Prefix,
		MaxBodyBytes:   cfg.Server.MaxBodyBytes,
		MaxHeaderBytes: cfg.Server.MaxHeaderBytes,
		MaxJSONDepth:   cfg.Server.MaxJSONDepth,
		MaxFieldChars:  cfg.Server.MaxFieldChars,
		Logger:         logger,
		Ready:          st.Ready,
		Metrics:        opts.metrics.Handler(),
		Observer:       opts.metrics,
		PublicOps:      cfg.Server.PublicOps,
		Login:          login,
		LoginTimeout:   cfg.Server.WriteTimeout,
		Middleware:     opts.Middleware,
		ForwardAuth:    cfg.ForwardAuth,
		Cookies:        cfg.Cookies,
		ClientAddr:     sessionClientAddr(cfg),
	})
	// The API observes every request it answers (431 header cap and
	// recovered panics included) in the wrapper that writes its log line.
	return &generation{stack: st, handler: api, ops: api.OpsHandler()}, nil
}

// reload builds a generation from the config file as it is now and swaps
// it in; the old one closes once requests it may still be serving are done
// (after the shutdown timeout).
func (opts ServeOptions) reload(ctx context.Context, current *atomic.Pointer[generation], running *config.Config, logger *slog.Logger) *generation {
	logger.Info("SIGHUP: reloading config", "config", running.Path)
	cfg, err := config.Load(running.Path, config.Options{Logger: logger})
	if err != nil {
		logger.Error("reload failed; keeping the running config", "err", err)
		return nil
	}
	if cfg.Server.Listen != running.Server.Listen && opts.Listen == "" {
		logger.Warn("server.listen changed; restart jwtd to listen on the new address", "listen", running.Server.Listen)
	}
	gen, err := opts.build(ctx, cfg, logger)
	if err != nil {
		logger.Error("reload failed; keeping the running config", "err", err)
		return nil
	}
	old := current.Swap(gen)
	time.AfterFunc(running.Server.ShutdownTimeout, func() {
		if err := old.stack.Close(); err != nil {
			logger.Warn("closing the previous plugins", "err", err)
		}
	})
	logger.Info("config reloaded", "tokens", config.Redacted(cfg.Tokens))
	return old
}

func shutdown(srv *http.Server, current *atomic.Pointer[generation], timeout time.Duration, logger *slog.Logger, why string) error {
	logger.Info("shutting down", "reason", why)
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		logger.Warn("requests still running at the shutdown timeout; closing them")
		srv.Close()
	}
	if cerr := current.Load().stack.Close(); cerr != nil {
		logger.Warn("closing plugins", "err", cerr)
		if err == nil {
			err = cerr
		}
	}
	if err == nil {
		logger.Info("stopped")
	}
	return err
}

// serveOps serves the operational endpoints (the current generation's:
// /metrics, /readyz with detail, /healthz) on [server].metrics_listen, so
// that they need not be public where the API is; a failure of that
// listener ends Serve like one of the API's.
func serveOps(cfg config.Server, ops func() http.Handler, served chan<- error) (*http.Server, error) {
	ln, err := net.Listen("tcp", cfg.MetricsListen)
	if err != nil {
		return nil, fmt.Errorf("server.metrics_listen: %w", err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ops().ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
	}
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			served <- fmt.Errorf("metrics: %w", err)
		}
	}()
	return srv, nil
}
