// Package pluginhost launches jwtd's out-of-process plugins with
// hashicorp/go-plugin and supervises them.
//
// Each Spec names a plugin binary and its config table. The Host starts the
// binary (gRPC only, AutoMTLS, without the host's environment, optionally
// as another user, and, with a SHA-256 pin, executing exactly the opened
// file whose checksum was checked), hands each kind its config through the
// Configure call, and returns an sdk value whose methods call the plugin
// under a deadline. A health check watches every process; when one dies, the
// values fail fast with sdk.ErrUnavailable while a supervisor restarts it
// with exponential backoff and configures it again, after which calls
// succeed again. Kinds with the same binary, pin and config share one
// process.
//
// Underneath, each kind is a wire.Endpoint (Endpoint): a supervised
// connection on which every call of every method gets the deadline and the
// fail-fast check, and on which jwtd adds metrics and caching; the sdk
// values are the SDK's client adapters on it.
package pluginhost

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/wire"
)

// DefaultCallTimeout is the deadline of one plugin call when Spec.CallTimeout
// is zero.
const DefaultCallTimeout = 5 * time.Second

// Spec describes one configured plugin ([plugins.<name>] with use = a path).
type Spec struct {
	// Name is the config table's name, e.g. "user_store"; errors and
	// statuses name the plugin by it.
	Name string
	// Path is the plugin binary. A relative path is taken from the current
	// directory (the config loader resolves it against the config file).
	Path string
	// SHA256 is an optional hex SHA-256 of the binary. When set, a binary
	// with another checksum is refused at every start, restarts included,
	// so a binary swapped on disk never runs: the file checked is the file
	// executed (through its open descriptor, never the path again).
	SHA256 string
	// Config is the plugin's own table, handed over by Configure.
	Config sdk.Config
	// CallTimeout bounds every call to the plugin (DefaultCallTimeout when
	// zero). A call that runs out fails with sdk.ErrUnavailable.
	CallTimeout time.Duration
	// Env names environment variables of the host passed on to the plugin
	// process (e.g. a Redis password for password_env). Only these, PATH
	// and the plugin protocol's own variables reach it: the host's
	// environment may hold the signing key, so nothing is passed unless
	// named. A named variable that is unset is not passed.
	Env []string
	// User, when set, is the user (name or uid) the plugin process runs
	// as, so that it cannot read jwtd's memory, environment or key file;
	// Group (name or gid) replaces that user's primary group. jwtd must
	// run as root with CAP_SETUID and CAP_SETGID for this; otherwise the
	// plugin is refused at start. Empty: the plugin runs as jwtd's user.
	User, Group string
}

// Status is one plugin's state, for /readyz and `jwtd check-config`.
type Status struct {
	// Name is the Spec's name and Kind the plugin kind it serves.
	Name, Kind string
	// Path is the plugin binary.
	Path string
	// PID is the current process id, 0 while down.
	PID int
	// Up is true when the process runs and answered a ping just now.
	Up bool
	// Err says why the plugin is not up; nil when it is.
	Err error
	// Restarts counts restarts after the first start.
	Restarts int
}

// Host starts and supervises plugin processes. Its methods are safe for
// concurrent use. Close kills every process it started.
type Host struct {
	logger *slog.Logger
	opts   options

	mu     sync.Mutex
	procs  map[string]*proc
	order  []*proc
	closed bool
}

type options struct {
	healthInterval time.Duration
	healthTimeout  time.Duration
	minBackoff     time.Duration
	maxBackoff     time.Duration
	startTimeout   time.Duration
}

// Option changes a Host setting from its default.
type Option func(*options)

// WithHealthInterval sets how often each process is health-checked
// (default 1s). A failed call also triggers a check at once, so this bounds
// only how late a death nobody called into is noticed.
func WithHealthInterval(d time.Duration) Option {
	return func(o *options) { o.healthInterval = d }
}

// WithHealthTimeout bounds one health check (default 2s). A process that
// runs but misses three checks in a row is taken for wedged (stopped,
// deadlocked) and restarted; one slow check is forgiven, since a plugin
// hashing passwords on a loaded machine may be slow to answer.
func WithHealthTimeout(d time.Duration) Option {
	return func(o *options) { o.healthTimeout = d }
}

// WithBackoff sets the restart backoff bounds (default 100ms to 5s): the
// first restart waits min, each failed one doubles the wait up to max.
func WithBackoff(min, max time.Duration) Option {
	return func(o *options) { o.minBackoff, o.maxBackoff = min, max }
}

// WithStartTimeout bounds a plugin's start, handshake included (default
// 10s).
func WithStartTimeout(d time.Duration) Option {
	return func(o *options) { o.startTimeout = d }
}

// New returns a Host that logs to logger (plugin stderr lines included, at
// their levels). A nil logger discards.
func New(logger *slog.Logger, opts ...Option) *Host {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	o := options{
		healthInterval: time.Second,
		healthTimeout:  2 * time.Second,
		minBackoff:     100 * time.Millisecond,
		maxBackoff:     5 * time.Second,
		startTimeout:   10 * time.Second,
	}
	for _, f := range opts {
		f(&o)
	}
	return &Host{logger: logger, opts: o, procs: map[string]*proc{}}
}

// Endpoint starts (or reuses) the plugin of s and configures kind in it.
// The endpoint's connection is supervised: calls fail fast with
// sdk.ErrUnavailable while the process is down and restarting, and each
// runs under s.CallTimeout.
func (h *Host) Endpoint(ctx context.Context, kind string, s Spec) (wire.Endpoint, error) {
	b, caps, err := h.bind(ctx, kind, s)
	if err != nil {
		return wire.Endpoint{}, err
	}
	return wire.NewEndpoint(kind, b, caps), nil
}

// UserStore is Endpoint for a user store. sdk.As finds sdk.UserAdmin on it
// when the plugin's store has it.
func (h *Host) UserStore(ctx context.Context, s Spec) (sdk.UserStore, error) {
	return typed(ctx, h, wire.KindUserStore, s, wire.UserStore)
}

// BlacklistStore is Endpoint for a blacklist store.
func (h *Host) BlacklistStore(ctx context.Context, s Spec) (sdk.BlacklistStore, error) {
	return typed(ctx, h, wire.KindBlacklistStore, s, wire.BlacklistStore)
}

// AuthRule is Endpoint for an authentication rule.
func (h *Host) AuthRule(ctx context.Context, s Spec) (sdk.AuthRule, error) {
	return typed(ctx, h, wire.KindAuthRule, s, wire.AuthRule)
}

// ClaimSerializer is Endpoint for a claim serializer.
func (h *Host) ClaimSerializer(ctx context.Context, s Spec) (sdk.ClaimSerializer, error) {
	return typed(ctx, h, wire.KindClaimSerializer, s, wire.ClaimSerializer)
}

func typed[T any](ctx context.Context, h *Host, kind string, s Spec, client func(wire.Endpoint) T) (T, error) {
	e, err := h.Endpoint(ctx, kind, s)
	if err != nil {
		var zero T
		return zero, err
	}
	return client(e), nil
}

// bind starts or reuses the process for s and configures kind in it.
func (h *Host) bind(ctx context.Context, kind string, s Spec) (*binding, []string, error) {
	if s.Name == "" {
		s.Name = kind
	}
	fail := func(err error) error {
		return fmt.Errorf("plugin %s (%s): %w", s.Name, s.Path, err)
	}
	if s.Path == "" {
		return nil, nil, fmt.Errorf("plugin %s: no binary path", s.Name)
	}
	var pin []byte
	if s.SHA256 != "" {
		var err error
		pin, err = hex.DecodeString(s.SHA256)
		if err != nil || len(pin) != sha256.Size {
			return nil, nil, fail(fmt.Errorf("sha256 must be 64 hex digits, got %q", s.SHA256))
		}
	}
	path, err := filepath.Abs(s.Path)
	if err != nil {
		return nil, nil, fail(err)
	}
	if fi, err := os.Stat(path); err != nil {
		return nil, nil, fail(err)
	} else if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return nil, nil, fail(errors.New("not an executable file"))
	}
	cfgJSON, err := json.Marshal(map[string]any(s.Config))
	if err != nil {
		return nil, nil, fail(fmt.Errorf("%w: config is not JSON-compatible: %v", sdk.ErrInvalidConfig, err))
	}
	timeout := s.CallTimeout
	if timeout <= 0 {
		timeout = DefaultCallTimeout
	}
	cred, err := pluginCredential(s.User, s.Group)
	if err != nil {
		return nil, nil, fail(err)
	}
	env := append([]string(nil), s.Env...)
	sort.Strings(env)
	key := path + "\x00" + hex.EncodeToString(pin) + "\x00" + string(cfgJSON) + "\x00" + strings.Join(env, ",") + "\x00" + credKey(cred)

	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, nil, fail(errors.New("plugin host is closed"))
	}
	p, ok := h.procs[key]
	if !ok {
		p = newProc(h, path, pin, s.Config, env, cred)
		h.procs[key] = p
		h.order = append(h.order, p)
	}
	h.mu.Unlock()

	caps, err := p.addKind(ctx, kind, s.Name, timeout)
	if err != nil {
		if cred != nil {
			// The usual cause: a file the plugin's config names that only
			// jwtd's user may read or write.
			err = fmt.Errorf("%w (the plugin runs as user %q: it must be able to reach the files its config names)", err, s.User)
		}
		return nil, nil, fail(err)
	}
	return &binding{p: p, kind: kind, name: s.Name, timeout: timeout}, caps, nil
}

// credKey tells processes run as different users apart.
func credKey(c *syscall.Credential) string {
	if c == nil {
		return ""
	}
	return fmt.Sprintf("%d:%d:%v", c.Uid, c.Gid, c.Groups)
}

// Ping pings every plugin and reports each kind's state, in the order the
// plugins were bound.
func (h *Host) Ping(ctx context.Context) []Status {
	h.mu.Lock()
	procs := append([]*proc(nil), h.order...)
	h.mu.Unlock()
	var out []Status
	for _, p := range procs {
		out = append(out, p.status(ctx)...)
	}
	return out
}

// Close stops supervising and kills every plugin process, waiting for
// them to exit. Values returned earlier fail with sdk.ErrUnavailable after.
func (h *Host) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	procs := append([]*proc(nil), h.order...)
	h.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.close()
		}()
	}
	wg.Wait()
	return nil
}

// sortedKinds returns the kinds of m in a stable order.
func sortedKinds[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
