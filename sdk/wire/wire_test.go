package wire

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
)

// pair serves set over an in-memory gRPC connection and returns a client
// connection to it: the transport without the process.
func pair(t *testing.T, set Set) *grpc.ClientConn {
	t.Helper()
	return pairB(t, set)
}

func pairB(t testing.TB, set Set) *grpc.ClientConn {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	served := Serve(set.UserStore, set.BlacklistStore, set.AuthRule, set.ClaimSerializer)
	for _, p := range served.Plugins[ProtocolVersion] {
		if err := p.(*kindPlugin).GRPCServer(nil, srv); err != nil {
			t.Fatal(err)
		}
	}
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		srv.Stop()
		served.Close()
	})
	return conn
}

// Set mirrors plugin.Set (which imports this package) for these tests.
type Set struct {
	UserStore       sdk.Factory[sdk.UserStore]
	BlacklistStore  sdk.Factory[sdk.BlacklistStore]
	AuthRule        sdk.Factory[sdk.AuthRule]
	ClaimSerializer sdk.Factory[sdk.ClaimSerializer]
}

// failingRule returns the error named by the user's username.
type failingRule struct{}

func (failingRule) Allow(_ context.Context, u sdk.User) (bool, error) {
	switch u.Username {
	case "creds":
		return false, fmt.Errorf("checking: %w", sdk.ErrInvalidCredentials)
	case "notfound":
		return false, sdk.ErrUserNotFound
	case "exists":
		return false, sdk.ErrUserExists
	case "config":
		return false, sdk.ErrInvalidConfig
	case "unavailable":
		return false, fmt.Errorf("database down: %w", sdk.ErrUnavailable)
	case "deadline":
		return false, context.DeadlineExceeded
	case "plain":
		return false, errors.New("rule exploded")
	}
	return true, nil
}

func TestSentinelErrorsCrossTheBoundary(t *testing.T) {
	conn := pair(t, Set{AuthRule: func(context.Context, sdk.Config) (sdk.AuthRule, error) { return failingRule{}, nil }})
	c := AuthRule(NewEndpoint(KindAuthRule, conn, nil))
	ctx := context.Background()
	if _, err := Configure(ctx, KindAuthRule, conn, nil); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		want    error
		notWant error
		msg     string
	}{
		{"creds", sdk.ErrInvalidCredentials, sdk.ErrUnavailable, "checking"},
		{"notfound", sdk.ErrUserNotFound, sdk.ErrUnavailable, "user not found"},
		{"exists", sdk.ErrUserExists, sdk.ErrUnavailable, "already exists"},
		{"config", sdk.ErrInvalidConfig, sdk.ErrUnavailable, "invalid plugin config"},
		{"unavailable", sdk.ErrUnavailable, sdk.ErrUserNotFound, "database down"},
		{"deadline", context.DeadlineExceeded, nil, "deadline"},
		{"plain", nil, sdk.ErrUnavailable, "rule exploded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := c.Allow(ctx, sdk.User{Username: tc.name})
			if err == nil || ok {
				t.Fatalf("Allow = %v, %v; want an error", ok, err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("error %q is not %v", err, tc.want)
			}
			if tc.name == "deadline" && !errors.Is(err, sdk.ErrUnavailable) {
				t.Fatalf("error %q is not sdk.ErrUnavailable", err)
			}
			if tc.notWant != nil && errors.Is(err, tc.notWant) {
				t.Fatalf("error %q is also %v", err, tc.notWant)
			}
			if !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), KindAuthRule) {
				t.Fatalf("error %q lacks the plugin's message %q or the kind", err, tc.msg)
			}
		})
	}
}

func TestTransportFailureIsUnavailable(t *testing.T) {
	ctx := context.Background()
	t.Run("not configured", func(t *testing.T) {
		c := AuthRule(NewEndpoint(KindAuthRule, pair(t, Set{AuthRule: func(context.Context, sdk.Config) (sdk.AuthRule, error) { return failingRule{}, nil }}), nil))
		if _, err := c.Allow(ctx, sdk.User{}); !errors.Is(err, sdk.ErrUnavailable) {
			t.Fatalf("Allow before Configure: %v, want sdk.ErrUnavailable", err)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		conn, err := grpc.NewClient("unix:///nonexistent/jwtd-plugin.sock", grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if _, err := BlacklistStore(NewEndpoint(KindBlacklistStore, conn, nil)).IsBlacklisted(cctx, "x"); !errors.Is(err, sdk.ErrUnavailable) {
			t.Fatalf("IsBlacklisted over a dead connection: %v, want sdk.ErrUnavailable", err)
		}
	})
	t.Run("kind not served", func(t *testing.T) {
		conn := pair(t, Set{AuthRule: func(context.Context, sdk.Config) (sdk.AuthRule, error) { return failingRule{}, nil }})
		if _, err := Configure(ctx, KindUserStore, conn, nil); !errors.Is(err, errors.ErrUnsupported) {
			t.Fatalf("Configure of an unserved kind: %v, want errors.ErrUnsupported", err)
		}
	})
}

func TestConfigureHandsOverConfig(t *testing.T) {
	var got sdk.Config
	factory := func(_ context.Context, cfg sdk.Config) (sdk.AuthRule, error) {
		var c struct {
			Group string `json:"group"`
			Max   int    `json:"max"`
		}
		if err := cfg.Decode(&c); err != nil {
			return nil, err
		}
		got = cfg
		return failingRule{}, nil
	}
	conn := pair(t, Set{AuthRule: factory})
	ctx := context.Background()
	caps, err := Configure(ctx, KindAuthRule, conn, sdk.Config{"group": "staff", "max": int64(3)})
	if err != nil {
		t.Fatal(err)
	}
	if len(caps) != 0 {
		t.Fatalf("capabilities = %q, want none", caps)
	}
	if got["group"] != "staff" || got["max"] != int64(3) {
		t.Fatalf("plugin got config %#v, want group=staff and max=int64(3)", got)
	}
	_, err = Configure(ctx, KindAuthRule, conn, sdk.Config{"grup": "typo"})
	if !errors.Is(err, sdk.ErrInvalidConfig) || !strings.Contains(err.Error(), "grup") {
		t.Fatalf("Configure with a typo: %v, want sdk.ErrInvalidConfig naming the key", err)
	}
}

func TestValuesKeepTheirTypes(t *testing.T) {
	store := memory.NewUserStore()
	conn := pair(t, Set{
		UserStore:       func(context.Context, sdk.Config) (sdk.UserStore, error) { return store, nil },
		ClaimSerializer: func(context.Context, sdk.Config) (sdk.ClaimSerializer, error) { return echoSerializer{}, nil },
	})
	ctx := context.Background()
	caps, err := Configure(ctx, KindUserStore, conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	us := UserStore(NewEndpoint(KindUserStore, conn, caps))
	admin, ok := sdk.As[sdk.UserAdmin](us)
	if !ok {
		t.Fatal("no sdk.UserAdmin on a store that reported it")
	}
	if len(caps) != 2 || caps[0] != CapUserAdmin || caps[1] != CapBatch {
		t.Fatalf("capabilities = %q, want [%s %s]", caps, CapUserAdmin, CapBatch)
	}
	attrs := map[string]any{
		"email": "a@example.com", "level": int64(3), "ratio": 0.5, "big": int64(1) << 60,
		"groups": []any{"staff", int64(2)}, "nested": map[string]any{"ok": true, "n": int64(-7)}, "none": nil,
	}
	created, err := admin.CreateUser(ctx, sdk.NewUser{Username: "alice", Password: "pw-123456", IsActive: true, Attributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	if err := us.RecordLogin(ctx, created.ID, at); err != nil {
		t.Fatal(err)
	}
	u, err := us.LookupUser(ctx, "id", created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%#v", u.Attributes) != fmt.Sprintf("%#v", attrs) {
		t.Fatalf("attributes\n got %#v\nwant %#v", u.Attributes, attrs)
	}
	if !u.LastLogin.Equal(at) || u.PasswordHash == "" || u.PasswordHash != created.PasswordHash {
		t.Fatalf("user = %+v: want last login %v and the stored hash", u, at)
	}

	if _, err := Configure(ctx, KindClaimSerializer, conn, nil); err != nil {
		t.Fatal(err)
	}
	cs := ClaimSerializer(NewEndpoint(KindClaimSerializer, conn, nil))
	claims := map[string]any{"user_id": "1", "exp": int64(1767225600), "scope": []any{"a"}, "f": 1.25}
	back, err := cs.TokenUser(ctx, claims)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%#v", back) != fmt.Sprintf("%#v", claims) {
		t.Fatalf("claims\n got %#v\nwant %#v", back, claims)
	}
	if none, err := cs.ResponseFields(ctx, sdk.User{}); err != nil || none != nil {
		t.Fatalf("ResponseFields = %#v, %v; want nil", none, err)
	}
}

// echoSerializer returns the claims it is given as the token user.
type echoSerializer struct{}

func (echoSerializer) TokenClaims(context.Context, sdk.User, string) (map[string]any, error) {
	return nil, nil
}
func (echoSerializer) ResponseFields(context.Context, sdk.User) (map[string]any, error) {
	return nil, nil
}
func (echoSerializer) TokenUser(_ context.Context, c map[string]any) (map[string]any, error) {
	return c, nil
}

// TestOptionalMethodsOfAPluginWithout: a host that calls an optional method
// the plugin lacks (as an older host ignoring capabilities would) gets
// errors.ErrUnsupported naming the interface, never a success.
func TestOptionalMethodsOfAPluginWithout(t *testing.T) {
	type bare struct{ sdk.UserStore }
	conn := pair(t, Set{UserStore: func(context.Context, sdk.Config) (sdk.UserStore, error) { return bare{memory.NewUserStore()}, nil }})
	ctx := context.Background()
	caps, err := Configure(ctx, KindUserStore, conn, nil)
	if err != nil || len(caps) != 1 || caps[0] != CapBatch {
		t.Fatalf("Configure = %v, %v; want no optional capabilities (only the protocol's batch)", caps, err)
	}
	admin, ok := sdk.As[sdk.UserAdmin](UserStore(NewEndpoint(KindUserStore, conn, []string{CapUserAdmin})))
	if !ok {
		t.Fatal("no UserAdmin although the endpoint claims the capability")
	}
	_, err = admin.CreateUser(ctx, sdk.NewUser{Username: "x", Password: "pw-123456"})
	if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "sdk.UserAdmin") {
		t.Fatalf("CreateUser = %v; want errors.ErrUnsupported naming sdk.UserAdmin", err)
	}
}

// TestSessionMethodsOfAPluginWithout: a host calling a session method of a
// blacklist store without sdk.SessionStore gets errors.ErrUnsupported
// naming the interface, never a rotation.
func TestSessionMethodsOfAPluginWithout(t *testing.T) {
	type bare struct{ sdk.BlacklistStore }
	conn := pair(t, Set{BlacklistStore: func(context.Context, sdk.Config) (sdk.BlacklistStore, error) {
		return bare{memory.NewBlacklistStore()}, nil
	}})
	ctx := context.Background()
	caps, err := Configure(ctx, KindBlacklistStore, conn, nil)
	if err != nil || slices.Contains(caps, CapSessions) {
		t.Fatalf("Configure = %v, %v; want no sessions capability", caps, err)
	}
	ss, ok := sdk.As[sdk.SessionStore](BlacklistStore(NewEndpoint(KindBlacklistStore, conn, []string{CapSessions})))
	if !ok {
		t.Fatal("no SessionStore although the endpoint claims the capability")
	}
	_, err = ss.RotateSession(ctx, "u", "s", "a", "b", time.Now())
	if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "sessions") {
		t.Fatalf("RotateSession = %v; want errors.ErrUnsupported", err)
	}
}
