package sdktest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/wire"
)

// Binary is a plugin binary for Launch and TestBinary: a built one (Path),
// or a Go package that they build first.
type Binary struct {
	// Path is a built plugin binary. When empty, Package is built with
	// `go build` into the test's temporary directory.
	Path string
	// Package is the Go package to build when Path is empty ("." when
	// empty too), resolved in Dir (the current directory when empty).
	Package string
	Dir     string
	// Config holds the config table of each kind, by kind name
	// ("user_store", "blacklist_store", "auth_rule", "claim_serializer"),
	// as [plugins.<kind>.config] in jwtd.toml would. A kind without an
	// entry gets an empty table.
	Config map[string]sdk.Config
	// Env are extra NAME=value variables for the plugin process, beside the
	// test's own environment.
	Env []string
}

// Plugin is a launched plugin binary as jwtd sees it: each kind the binary
// serves, configured, nil for the kinds it does not serve. Optional
// interfaces (sdk.UserAdmin, sdk.LoginFailureStore, …) are found on them
// with sdk.As, as jwtd does.
type Plugin struct {
	UserStore       sdk.UserStore
	BlacklistStore  sdk.BlacklistStore
	AuthRule        sdk.AuthRule
	ClaimSerializer sdk.ClaimSerializer
	// Kinds lists the kinds the binary serves.
	Kinds []string
}

// Launch builds the binary when needed, starts it through the real
// handshake (go-plugin, gRPC, AutoMTLS, the per-kind protocol versions),
// configures every kind it serves and returns them. The process is killed
// when the test ends; its log lines go to the test log.
//
// A test binary can be its own plugin: with Path set to os.Executable(),
// its TestMain calls plugin.Serve when plugin.Launched() is true.
func Launch(t testing.TB, b Binary) *Plugin {
	t.Helper()
	path := b.Path
	if path == "" {
		path = build(t, b)
	}
	logw := &testLog{t: t}
	t.Cleanup(logw.stop)
	cmd := exec.Command(path)
	cmd.Env = append(os.Environ(), b.Env...)
	c := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.HostPlugins(),
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		StartTimeout:     30 * time.Second,
		Logger:           hclog.New(&hclog.LoggerOptions{Name: filepath.Base(path), Output: logw, Level: hclog.Info}),
	})
	t.Cleanup(c.Kill)
	rpc, err := c.Client()
	if err != nil {
		t.Fatalf("starting plugin %s: %v", path, err)
	}
	gc, ok := rpc.(*goplugin.GRPCClient)
	if !ok {
		t.Fatalf("plugin %s does not speak gRPC", path)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	described, err := wire.Describe(ctx, gc.Conn)
	if err != nil {
		t.Fatalf("plugin %s: %v", path, err)
	}
	p := &Plugin{}
	for _, kind := range wire.Kinds {
		if _, served := described[kind]; !served && described != nil {
			continue
		}
		if _, err := wire.NegotiateKind(kind, described); err != nil {
			t.Fatalf("plugin %s: %v", path, err)
		}
		caps, err := wire.Configure(ctx, kind, gc.Conn, b.Config[kind])
		if err != nil {
			t.Fatalf("plugin %s: configure %s: %v", path, kind, err)
		}
		e := wire.NewEndpoint(kind, gc.Conn, caps)
		switch kind {
		case wire.KindUserStore:
			p.UserStore = wire.UserStore(e)
		case wire.KindBlacklistStore:
			p.BlacklistStore = wire.BlacklistStore(e)
		case wire.KindAuthRule:
			p.AuthRule = wire.AuthRule(e)
		case wire.KindClaimSerializer:
			p.ClaimSerializer = wire.ClaimSerializer(e)
		}
		p.Kinds = append(p.Kinds, kind)
	}
	return p
}

// build runs `go build` for b.Package into the test's temporary directory.
func build(t testing.TB, b Binary) string {
	t.Helper()
	pkg := b.Package
	if pkg == "" {
		pkg = "."
	}
	out := filepath.Join(t.TempDir(), "plugin")
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = b.Dir
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, msg)
	}
	return out
}

// Suites adjusts what TestBinary checks to the plugin's documented
// behaviour; the zero value suits a plugin that keeps Simple JWT's
// defaults.
type Suites struct {
	// UserStore describes the user store's fixture (Users, PasswordField,
	// LastLoginNotKept); its Store is filled in. Leave Users empty for a
	// store with sdk.UserAdmin.
	UserStore UserStoreSetup
	// Blacklist adjusts the blacklist store suite.
	Blacklist BlacklistOptions
	// RuleCases are the auth rule's cases (DefaultRuleCases when nil).
	RuleCases []AuthRuleCase
	// ClaimCases are the claim serializer's cases
	// (DefaultClaimSerializerCases when nil).
	ClaimCases []ClaimSerializerCase
}

// TestBinary launches b (see Launch) and runs the conformance suite of
// every kind it serves against the running process, as jwtd would call it:
// TestUserStore, TestBlacklistStore (and TestLoginFailureStore, TestSessionStore when the
// store offers sdk.LoginFailureStore, sdk.SessionStore), TestAuthRule, TestClaimSerializer.
func TestBinary(t *testing.T, b Binary, s Suites) {
	p := Launch(t, b)
	if len(p.Kinds) == 0 {
		t.Fatal("the plugin serves no kind")
	}
	if p.UserStore != nil {
		t.Run("UserStore", func(t *testing.T) {
			TestUserStore(t, func(*testing.T) UserStoreSetup {
				setup := s.UserStore
				setup.Store = p.UserStore
				return setup
			})
		})
	}
	if p.BlacklistStore != nil {
		t.Run("BlacklistStore", func(t *testing.T) {
			TestBlacklistStore(t, func(*testing.T) sdk.BlacklistStore { return p.BlacklistStore }, s.Blacklist)
		})
		if f, ok := sdk.As[sdk.LoginFailureStore](p.BlacklistStore); ok {
			t.Run("LoginFailureStore", func(t *testing.T) {
				TestLoginFailureStore(t, func(*testing.T) sdk.LoginFailureStore { return f })
			})
		}
		if ss, ok := sdk.As[sdk.SessionStore](p.BlacklistStore); ok {
			t.Run("SessionStore", func(t *testing.T) {
				TestSessionStore(t, func(*testing.T) sdk.SessionStore { return ss })
			})
		}
		ss, hasSessions := sdk.As[sdk.SessionStore](p.BlacklistStore)
		f, hasFeed := sdk.As[sdk.ChangeFeed](p.BlacklistStore)
		if sf, ok := sdk.As[sdk.SessionFeed](p.BlacklistStore); ok && sf.SessionsInFeed() && hasSessions && hasFeed {
			t.Run("SessionFeed", func(t *testing.T) {
				TestSessionFeed(t, sessionFeedOf{ss, f, sf}, time.Second)
			})
		}
	}
	if p.AuthRule != nil {
		t.Run("AuthRule", func(t *testing.T) {
			TestAuthRule(t, p.AuthRule, orDefault(s.RuleCases, DefaultRuleCases))
		})
	}
	if p.ClaimSerializer != nil {
		t.Run("ClaimSerializer", func(t *testing.T) {
			TestClaimSerializer(t, p.ClaimSerializer, orDefault(s.ClaimCases, DefaultClaimSerializerCases))
		})
	}
}

// sessionFeedOf joins a plugin's optional interfaces into the one value
// TestSessionFeed takes.
type sessionFeedOf struct {
	sdk.SessionStore
	sdk.ChangeFeed
	sdk.SessionFeed
}

func orDefault[T any](s, def []T) []T {
	if s == nil {
		return def
	}
	return s
}

// testLog writes the plugin's log lines to the test log until the test
// ends (a line after that would panic the testing package).
type testLog struct {
	t    testing.TB
	mu   sync.Mutex
	done bool
}

func (w *testLog) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(b), "\n"))
	}
	return len(b), nil
}

func (w *testLog) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}
