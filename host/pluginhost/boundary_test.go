package pluginhost_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/metrics"
	"github.com/jwtd/jwtd/host/pluginhost"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/wire"
)

// typedStore answers every lookup with one user whose attributes are of
// the Go types a store may well produce (int, uint8, float32, []int, …).
type typedStore struct{ sdk.UserStore }

func (typedStore) LookupUser(context.Context, string, string) (sdk.User, error) {
	return sdk.User{ID: "1", Username: "alice", IsActive: true, PasswordHash: "pbkdf2_sha256$1$salt$hash",
		Attributes: map[string]any{
			"int": 7, "uint8": uint8(3), "int64": int64(1) << 60, "float32": float32(1.5), "float64": 2.25,
			"whole_float": 4.0, "string": "x", "bool": true, "nil": nil,
			"ints": []int{1, 2}, "map": map[string]int{"k": 1}, "time": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		}}, nil
}

// wantAttributes is typedStore's attributes as the host sees them, in
// process and out of process alike (documented at sdk.User.Attributes).
var wantAttributes = map[string]any{
	"int": int64(7), "uint8": int64(3), "int64": int64(1) << 60, "float32": 1.5, "float64": 2.25,
	"whole_float": int64(4), "string": "x", "bool": true, "nil": nil,
	"ints": []any{int64(1), int64(2)}, "map": map[string]any{"k": int64(1)}, "time": "2026-01-02T03:04:05Z",
}

// hashRecorder is a rule and serializer that report whether they were
// handed a password hash: Allow refuses such a user, and the serializer
// puts what it saw into the claims.
type hashRecorder struct{}

func (hashRecorder) Allow(_ context.Context, u sdk.User) (bool, error) {
	return u.PasswordHash == "" && u.IsActive, nil
}
func (hashRecorder) TokenClaims(_ context.Context, u sdk.User, _ string) (map[string]any, error) {
	return map[string]any{"seen_hash": u.PasswordHash}, nil
}
func (hashRecorder) ResponseFields(_ context.Context, u sdk.User) (map[string]any, error) {
	return map[string]any{"seen_hash": u.PasswordHash}, nil
}
func (hashRecorder) TokenUser(context.Context, map[string]any) (map[string]any, error) {
	return nil, nil
}

// modes returns the boundary plugin's kinds out of process (the real
// binary through the Host) and in process (wire.Local), which jwtd uses
// for built-ins.
func modes(t *testing.T) map[string]func(kind string) wire.Endpoint {
	h := newHost(t)
	return map[string]func(string) wire.Endpoint{
		"out of process": func(kind string) wire.Endpoint {
			e, err := h.Endpoint(context.Background(), kind, pluginhost.Spec{Name: kind, Path: pluginPath("boundary")})
			if err != nil {
				t.Fatal(err)
			}
			return e
		},
		"in process": func(kind string) wire.Endpoint {
			impls := map[string]any{wire.KindUserStore: typedStore{}, wire.KindAuthRule: hashRecorder{}, wire.KindClaimSerializer: hashRecorder{}}
			e, err := wire.Local(kind, impls[kind])
			if err != nil {
				t.Fatal(err)
			}
			return e
		},
	}
}

// TestAttributesNormalisedInBothModes: a store's int arrives as int64, a
// float32 as float64, a list as []any, in process exactly as out of
// process.
func TestAttributesNormalisedInBothModes(t *testing.T) {
	for name, endpoint := range modes(t) {
		t.Run(name, func(t *testing.T) {
			u, err := wire.UserStore(endpoint(wire.KindUserStore)).LookupUser(context.Background(), "id", "1")
			if err != nil {
				t.Fatal(err)
			}
			if got, want := fmt.Sprintf("%#v", u.Attributes), fmt.Sprintf("%#v", wantAttributes); got != want {
				t.Fatalf("attributes\n got %s\nwant %s", got, want)
			}
			if u.PasswordHash == "" {
				t.Fatal("the user store's answer lost its password hash (the core needs it for the revoke claim)")
			}
		})
	}
}

// TestNoPasswordHashForRulesAndSerializers: an auth rule and a claim
// serializer never receive the user's password hash; only the user store
// (which owns it) and the core see it.
func TestNoPasswordHashForRulesAndSerializers(t *testing.T) {
	ctx := context.Background()
	user := sdk.User{ID: "1", Username: "alice", IsActive: true, PasswordHash: "pbkdf2_sha256$600000$salt$hash"}
	for name, endpoint := range modes(t) {
		t.Run(name, func(t *testing.T) {
			ok, err := wire.AuthRule(endpoint(wire.KindAuthRule)).Allow(ctx, user)
			if err != nil || !ok {
				t.Fatalf("Allow = %v, %v: the rule was handed the password hash", ok, err)
			}
			cs := wire.ClaimSerializer(endpoint(wire.KindClaimSerializer))
			claims, err := cs.TokenClaims(ctx, user, "refresh")
			if err != nil || claims["seen_hash"] != "" {
				t.Fatalf("TokenClaims = %v, %v: the serializer was handed the password hash", claims, err)
			}
			fields, err := cs.ResponseFields(ctx, user)
			if err != nil || fields["seen_hash"] != "" {
				t.Fatalf("ResponseFields = %v, %v: the serializer was handed the password hash", fields, err)
			}
		})
	}
}

// TestMetricsWrapTheEndpointInBothModes: the metrics interceptor counts
// calls by kind, method and outcome on a plugin process's supervised
// connection exactly as on an in-process endpoint.
func TestMetricsWrapTheEndpointInBothModes(t *testing.T) {
	ctx := context.Background()
	for name, endpoint := range modes(t) {
		t.Run(name, func(t *testing.T) {
			m := metrics.New()
			us := wire.UserStore(metrics.Instrument(m, endpoint(wire.KindUserStore)))
			rule := wire.AuthRule(metrics.Instrument(m, endpoint(wire.KindAuthRule)))
			for range 2 {
				if _, err := us.LookupUser(ctx, "id", "1"); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := rule.Allow(ctx, sdk.User{IsActive: true}); err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
			for _, want := range []string{
				`jwtd_plugin_calls_total{kind="user_store",method="LookupUser",outcome="ok"} 2`,
				`jwtd_plugin_calls_total{kind="auth_rule",method="Allow",outcome="ok"} 1`,
			} {
				if !strings.Contains(rec.Body.String(), want) {
					t.Errorf("metrics lack %s", want)
				}
			}
		})
	}
}
