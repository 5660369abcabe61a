package mysql_test

import (
	"context"
	"testing"

	"github.com/jwtd/jwtd/internal/mariadbtest"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// seedDjangoUsers creates an active and an inactive user through admin
// with only the attributes Django's auth_user has columns for.
func seedDjangoUsers(t *testing.T, admin sdk.UserAdmin) []sdktest.KnownUser {
	t.Helper()
	var out []sdktest.KnownUser
	for i, active := range []bool{true, false} {
		nu := sdk.NewUser{
			Username: []string{"dana", "erin"}[i] + randSuffix(t), Password: "correct horse battery staple",
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

// TestConformance runs the sdk conformance kit against both stores on a
// real MariaDB, on jwtd's own schema and on Django's (auth_user and
// Simple JWT's token_blacklist tables, created by Django's DDL), in process
// and as the real plugin process.
func TestConformance(t *testing.T) {
	srv := mariadbtest.Start(t)
	for _, django := range []bool{false, true} {
		name := "native"
		if django {
			name = "django"
		}
		t.Run(name, func(t *testing.T) {
			dsn := newDB(t, srv, django)
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
				users := openUsers(t, userConfig(dsn, django))
				sdktest.TestUserStore(t, setup(users))
				sdktest.TestBlacklistStore(t, func(t *testing.T) sdk.BlacklistStore { return openBlacklist(t, blCfg) })
				// The optional failed-login counters.
				sdktest.TestLoginFailureStore(t, func(t *testing.T) sdk.LoginFailureStore {
					return openBlacklist(t, blCfg).(sdk.LoginFailureStore)
				})
				sdktest.TestSessionStore(t, func(t *testing.T) sdk.SessionStore {
					return openBlacklist(t, blCfg).(sdk.SessionStore)
				})
			})
			t.Run("out of process", func(t *testing.T) {
				h := outOfProcess(t)
				users, err := h.UserStore(context.Background(), spec(t, "user_store", userConfig(dsn, django)))
				if err != nil {
					t.Fatal(err)
				}
				sdktest.TestUserStore(t, setup(users))
				bl, err := h.BlacklistStore(context.Background(), spec(t, "blacklist_store", blCfg))
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
				ss, ok := sdk.As[sdk.SessionStore](bl)
				if !ok {
					t.Fatal("the plugin's blacklist store does not offer sdk.SessionStore across the boundary")
				}
				sdktest.TestSessionStore(t, func(*testing.T) sdk.SessionStore { return ss })
			})
		})
	}
}
