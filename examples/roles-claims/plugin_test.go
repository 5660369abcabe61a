package main_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/pluginhost"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// pluginBin is the plugin binary built once by TestMain, as `make build`
// builds it: the tests below run it out of process exactly as jwtd does.
var pluginBin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "jwtd-example-roles-claims-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	pluginBin = filepath.Join(dir, "jwtd-example-roles-claims")
	if out, err := exec.Command("go", "build", "-o", pluginBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the plugin: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// startSerializer launches the plugin through jwtd's plugin host (go-plugin,
// AutoMTLS, no inherited environment) and returns its serializer.
func startSerializer(t *testing.T, cfg sdk.Config) (sdk.ClaimSerializer, error) {
	t.Helper()
	h := pluginhost.New(nil)
	t.Cleanup(func() { h.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return h.ClaimSerializer(ctx, pluginhost.Spec{Name: "claim_serializer", Path: pluginBin, Config: cfg})
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestOutOfProcess checks all three hooks across the process boundary,
// configured as jwtd.toml does (roles from the htpasswd store's groups).
func TestOutOfProcess(t *testing.T) {
	s, err := startSerializer(t, sdk.Config{"roles_attribute": "groups", "email_attribute": "email"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	alice := sdk.User{ID: "alice", Username: "alice", IsActive: true,
		Attributes: map[string]any{"groups": []any{"ops", "staff"}, "email": "alice@example.com"}}
	carol := sdk.User{ID: "carol", Username: "carol", IsActive: true, Attributes: map[string]any{"groups": []any{}}}

	cases := []struct {
		name                   string
		user                   sdk.User
		wantClaims, wantFields string
		claims                 map[string]any
		wantTokenUser          string
	}{
		{"alice", alice,
			`{"email":"alice@example.com","roles":["ops","staff"]}`,
			`{"user":{"email":"alice@example.com","username":"alice"}}`,
			map[string]any{"user_id": "alice", "roles": []any{"ops", "staff"}, "email": "alice@example.com"},
			`{"email":"alice@example.com","roles":["ops","staff"]}`},
		{"carol", carol,
			`{"roles":[]}`,
			`{"user":{"email":"","username":"carol"}}`,
			map[string]any{"user_id": "carol"},
			`{"roles":[]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, tt := range []string{"refresh", "sliding"} {
				claims, err := s.TokenClaims(ctx, c.user, tt)
				if err != nil {
					t.Fatal(err)
				}
				if g := asJSON(t, claims); g != c.wantClaims {
					t.Errorf("TokenClaims(%s) = %s, want %s", tt, g, c.wantClaims)
				}
			}
			fields, err := s.ResponseFields(ctx, c.user)
			if err != nil {
				t.Fatal(err)
			}
			if g := asJSON(t, fields); g != c.wantFields {
				t.Errorf("ResponseFields = %s, want %s", g, c.wantFields)
			}
			tu, err := s.TokenUser(ctx, c.claims)
			if err != nil {
				t.Fatal(err)
			}
			if g := asJSON(t, tu); g != c.wantTokenUser {
				t.Errorf("TokenUser = %s, want %s", g, c.wantTokenUser)
			}
		})
	}
}

// TestConformanceOutOfProcess runs the conformance kit against the built
// binary with the SDK alone (sdktest.TestBinary), as a plugin author would.
func TestConformanceOutOfProcess(t *testing.T) {
	sdktest.TestBinary(t, sdktest.Binary{Path: pluginBin}, sdktest.Suites{ClaimCases: []sdktest.ClaimSerializerCase{{
		Name: "user with roles and email",
		User: sdk.User{ID: "1", Username: "ann", IsActive: true,
			Attributes: map[string]any{"roles": []any{"admin"}, "email": "ann@example.com"}},
		WantTokenClaims:    map[string]any{"roles": []any{"admin"}, "email": "ann@example.com"},
		WantResponseFields: map[string]any{"user": map[string]any{"username": "ann", "email": "ann@example.com"}},
		Claims:             map[string]any{"user_id": "1", "roles": []any{"admin"}, "email": "ann@example.com"},
		WantTokenUser:      map[string]any{"roles": []any{"admin"}, "email": "ann@example.com"},
	}}})
}

func TestOutOfProcessBadConfig(t *testing.T) {
	_, err := startSerializer(t, sdk.Config{"role_attribute": "groups"})
	if err == nil {
		t.Fatal("the plugin started with a bad config")
	}
	if !errors.Is(err, sdk.ErrInvalidConfig) || !strings.Contains(err.Error(), "role_attribute") || !strings.Contains(err.Error(), "claim_serializer") {
		t.Errorf("err = %v; want ErrInvalidConfig naming the plugin and the key", err)
	}
}
