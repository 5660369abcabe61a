package sqlstoretest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// Server is a database server a fault test can stop, restart, freeze and
// thaw (internal/pgtest, internal/mariadbtest).
type Server interface {
	Stop()
	Restart()
	Freeze()
	Thaw()
}

// FaultEnv is one database and the stores under test on it.
type FaultEnv struct {
	Server Server
	// Users and Blacklist open the stores with a user already created
	// through the user store's admin interface; extra holds config keys
	// (query_timeout).
	Users     func(t *testing.T, extra sdk.Config) sdk.UserStore
	Blacklist func(t *testing.T, extra sdk.Config) sdk.BlacklistStore
}

// TestFaults checks that the stores fail closed and recover: with the
// database down or hanging, every call is sdk.ErrUnavailable within the
// query timeout (never a success, never a hang), the same store instances
// serve again once it is back, and a blacklist entry acknowledged before a
// crash of the database is still there after its restart.
func TestFaults(t *testing.T, env FaultEnv) {
	ctx := context.Background()
	extra := sdk.Config{"query_timeout": "700ms", "connect_timeout": "700ms"}
	users := env.Users(t, extra)
	bl := env.Blacklist(t, extra)
	name := unique("fault-")
	created, err := sdktest.Admin(t, users).CreateUser(ctx, sdk.NewUser{Username: name, Password: "pw-fault", IsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	creds := sdk.Credentials{"username": name, "password": "pw-fault"}
	acked := sdk.TokenRecord{JTI: unique("acked"), UserID: created.ID, TokenType: "refresh", IssuedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	if added, err := bl.Blacklist(ctx, acked); err != nil || !added {
		t.Fatalf("Blacklist = %v, %v", added, err)
	}

	calls := []struct {
		name string
		do   func() error
	}{
		{"Authenticate", func() error { _, err := users.Authenticate(ctx, creds); return err }},
		{"LookupUser", func() error { _, err := users.LookupUser(ctx, "id", created.ID); return err }},
		{"RecordLogin", func() error { return users.RecordLogin(ctx, created.ID, time.Now()) }},
		{"user Ping", func() error { return users.(sdk.Pinger).Ping(ctx) }},
		{"Blacklist", func() error {
			added, err := bl.Blacklist(ctx, sdk.TokenRecord{JTI: unique("down"), UserID: "1", TokenType: "refresh", ExpiresAt: time.Now().Add(time.Hour)})
			if !added && err == nil {
				return errors.New("a new jti reported already blacklisted")
			}
			return err
		}},
		{"IsBlacklisted", func() error {
			listed, err := bl.IsBlacklisted(ctx, acked.JTI)
			if err == nil && !listed {
				return errors.New("reported not blacklisted")
			}
			return err
		}},
		{"blacklist Ping", func() error { return bl.(sdk.Pinger).Ping(ctx) }},
	}
	expectUnavailable := func(t *testing.T, state string) {
		t.Helper()
		for _, c := range calls {
			start := time.Now()
			err := c.do()
			if !errors.Is(err, sdk.ErrUnavailable) {
				t.Errorf("%s with the database %s = %v; want sdk.ErrUnavailable", c.name, state, err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("%s with the database %s took %v; the query timeout is 700ms", c.name, state, d)
			}
		}
	}
	expectServing := func(t *testing.T, state string) {
		t.Helper()
		// A pool may hold connections the server dropped; the store gets
		// rid of them within a call or two, without a restart.
		deadline := time.Now().Add(10 * time.Second)
		for _, c := range calls {
			var err error
			for {
				if err = c.do(); err == nil || time.Now().After(deadline) {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err != nil {
				t.Errorf("%s after the database %s: %v", c.name, state, err)
			}
		}
	}

	t.Run("down", func(t *testing.T) {
		env.Server.Stop()
		expectUnavailable(t, "down")
		env.Server.Restart()
		expectServing(t, "came back")
	})
	t.Run("hanging", func(t *testing.T) {
		env.Server.Freeze()
		expectUnavailable(t, "frozen")
		env.Server.Thaw()
		expectServing(t, "thawed")
	})
	t.Run("acknowledged blacklist entry survives a crash", func(t *testing.T) {
		rec := sdk.TokenRecord{JTI: unique("durable"), UserID: created.ID, TokenType: "refresh", IssuedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
		if added, err := bl.Blacklist(ctx, rec); err != nil || !added {
			t.Fatalf("Blacklist = %v, %v", added, err)
		}
		env.Server.Stop() // a crash: no clean shutdown, no checkpoint
		env.Server.Restart()
		fresh := env.Blacklist(t, nil)
		for _, jti := range []string{acked.JTI, rec.JTI} {
			if listed, err := fresh.IsBlacklisted(ctx, jti); err != nil || !listed {
				t.Fatalf("IsBlacklisted(%s) after the crash = %v, %v; want true", jti, listed, err)
			}
		}
		if added, err := fresh.Blacklist(ctx, rec); err != nil || added {
			t.Fatalf("Blacklist after the crash = %v, %v; want false (still there)", added, err)
		}
	})
}
