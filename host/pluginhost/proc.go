package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/wire"
)

type kindState struct {
	name    string
	timeout time.Duration
	caps    []string
}

// proc is one plugin process (one binary, pin and config) serving one or
// more kinds, with its supervisor.
type proc struct {
	h    *Host
	path string
	pin  []byte
	cfg  sdk.Config
	env  []string            // names of host variables passed on
	cred *syscall.Credential // the user and groups to run as; nil: jwtd's own

	// startMu serialises starting, configuring and restarting.
	startMu sync.Mutex

	mu       sync.RWMutex
	client   *goplugin.Client
	conn     *grpc.ClientConn
	clients  map[string]*grpc.ClientConn // each configured kind's connection; nil while down
	kinds    map[string]kindState
	pid      int
	lastErr  error
	restarts int
	closed   bool

	supervising bool
	wake        chan struct{}
	done        chan struct{}
	stopped     chan struct{}
}

func newProc(h *Host, path string, pin []byte, cfg sdk.Config, env []string, cred *syscall.Credential) *proc {
	return &proc{
		h: h, path: path, pin: pin, cfg: cfg, env: env, cred: cred,
		kinds:   map[string]kindState{},
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
}

// launch starts the binary and completes the handshake. It holds no lock
// of p's state; callers hold startMu.
func (p *proc) launch() (*goplugin.Client, *grpc.ClientConn, int, error) {
	cmd := exec.Command(p.path)
	// The host's environment holds the signing key; the plugin gets only
	// PATH, its log level and the variables its config names (go-plugin
	// adds its handshake variables).
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		wire.EnvLogLevel + "=" + newHCLog(p.h.logger).GetLevel().String(),
	}
	for _, name := range p.env {
		if v, ok := os.LookupEnv(name); ok {
			cmd.Env = append(cmd.Env, name+"="+v)
		}
	}
	if p.pin != nil {
		// Hash and execute one opened file (not go-plugin's SecureConfig,
		// which hashes the path and then executes the path again).
		f, err := openPinned(p.path, p.pin)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("start: %w", err)
		}
		// The child holds its own copy of the descriptor once started.
		defer f.Close()
		execPinned(cmd, f)
	}
	var sockets *goplugin.UnixSocketConfig
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
		// The plugin's socket is made for its own group (0660), so a jwtd
		// in that group reaches it without overriding file permissions.
		sockets = &goplugin.UnixSocketConfig{Group: strconv.FormatUint(uint64(p.cred.Gid), 10)}
	}
	logger := newHCLog(p.h.logger)
	if cmd.Path != p.path {
		// go-plugin names the plugin's stderr logger after the executed
		// file; that is the descriptor's path for a pinned plugin.
		logger.alias = [2]string{filepath.Base(cmd.Path), filepath.Base(p.path)}
	}
	tail := &stderrTail{}
	c := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.HostPlugins(),
		Cmd:              cmd,
		UnixSocketConfig: sockets,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		StartTimeout:     p.h.opts.startTimeout,
		Logger:           logger,
		Stderr:           tail,
		// Stray stdout output after the handshake is logged, not lost and
		// not left to fill a pipe.
		SyncStdout: lineWriter(func(line string) { logger.Named(p.path).Info("plugin stdout", "line", line) }),
		SyncStderr: lineWriter(func(line string) { logger.Named(p.path).Info("plugin stderr", "line", line) }),
	})
	rpc, err := c.Client()
	if err != nil {
		exited := c.Exited()
		c.Kill()
		return nil, nil, 0, startError(err, exited, tail.String())
	}
	gc, ok := rpc.(*goplugin.GRPCClient)
	if !ok {
		c.Kill()
		return nil, nil, 0, errors.New("start: plugin does not speak gRPC")
	}
	pid := 0
	if rc := c.ReattachConfig(); rc != nil {
		pid = rc.Pid
	}
	return c, gc.Conn, pid, nil
}

// startError turns go-plugin's start error (several lines of guesses)
// into one line saying what happened, with the plugin's last stderr lines.
func startError(err error, exited bool, stderr string) error {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	msg = strings.TrimSpace(msg)
	switch {
	case strings.HasSuffix(msg, ":"):
		// go-plugin read nothing at all: the plugin closed its stdout,
		// which is to say it exited (go-plugin may not have noticed yet).
		msg = "the plugin exited during start-up"
	case exited:
		msg = "the plugin exited during start-up (" + msg + ")"
	case strings.HasPrefix(msg, "Unrecognized remote plugin message"):
		msg += " (a plugin's stdout must carry only the handshake)"
	}
	if stderr != "" {
		msg += "; plugin stderr: " + stderr
	}
	return fmt.Errorf("start: %s", msg)
}

// stderrTail keeps the last few stderr lines of a starting plugin, for
// the start error.
type stderrTail struct {
	mu    sync.Mutex
	lines []string
}

func (s *stderrTail) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range strings.Split(string(p), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			s.lines = append(s.lines, l)
		}
	}
	if len(s.lines) > 5 {
		s.lines = s.lines[len(s.lines)-5:]
	}
	return len(p), nil
}

func (s *stderrTail) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, " | ")
}

// kindClient asks the process which protocol versions of kind it speaks,
// picks the highest this host speaks too, and returns the connection to use
// it on. A kind served only at versions the host does not speak is refused,
// naming kind and versions on both sides.
func kindClient(ctx context.Context, c *goplugin.Client, kind string) (*grpc.ClientConn, uint32, error) {
	rpc, err := c.Client()
	if err != nil {
		return nil, 0, err
	}
	gc, ok := rpc.(*goplugin.GRPCClient)
	if !ok {
		return nil, 0, errors.New("plugin does not speak gRPC")
	}
	described, err := wire.Describe(ctx, gc.Conn)
	if err != nil {
		return nil, 0, err
	}
	version, err := wire.NegotiateKind(kind, described)
	if err != nil {
		return nil, 0, err
	}
	return gc.Conn, version, nil
}

// configure picks kind's client and configures kind on c.
func (p *proc) configure(ctx context.Context, c *goplugin.Client, kind string) (*grpc.ClientConn, []string, error) {
	ctx, cancel := context.WithTimeout(ctx, p.h.opts.startTimeout)
	defer cancel()
	pc, version, err := kindClient(ctx, c, kind)
	if err != nil {
		return nil, nil, err
	}
	caps, err := wire.Configure(ctx, kind, pc, p.cfg)
	if errors.Is(err, errors.ErrUnsupported) {
		return nil, nil, fmt.Errorf("the binary does not serve the %s kind (%w)", kind, err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("configure %s (protocol v%d): %w", kind, version, err)
	}
	return pc, caps, nil
}

// addKind makes sure the process runs and configures kind in it.
func (p *proc) addKind(ctx context.Context, kind, name string, timeout time.Duration) ([]string, error) {
	p.startMu.Lock()
	defer p.startMu.Unlock()

	p.mu.RLock()
	closed, client, running := p.closed, p.client, p.clients != nil
	p.mu.RUnlock()
	if closed {
		return nil, errors.New("plugin host is closed")
	}
	p.mu.RLock()
	known, isKnown := p.kinds[kind]
	p.mu.RUnlock()
	if isKnown && running {
		// The same kind, binary and config again (check-config, then
		// serve): the process already runs it configured.
		return known.caps, nil
	}
	fresh := false
	if client == nil {
		if p.supervising {
			return nil, fmt.Errorf("%w: the process is down and restarting", sdk.ErrUnavailable)
		}
		c, conn, pid, err := p.launch()
		if err != nil {
			p.h.forget(p)
			return nil, err
		}
		p.mu.Lock()
		p.client, p.conn, p.pid, p.clients = c, conn, pid, map[string]*grpc.ClientConn{}
		p.mu.Unlock()
		client, fresh = c, true
	} else if !running {
		return nil, fmt.Errorf("%w: the process is down and restarting", sdk.ErrUnavailable)
	}

	pc, caps, err := p.configure(ctx, client, kind)
	if err != nil {
		if fresh {
			p.mu.Lock()
			pid := p.pid
			p.client, p.conn, p.clients, p.pid = nil, nil, nil, 0
			p.mu.Unlock()
			killClient(client, pid, killGrace)
			p.h.forget(p)
		}
		return nil, err
	}
	p.mu.Lock()
	p.clients[kind] = pc
	p.kinds[kind] = kindState{name: name, timeout: timeout, caps: caps}
	p.mu.Unlock()
	p.h.logger.Info("plugin started", "plugin", name, "kind", kind, "path", p.path, "pid", p.pidNow())
	if !p.supervising {
		p.supervising = true
		go p.supervise()
	}
	return caps, nil
}

func (p *proc) pidNow() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.pid
}

// get returns kind's connection, or an sdk.ErrUnavailable error at once
// while the process is down.
func (p *proc) get(kind, name string) (*grpc.ClientConn, error) {
	p.mu.RLock()
	c := p.clients[kind]
	lastErr := p.lastErr
	p.mu.RUnlock()
	if c == nil {
		if lastErr == nil {
			lastErr = errors.New("not running")
		}
		return nil, fmt.Errorf("plugin %s (%s) is down: %w: %v", name, p.path, sdk.ErrUnavailable, lastErr)
	}
	return c, nil
}

// poke asks the supervisor for a health check now.
func (p *proc) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// healthy reports whether the process runs and answers go-plugin's health
// service. fatal is true when the process is certainly gone (it exited, or
// its socket refuses or drops connections); a check that only ran out of
// time may be a busy plugin (hashing passwords on a loaded machine) and is
// fatal only after several in a row.
func (p *proc) healthy() (err error, fatal bool) {
	p.mu.RLock()
	c, conn := p.client, p.conn
	p.mu.RUnlock()
	if c == nil || conn == nil {
		return errors.New("not running"), true
	}
	if c.Exited() {
		return errors.New("process exited"), true
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.h.opts.healthTimeout)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: goplugin.GRPCServiceName})
	if err != nil {
		if c.Exited() {
			return errors.New("process exited"), true
		}
		return fmt.Errorf("health check: %w", err), status.Code(err) != codes.DeadlineExceeded
	}
	if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("health check: %s", resp.GetStatus()), true
	}
	return nil, false
}

// maxSlowChecks is how many health checks in a row may run out of time
// before a live process is taken for wedged and restarted.
const maxSlowChecks = 3

// supervise health-checks the process and restarts it when it fails.
func (p *proc) supervise() {
	defer close(p.stopped)
	t := time.NewTicker(p.h.opts.healthInterval)
	defer t.Stop()
	slow := 0
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
		case <-p.wake:
		}
		err, fatal := p.healthy()
		if err == nil {
			slow = 0
			continue
		}
		if !fatal {
			if slow++; slow < maxSlowChecks {
				p.h.logger.Warn("plugin slow to answer its health check", "path", p.path, "kinds", p.kindNames(), "error", err)
				continue
			}
		}
		slow = 0
		p.markDown(err)
		backoff := p.h.opts.minBackoff
		for {
			select {
			case <-p.done:
				return
			case <-time.After(backoff):
			}
			err := p.restart()
			if err == nil {
				break
			}
			p.mu.Lock()
			p.lastErr = err
			p.mu.Unlock()
			p.h.logger.Error("plugin restart failed", "path", p.path, "kinds", p.kindNames(), "error", err, "retry_in", min(backoff*2, p.h.opts.maxBackoff))
			backoff = min(backoff*2, p.h.opts.maxBackoff)
		}
	}
}

func (p *proc) kindNames() []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var names []string
	for _, k := range sortedKinds(p.kinds) {
		names = append(names, p.kinds[k].name)
	}
	return names
}

// markDown makes calls fail fast and kills what is left of the process.
func (p *proc) markDown(cause error) {
	p.mu.Lock()
	c, pid := p.client, p.pid
	p.client, p.conn, p.clients, p.pid = nil, nil, nil, 0
	p.lastErr = cause
	p.mu.Unlock()
	p.h.logger.Error("plugin down; restarting", "path", p.path, "kinds", p.kindNames(), "error", cause)
	if c != nil {
		// No grace: the process is dead or wedged, and a wedged one would
		// never answer go-plugin's shutdown request.
		killClient(c, pid, 0)
	}
}

// restart starts the process again and configures every kind it served.
func (p *proc) restart() error {
	p.startMu.Lock()
	defer p.startMu.Unlock()
	p.mu.RLock()
	closed := p.closed
	kinds := sortedKinds(p.kinds)
	p.mu.RUnlock()
	if closed {
		return errors.New("plugin host is closed")
	}
	c, conn, pid, err := p.launch()
	if err != nil {
		return err
	}
	clients := map[string]*grpc.ClientConn{}
	for _, k := range kinds {
		pc, _, err := p.configure(context.Background(), c, k)
		if err != nil {
			killClient(c, pid, killGrace)
			return err
		}
		clients[k] = pc
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		killClient(c, pid, killGrace)
		return errors.New("plugin host is closed")
	}
	p.client, p.conn, p.pid, p.clients = c, conn, pid, clients
	p.lastErr = nil
	p.restarts++
	p.mu.Unlock()
	p.h.logger.Info("plugin restarted", "path", p.path, "kinds", p.kindNames(), "pid", pid)
	return nil
}

// status pings each kind.
func (p *proc) status(ctx context.Context) []Status {
	p.mu.RLock()
	kinds := sortedKinds(p.kinds)
	states := make([]kindState, len(kinds))
	for i, k := range kinds {
		states[i] = p.kinds[k]
	}
	pid, restarts := p.pid, p.restarts
	p.mu.RUnlock()
	out := make([]Status, 0, len(kinds))
	for i, k := range kinds {
		st := Status{Name: states[i].name, Kind: k, Path: p.path, PID: pid, Restarts: restarts}
		c, err := p.get(k, states[i].name)
		if err == nil {
			cctx, cancel := context.WithTimeout(ctx, states[i].timeout)
			err = wire.Ping(cctx, k, c)
			cancel()
			if errors.Is(err, sdk.ErrUnavailable) {
				p.poke()
			}
		}
		st.Up, st.Err = err == nil, err
		out = append(out, st)
	}
	return out
}

// close stops the supervisor and kills the process.
func (p *proc) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	close(p.done)
	p.startMu.Lock()
	supervising := p.supervising
	p.startMu.Unlock()
	if supervising {
		<-p.stopped
	}
	p.mu.Lock()
	c, pid := p.client, p.pid
	p.client, p.conn, p.clients, p.pid = nil, nil, nil, 0
	p.lastErr = errors.New("plugin host closed")
	p.mu.Unlock()
	if c != nil {
		killClient(c, pid, killGrace)
	}
}

// killGrace is how long a plugin may take to exit after go-plugin asked it
// to (closing its stores cleanly) before it is killed.
const killGrace = 3 * time.Second

// killClient stops a plugin process: go-plugin's Kill asks the plugin to
// shut down and waits for it, but that request never returns from a process
// that is stopped or wedged, so after grace the process is killed by pid,
// which lets Kill finish its cleanup.
func killClient(c *goplugin.Client, pid int, grace time.Duration) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Kill()
	}()
	if grace > 0 {
		select {
		case <-done:
			return
		case <-time.After(grace):
		}
	}
	if pid > 0 {
		if pr, err := os.FindProcess(pid); err == nil {
			_ = pr.Kill()
		}
	}
	<-done
}

// forget drops a process that never came up from the host's list.
func (h *Host) forget(p *proc) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, q := range h.procs {
		if q == p {
			delete(h.procs, k)
		}
	}
	for i, q := range h.order {
		if q == p {
			h.order = append(h.order[:i], h.order[i+1:]...)
			break
		}
	}
}

var _ hclog.Logger = (*slogHCLog)(nil)
