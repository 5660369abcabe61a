package pluginhost_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/jwtd/jwtd/host/pluginhost"
	"github.com/jwtd/jwtd/plugins/defaults"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
	"github.com/jwtd/jwtd/sdk/plugin"
	commonv1 "github.com/jwtd/jwtd/sdk/proto/jwtd/common/v1"
	"github.com/jwtd/jwtd/sdk/wire"
)

// futurePlugin serves only the PluginInfo service, describing auth_rule at
// protocol version 2 (a v2 service this SDK does not have).
type futurePlugin struct {
	goplugin.NetRPCUnsupportedPlugin
}

func (futurePlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	commonv1.RegisterPluginInfoServer(s, futureInfo{})
	return nil
}

func (futurePlugin) GRPCClient(context.Context, *goplugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, fmt.Errorf("plugin side only")
}

type futureInfo struct {
	commonv1.UnimplementedPluginInfoServer
}

func (futureInfo) Describe(context.Context, *commonv1.DescribeRequest) (*commonv1.DescribeResponse, error) {
	return &commonv1.DescribeResponse{Kinds: []*commonv1.KindVersions{{Kind: wire.KindAuthRule, Versions: []uint32{2}}}}, nil
}

// The test binary doubles as every plugin these tests launch (go-plugin's
// own pattern): TestMain links it under several names in a temporary
// directory, and when started by a Host (the magic cookie is set) it serves
// the plugin its name says. It also doubles as a small jwtd-like host for
// the test that SIGKILLs the host.

// envRole makes the test binary act as a helper host process.
const envRole = "JWTD_PLUGINHOST_TEST_ROLE"

// pluginDir holds the links; set by TestMain.
var pluginDir string

func pluginPath(name string) string { return filepath.Join(pluginDir, name) }

func TestMain(m *testing.M) {
	if plugin.Launched() {
		name := filepath.Base(os.Args[0])
		if len(os.Args) > 1 {
			name = os.Args[1] // a wrapper script names the plugin to serve
		}
		servePlugin(name)
		return
	}
	switch os.Getenv(envRole) {
	case "host":
		runHelperHost()
		return
	case "switch-user":
		runSwitchUserHost()
		return
	}
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "pluginhost-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, name := range []string{"memory", "garbage", "exits", "hang", "chatty", "future", "boundary", "whoami"} {
		if err := os.Symlink(self, filepath.Join(dir, name)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	pluginDir = dir
	return m.Run()
}

// memoryUserStore is the sdk.Factory of an empty in-memory user store.
func memoryUserStore(_ context.Context, cfg sdk.Config) (sdk.UserStore, error) {
	var none struct{}
	if err := cfg.Decode(&none); err != nil {
		return nil, err
	}
	return memory.NewUserStore(), nil
}

// memoryBlacklistStore is the sdk.Factory of an empty in-memory blacklist.
func memoryBlacklistStore(_ context.Context, cfg sdk.Config) (sdk.BlacklistStore, error) {
	var none struct{}
	if err := cfg.Decode(&none); err != nil {
		return nil, err
	}
	return memory.NewBlacklistStore(), nil
}

// hangingRule never answers Allow (until the process dies), to test the
// call deadline.
type hangingRule struct{}

func (hangingRule) Allow(ctx context.Context, _ sdk.User) (bool, error) {
	select {}
}

func servePlugin(name string) {
	switch name {
	case "memory":
		plugin.Serve(plugin.Set{
			UserStore:       memoryUserStore,
			BlacklistStore:  memoryBlacklistStore,
			AuthRule:        defaults.NewAuthRule,
			ClaimSerializer: defaults.NewClaimSerializer,
		})
	case "chatty":
		// Logs at several levels and reports its environment.
		plugin.Serve(plugin.Set{
			ClaimSerializer: func(context.Context, sdk.Config) (sdk.ClaimSerializer, error) {
				slog.Debug("chatty debug line")
				slog.Warn("chatty configured", "answer", 42)
				log.Print("chatty via the log package")
				fmt.Println("chatty stray stdout")
				return envSerializer{}, nil
			},
		})
	case "whoami":
		// Reports who it runs as and what it can read of its host.
		plugin.Serve(plugin.Set{
			ClaimSerializer: func(context.Context, sdk.Config) (sdk.ClaimSerializer, error) { return whoami{}, nil },
		})
	case "garbage":
		// Breaks the handshake: stdout belongs to go-plugin.
		fmt.Println("hello from a plugin that prints on stdout")
		time.Sleep(time.Minute)
	case "future":
		// A plugin built against a later SDK: it serves auth_rule only at
		// protocol version 2, which this host does not speak.
		goplugin.Serve(&goplugin.ServeConfig{
			HandshakeConfig: wire.Handshake,
			VersionedPlugins: map[int]goplugin.PluginSet{wire.ProtocolVersion: {
				wire.KindAuthRule: futurePlugin{},
			}},
			GRPCServer: goplugin.DefaultGRPCServer,
		})
		os.Exit(0)
	case "boundary":
		// What crosses the boundary: a store answering with Go-typed
		// attributes, and a rule and serializer that report what they got.
		plugin.Serve(plugin.Set{
			UserStore:       func(context.Context, sdk.Config) (sdk.UserStore, error) { return typedStore{}, nil },
			AuthRule:        func(context.Context, sdk.Config) (sdk.AuthRule, error) { return hashRecorder{}, nil },
			ClaimSerializer: func(context.Context, sdk.Config) (sdk.ClaimSerializer, error) { return hashRecorder{}, nil },
		})
	case "exits":
		fmt.Fprintln(os.Stderr, "exits: giving up at once")
		os.Exit(3)
	case "hang":
		plugin.Serve(plugin.Set{
			AuthRule: func(context.Context, sdk.Config) (sdk.AuthRule, error) { return hangingRule{}, nil },
		})
	}
	fmt.Fprintf(os.Stderr, "unknown test plugin %q\n", name)
	os.Exit(2)
}

// envSerializer's TokenUser returns the plugin's environment.
type envSerializer struct{}

func (envSerializer) TokenClaims(context.Context, sdk.User, string) (map[string]any, error) {
	return nil, nil
}
func (envSerializer) ResponseFields(context.Context, sdk.User) (map[string]any, error) {
	return nil, nil
}
func (envSerializer) TokenUser(context.Context, map[string]any) (map[string]any, error) {
	env := map[string]any{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	return env, nil
}

// whoami's TokenUser says who the plugin process is and whether it can
// read its host's environment (where the signing key may be).
type whoami struct{}

func (whoami) TokenClaims(context.Context, sdk.User, string) (map[string]any, error) {
	return nil, nil
}
func (whoami) ResponseFields(context.Context, sdk.User) (map[string]any, error) {
	return nil, nil
}
func (whoami) TokenUser(context.Context, map[string]any) (map[string]any, error) {
	groups, _ := os.Getgroups()
	out := map[string]any{"uid": os.Getuid(), "gid": os.Getgid(), "groups": fmt.Sprint(groups), "exe": ""}
	if _, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", os.Getppid())); err != nil {
		out["host_environ_error"] = err.Error()
	}
	// The running program's checksum, to show which file was executed.
	if f, err := os.Open("/proc/self/exe"); err == nil {
		sum := sha256.New()
		if _, err := io.Copy(sum, f); err == nil {
			out["exe"] = hex.EncodeToString(sum.Sum(nil))
		}
		f.Close()
	}
	return out, nil
}

// runHelperHost starts the memory plugin, prints its pid and waits to be
// killed.
func runHelperHost() {
	h := pluginhost.New(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	ctx := context.Background()
	if _, err := h.AuthRule(ctx, pluginhost.Spec{Name: "auth_rule", Path: os.Getenv("JWTD_TEST_PLUGIN")}); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	st := h.Ping(ctx)
	fmt.Println(st[0].PID)
	time.Sleep(time.Minute)
	os.Exit(0)
}

// runSwitchUserHost tries to start the whoami plugin as the user in
// JWTD_TEST_USER and prints the outcome: a host not allowed to switch users
// must refuse before anything starts.
func runSwitchUserHost() {
	h := pluginhost.New(nil)
	defer h.Close()
	_, err := h.ClaimSerializer(context.Background(), pluginhost.Spec{Path: os.Getenv("JWTD_TEST_PLUGIN"), User: os.Getenv("JWTD_TEST_USER")})
	fmt.Println("error:", err)
}

// testLogger sends the host's log to the test log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(&tlogWriter{t: t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tlogWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *tlogWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(string(p))
	}
	return len(p), nil
}

// newHost returns a Host with fast supervision, closed at the end of t.
func newHost(t *testing.T, opts ...pluginhost.Option) *pluginhost.Host {
	t.Helper()
	w := &tlogWriter{t: t}
	base := []pluginhost.Option{
		pluginhost.WithHealthInterval(200 * time.Millisecond),
		pluginhost.WithBackoff(50*time.Millisecond, 500*time.Millisecond),
	}
	h := pluginhost.New(slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})), append(base, opts...)...)
	t.Cleanup(func() {
		h.Close()
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return h
}
