// Package sqlstoretest is the test kit the SQL stores (PostgreSQL, MySQL,
// SQLite) share to show that they serve a Django database as Django itself
// does: rows Django writes are read by jwtd, rows jwtd writes are read by
// Django's own queries, on each database's exact Django DDL.
package sqlstoretest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtd/jwtd/plugins/sqlstore"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/passwords"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// DjangoVector is a hash Django 3.2's make_password wrote
// (passwords/testdata) and its password.
const (
	DjangoVector         = "pbkdf2_sha256$260000$6JdAmR9XbpI7DsVfstmh22$kQKIvqRsVMrSD/209BAYrlt3n7De2ljcxhwTFqrGqyA="
	DjangoVectorPassword = "alice-pass"
)

// Env is one database with Django's tables (auth and token_blacklist,
// made by Django's DDL) and the stores under test on it.
type Env struct {
	// Raw is a plain connection to the database, as Django's.
	Raw *sql.DB
	// Rebind rewrites "?" placeholders for Raw's driver.
	Rebind func(string) string
	// Time is a time as Django writes a DateTimeField on this database.
	Time func(time.Time) any
	// Users opens a user store with django = true, cheap hashes
	// (pbkdf2_iterations 1000) and the extra keys.
	Users func(t *testing.T, extra sdk.Config) sdk.UserStore
	// Blacklist opens a blacklist store with django = true.
	Blacklist func(t *testing.T) sdk.BlacklistStore
}

var seq atomic.Int64

func unique(prefix string) string {
	return fmt.Sprintf("%s%d%d", prefix, time.Now().UnixNano()%1e9, seq.Add(1))
}

// insertDjangoUser writes a user row as Django's create_user does and
// returns its id.
func insertDjangoUser(t *testing.T, env Env, username, email, hash string) string {
	t.Helper()
	ctx := context.Background()
	q := env.Rebind(`INSERT INTO auth_user (password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined)
		VALUES (?, NULL, ?, ?, '', '', ?, ?, ?, ?)`)
	if _, err := env.Raw.ExecContext(ctx, q, hash, false, username, email, false, true, env.Time(time.Now())); err != nil {
		t.Fatalf("inserting a Django user: %v", err)
	}
	var id int64
	if err := env.Raw.QueryRowContext(ctx, env.Rebind(`SELECT id FROM auth_user WHERE username = ?`), username).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(id)
}

// TestDjango runs the Django interoperability suite on env.
func TestDjango(t *testing.T, env Env) {
	ctx := context.Background()

	t.Run("user written by Django logs in at jwtd", func(t *testing.T) {
		name := unique("django-")
		id := insertDjangoUser(t, env, name, name+"@example.com", DjangoVector)
		// rehash_on_login off: the row must stay exactly as Django wrote it.
		s := env.Users(t, sdk.Config{"rehash_on_login": false})
		u, err := s.Authenticate(ctx, sdk.Credentials{"username": name, "password": DjangoVectorPassword})
		if err != nil {
			t.Fatalf("Authenticate: %v", err)
		}
		if u.ID != id || !u.IsActive || u.PasswordHash != DjangoVector || u.Attributes["email"] != name+"@example.com" || u.Attributes["is_staff"] != false {
			t.Fatalf("user = %+v, want id %s, active, Django's hash and attributes", u, id)
		}
		byEmail := env.Users(t, sdk.Config{"login_field": "email", "rehash_on_login": false})
		if fields, _ := byEmail.LoginFields(ctx); strings.Join(fields, ",") != "email,password" {
			t.Fatalf("LoginFields = %v", fields)
		}
		if u, err := byEmail.Authenticate(ctx, sdk.Credentials{"email": name + "@example.com", "password": DjangoVectorPassword}); err != nil || u.ID != id {
			t.Fatalf("login by email = %+v, %v", u, err)
		}
	})

	t.Run("user written by jwtd reads as Django reads it", func(t *testing.T) {
		name := unique("jwtd-")
		s := env.Users(t, nil)
		created, err := sdktest.Admin(t, s).CreateUser(ctx, sdk.NewUser{Username: name, Password: "pw-jwtd", IsActive: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RecordLogin(ctx, created.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		var hash, first, last, email string
		var staff, super, active bool
		var joined, lastLogin sql.NullTime
		err = env.Raw.QueryRowContext(ctx, env.Rebind(`SELECT password, first_name, last_name, email, is_staff, is_superuser, is_active, date_joined, last_login FROM auth_user WHERE username = ?`), name).
			Scan(&hash, &first, &last, &email, &staff, &super, &active, &joined, &lastLogin)
		if err != nil {
			t.Fatalf("reading jwtd's row as Django: %v", err)
		}
		if !strings.HasPrefix(hash, "pbkdf2_sha256$1000$") || first != "" || last != "" || email != "" || staff || super || !active {
			t.Fatalf("row = %q %q %q %q staff=%v super=%v active=%v; want Django's defaults and a pbkdf2_sha256 hash", hash, first, last, email, staff, super, active)
		}
		if ok, _ := passwords.Check("pw-jwtd", hash); !ok {
			t.Fatal("stored hash does not verify")
		}
		if d := time.Since(joined.Time); !joined.Valid || d < -time.Minute || d > time.Minute {
			t.Fatalf("date_joined = %v, want now", joined)
		}
		if d := time.Since(lastLogin.Time); !lastLogin.Valid || d < -time.Minute || d > time.Minute {
			t.Fatalf("last_login = %v, want now", lastLogin)
		}
	})

	t.Run("weaker Django hash upgraded on login", func(t *testing.T) {
		name := unique("upgrade-")
		insertDjangoUser(t, env, name, "", DjangoVector)
		s := env.Users(t, sdk.Config{"pbkdf2_iterations": 300000})
		u, err := s.Authenticate(ctx, sdk.Credentials{"username": name, "password": DjangoVectorPassword})
		if err != nil {
			t.Fatal(err)
		}
		var hash string
		if err := env.Raw.QueryRowContext(ctx, env.Rebind(`SELECT password FROM auth_user WHERE username = ?`), name).Scan(&hash); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(hash, "pbkdf2_sha256$300000$") || u.PasswordHash != hash {
			t.Fatalf("stored %q, user carries %q; want the upgrade to 300000 iterations", hash, u.PasswordHash)
		}
	})

	t.Run("blacklisted by Django, refused by jwtd", func(t *testing.T) {
		jti := unique("dj")
		exp := time.Now().Add(time.Hour)
		// Simple JWT's RefreshToken.blacklist(): get_or_create the
		// outstanding token by jti, then a BlacklistedToken pointing at it.
		if _, err := env.Raw.ExecContext(ctx, env.Rebind(`INSERT INTO token_blacklist_outstandingtoken (jti, token, created_at, expires_at, user_id) VALUES (?, ?, ?, ?, NULL)`),
			jti, "eyJ.raw.token", env.Time(time.Now()), env.Time(exp)); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Raw.ExecContext(ctx, env.Rebind(`INSERT INTO token_blacklist_blacklistedtoken (blacklisted_at, token_id) SELECT ?, id FROM token_blacklist_outstandingtoken WHERE jti = ?`),
			env.Time(time.Now()), jti); err != nil {
			t.Fatal(err)
		}
		bl := env.Blacklist(t)
		if listed, err := bl.IsBlacklisted(ctx, jti); err != nil || !listed {
			t.Fatalf("IsBlacklisted = %v, %v; want true", listed, err)
		}
		rec := sdk.TokenRecord{JTI: jti, UserID: "1", TokenType: "refresh", IssuedAt: time.Now(), ExpiresAt: exp}
		if added, err := bl.Blacklist(ctx, rec); err != nil || added {
			t.Fatalf("Blacklist of a token Django blacklisted = %v, %v; want false (a rotation must fail)", added, err)
		}
	})

	t.Run("blacklisted by jwtd, refused by Django", func(t *testing.T) {
		name := unique("owner-")
		uid := insertDjangoUser(t, env, name, "", DjangoVector)
		bl := env.Blacklist(t)
		cases := []struct{ userID, wantUser string }{
			{uid, uid},        // the user exists: the foreign key is set
			{"987654321", ""}, // gone: NULL, as on_delete=SET_NULL leaves it
			{"not-an-id", ""}, // not a key at all
		}
		for _, tc := range cases {
			jti := unique("jw")
			rec := sdk.TokenRecord{JTI: jti, UserID: tc.userID, TokenType: "refresh", IssuedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
			if err := bl.AddOutstanding(ctx, rec); err != nil {
				t.Fatal(err)
			}
			if added, err := bl.Blacklist(ctx, rec); err != nil || !added {
				t.Fatalf("Blacklist = %v, %v", added, err)
			}
			// Simple JWT's check_blacklist():
			// BlacklistedToken.objects.filter(token__jti=jti).exists()
			var n int
			if err := env.Raw.QueryRowContext(ctx, env.Rebind(`SELECT COUNT(*) FROM token_blacklist_blacklistedtoken INNER JOIN token_blacklist_outstandingtoken
				ON token_blacklist_blacklistedtoken.token_id = token_blacklist_outstandingtoken.id WHERE token_blacklist_outstandingtoken.jti = ?`), jti).Scan(&n); err != nil || n != 1 {
				t.Fatalf("Django's blacklist check finds %d rows, %v; want 1", n, err)
			}
			var user sql.NullInt64
			var token string
			if err := env.Raw.QueryRowContext(ctx, env.Rebind(`SELECT user_id, token FROM token_blacklist_outstandingtoken WHERE jti = ?`), jti).Scan(&user, &token); err != nil {
				t.Fatal(err)
			}
			got := ""
			if user.Valid {
				got = fmt.Sprint(user.Int64)
			}
			if got != tc.wantUser || token != fmt.Sprintf(sqlstore.DjangoTokenText, "refresh") {
				t.Fatalf("outstanding row user_id %q token %q; want user %q and the documented text", got, token, tc.wantUser)
			}
		}
	})

	t.Run("blacklist exactly once across stores", func(t *testing.T) {
		stores := []sdk.BlacklistStore{env.Blacklist(t), env.Blacklist(t)}
		rec := sdk.TokenRecord{JTI: unique("race"), UserID: "1", TokenType: "refresh", IssuedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
		var wins atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				added, err := stores[i%2].Blacklist(ctx, rec)
				if err != nil {
					t.Errorf("Blacklist: %v", err)
				}
				if added {
					wins.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d of 20 concurrent Blacklist calls over two stores won; want exactly 1", wins.Load())
		}
	})

	t.Run("flush expired as flushexpiredtokens", func(t *testing.T) {
		bl := env.Blacklist(t)
		old := sdk.TokenRecord{JTI: unique("old"), UserID: "1", TokenType: "refresh", IssuedAt: time.Now().Add(-2 * time.Hour), ExpiresAt: time.Now().Add(-time.Hour)}
		if added, err := bl.Blacklist(ctx, old); err != nil || !added {
			t.Fatalf("Blacklist = %v, %v", added, err)
		}
		n, err := bl.FlushExpired(ctx, time.Now())
		if err != nil || n < 2 {
			t.Fatalf("FlushExpired = %d, %v; want the outstanding and blacklisted rows gone", n, err)
		}
		var left int
		if err := env.Raw.QueryRowContext(ctx, env.Rebind(`SELECT COUNT(*) FROM token_blacklist_outstandingtoken WHERE jti = ?`), old.JTI).Scan(&left); err != nil || left != 0 {
			t.Fatalf("outstanding rows left: %d, %v", left, err)
		}
	})
}
