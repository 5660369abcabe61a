package sqlstoretest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jwtd/jwtd/host/pluginhost"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// Stores are one SQL store package's factories (its NewUserStore and
// NewBlacklistStore): what its plugin binary serves.
type Stores struct {
	Users     sdk.Factory[sdk.UserStore]
	Blacklist sdk.Factory[sdk.BlacklistStore]
}

// OpenUsers opens a user store in process, closed at the test's end.
func (s Stores) OpenUsers(t testing.TB, cfg sdk.Config) sdk.UserStore {
	t.Helper()
	u, err := s.Users(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewUserStore: %v", err)
	}
	t.Cleanup(func() { u.(interface{ Close() error }).Close() })
	return u
}

// OpenBlacklist opens a blacklist store in process, closed at the test's
// end.
func (s Stores) OpenBlacklist(t testing.TB, cfg sdk.Config) sdk.BlacklistStore {
	t.Helper()
	b, err := s.Blacklist(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewBlacklistStore: %v", err)
	}
	t.Cleanup(func() { b.(interface{ Close() error }).Close() })
	return b
}

// UserConfig is a user store config on dsn with cheap hashes: the formats
// are the same as with the defaults.
func UserConfig(dsn string, django bool) sdk.Config {
	return sdk.Config{
		"dsn": dsn, "django": django,
		"pbkdf2_iterations": 1000,
		"argon2_time_cost":  1, "argon2_memory_cost": 64, "argon2_parallelism": 1,
	}
}

// OutOfProcess is a plugin host closed at the test's end. The test binary
// doubles as the plugin binary (go-plugin's own pattern: its TestMain
// serves Stores when plugin.Launched), started through Spec.
func OutOfProcess(t testing.TB) *pluginhost.Host {
	t.Helper()
	h := pluginhost.New(nil)
	t.Cleanup(func() { h.Close() })
	return h
}

// Spec is the plugin spec that starts the test binary itself as the
// plugin named name with cfg.
func Spec(t testing.TB, name string, cfg sdk.Config) pluginhost.Spec {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return pluginhost.Spec{Name: name, Path: self, Config: cfg, CallTimeout: 5 * time.Second}
}

var suffixSeq atomic.Int64

// RandSuffix makes names unique across subtests sharing a database.
func RandSuffix() string {
	return fmt.Sprintf("-%d-%d", suffixSeq.Add(1), time.Now().UnixNano()%1e6)
}

// seedDjangoUsers creates an active and an inactive user through admin
// with only the attributes Django's auth_user has columns for.
func seedDjangoUsers(t *testing.T, admin sdk.UserAdmin) []sdktest.KnownUser {
	t.Helper()
	var out []sdktest.KnownUser
	for i, active := range []bool{true, false} {
		nu := sdk.NewUser{
			Username: []string{"dana", "erin"}[i] + RandSuffix(), Password: "correct horse battery staple",
			IsActive: active, Attributes: map[string]any{"email": "someone@example.com"},
		}
		u, err := admin.CreateUser(context.Background(), nu)
		if err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		out = append(out, sdktest.KnownUser{
			Credentials: sdk.Credentials{"username": nu.Username, "password": nu.Password},
			ID:          u.ID, Username: nu.Username, IsActive: active, Attributes: nu.Attributes,
		})
	}
	return out
}

// TestConformance runs the sdk conformance kit against both stores on
// fresh databases newDB makes (with Django's tables, auth_user and Simple
// JWT's token_blacklist made by Django's DDL, when django), on jwtd's own
// schema and on Django's, in process and as the real plugin process (the
// test binary, see OutOfProcess).
func TestConformance(t *testing.T, stores Stores, newDB func(t *testing.T, django bool) string) {
	for _, django := range []bool{false, true} {
		name := "native"
		if django {
			name = "django"
		}
		t.Run(name, func(t *testing.T) {
			dsn := newDB(t, django)
			setup := func(s sdk.UserStore) func(t *testing.T) sdktest.UserStoreSetup {
				return func(t *testing.T) sdktest.UserStoreSetup {
					if !django {
						return sdktest.UserStoreSetup{Store: s}
					}
					return sdktest.UserStoreSetup{Store: s, Users: seedDjangoUsers(t, sdktest.Admin(t, s))}
				}
			}
			blCfg := sdk.Config{"dsn": dsn, "django": django, "sweep_interval": "0"}
			t.Run("in process", func(t *testing.T) {
				users := stores.OpenUsers(t, UserConfig(dsn, django))
				sdktest.TestUserStore(t, setup(users))
				sdktest.TestBlacklistStore(t, func(t *testing.T) sdk.BlacklistStore { return stores.OpenBlacklist(t, blCfg) })
				// The optional failed-login counters.
				sdktest.TestLoginFailureStore(t, func(t *testing.T) sdk.LoginFailureStore {
					return stores.OpenBlacklist(t, blCfg).(sdk.LoginFailureStore)
				})
				// The optional sessions.
				sdktest.TestSessionStore(t, func(t *testing.T) sdk.SessionStore {
					return stores.OpenBlacklist(t, blCfg).(sdk.SessionStore)
				})
			})
			t.Run("out of process", func(t *testing.T) {
				h := OutOfProcess(t)
				users, err := h.UserStore(context.Background(), Spec(t, "user_store", UserConfig(dsn, django)))
				if err != nil {
					t.Fatal(err)
				}
				sdktest.TestUserStore(t, setup(users))
				bl, err := h.BlacklistStore(context.Background(), Spec(t, "blacklist_store", blCfg))
				if err != nil {
					t.Fatal(err)
				}
				sdktest.TestBlacklistStore(t, func(*testing.T) sdk.BlacklistStore { return bl })
				// The failed-login counters cross the boundary too.
				failures, ok := sdk.As[sdk.LoginFailureStore](bl)
				if !ok {
					t.Fatal("the plugin's sdk.LoginFailureStore is not offered out of process")
				}
				sdktest.TestLoginFailureStore(t, func(*testing.T) sdk.LoginFailureStore { return failures })
				// And the sessions.
				ss, ok := sdk.As[sdk.SessionStore](bl)
				if !ok {
					t.Fatal("the plugin's blacklist store does not offer sdk.SessionStore across the boundary")
				}
				sdktest.TestSessionStore(t, func(*testing.T) sdk.SessionStore { return ss })
			})
		})
	}
}

// TestUUIDUsers runs the UUID-key checks on an accounts_user table (a
// custom user model with a UUIDField key and USERNAME_FIELD = "email")
// the caller created on dsn; stored maps a canonical UUID to the form the
// database keeps.
func TestUUIDUsers(t *testing.T, stores Stores, dsn string, stored func(string) string) {
	ctx := context.Background()
	s := stores.OpenUsers(t, sdk.Config{
		"dsn": dsn, "migrate": false, "table": "accounts_user", "id_type": "uuid",
		"attributes_column": "", "attribute_columns": []any{"email"}, "login_field": "email",
		"hasher": "pbkdf2_sha256", "pbkdf2_iterations": 1000,
	})
	admin := s.(sdk.UserAdmin)
	u, err := admin.CreateUser(ctx, sdk.NewUser{Username: "frank", Password: "pw-frank", IsActive: true, Attributes: map[string]any{"email": "frank@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := uuid.Parse(u.ID)
	if err != nil || parsed.String() != u.ID {
		t.Fatalf("ID %q is not a canonical UUID (str(uuid) in Python): %v", u.ID, err)
	}
	got, err := s.Authenticate(ctx, sdk.Credentials{"email": "frank@example.com", "password": "pw-frank"})
	if err != nil || got.ID != u.ID {
		t.Fatalf("login by email = %+v, %v", got, err)
	}
	for _, id := range []string{u.ID, stored(u.ID)} {
		if got, err := s.LookupUser(ctx, "id", id); err != nil || got.Username != "frank" {
			t.Fatalf("LookupUser(id, %q) = %+v, %v", id, got, err)
		}
	}
	if err := s.RecordLogin(ctx, u.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"42", "not-a-uuid", ""} {
		if _, err := s.LookupUser(ctx, "id", bad); !errors.Is(err, sdk.ErrUserNotFound) {
			t.Fatalf("LookupUser(id, %q) = %v; want ErrUserNotFound", bad, err)
		}
	}
}
