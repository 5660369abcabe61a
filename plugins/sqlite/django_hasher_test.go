package sqlite_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/passwords"
)

// TestDjangoTableGetsDjangoHashes: on Django's auth_user, `jwtd user add`
// and `jwtd user passwd` write pbkdf2_sha256 (which a stock Django checks)
// unless another hasher is configured. jwtd used to write argon2 there,
// which locked the user out of a Django without argon2-cffi.
func TestDjangoTableGetsDjangoHashes(t *testing.T) {
	cases := []struct {
		name   string
		cfg    sdk.Config
		prefix string
	}{
		{"default pbkdf2_sha256", sdk.Config{}, "pbkdf2_sha256$1000$"},
		{"bcrypt_sha256 when configured", sdk.Config{"hasher": "bcrypt_sha256", "bcrypt_rounds": 4}, "bcrypt_sha256$$2a$04$"},
		{"argon2 when configured", sdk.Config{"hasher": "argon2"}, "argon2$argon2id$"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			path := dbPath(t)
			createDjangoTable(t, path)
			cfg := cheapArgon2(sdk.Config{"path": path, "django": true})
			for k, v := range tc.cfg {
				cfg[k] = v
			}
			s := openUsers(t, cfg)
			if _, err := s.CreateUser(ctx, sdk.NewUser{Username: "dave", Password: "pw-one", IsActive: true}); err != nil {
				t.Fatal(err)
			}
			stored := func() string {
				var h string
				if err := rawDB(t, path).QueryRow(`SELECT password FROM auth_user WHERE username = 'dave'`).Scan(&h); err != nil {
					t.Fatal(err)
				}
				return h
			}
			if h := stored(); !strings.HasPrefix(h, tc.prefix) {
				t.Fatalf("CreateUser stored %q, want prefix %q", h, tc.prefix)
			}
			if err := s.SetPassword(ctx, "dave", "pw-two"); err != nil {
				t.Fatal(err)
			}
			h := stored()
			if ok, _ := passwords.Check("pw-two", h); !ok || !strings.HasPrefix(h, tc.prefix) {
				t.Fatalf("SetPassword stored %q, want prefix %q verifying pw-two", h, tc.prefix)
			}
		})
	}
}

// TestRehashOnLogin: a login whose stored hash is weaker than the
// configured hasher's is rewritten, as Django's check_password does; never
// to fewer iterations, and not at all with rehash_on_login = false.
func TestRehashOnLogin(t *testing.T) {
	low, _ := passwords.HashPBKDF2SHA256("pw", 500)
	high, _ := passwords.HashPBKDF2SHA256("pw", 2000)
	md5 := "md5$seasalt$" + md5hex("seasalt"+"pw")
	cases := []struct {
		name     string
		stored   string
		rehash   bool
		upgraded bool
	}{
		{"fewer iterations upgraded", low, true, true},
		{"legacy md5 upgraded", md5, true, true},
		{"more iterations kept", high, true, false},
		{"off by config", low, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			path := dbPath(t)
			createDjangoTable(t, path)
			db := rawDB(t, path)
			if _, err := db.Exec(`INSERT INTO auth_user (password, is_superuser, username, last_name, email, is_staff, is_active, date_joined, first_name)
				VALUES (?, 0, 'erin', '', '', 0, 1, '2026-01-02 03:04:05', '')`, tc.stored); err != nil {
				t.Fatal(err)
			}
			s := openUsers(t, cheapArgon2(sdk.Config{"path": path, "django": true, "rehash_on_login": tc.rehash}))
			u, err := s.Authenticate(ctx, sdk.Credentials{"username": "erin", "password": "pw"})
			if err != nil {
				t.Fatal(err)
			}
			var now string
			if err := db.QueryRow(`SELECT password FROM auth_user WHERE username = 'erin'`).Scan(&now); err != nil {
				t.Fatal(err)
			}
			if got := now != tc.stored; got != tc.upgraded {
				t.Fatalf("stored hash changed = %v, want %v (now %q)", got, tc.upgraded, now)
			}
			if tc.upgraded && (!strings.HasPrefix(now, "pbkdf2_sha256$1000$") || u.PasswordHash != now) {
				t.Fatalf("upgraded to %q (user carries %q); want pbkdf2_sha256$1000$..., carried by the user", now, u.PasswordHash)
			}
			if _, err := s.Authenticate(ctx, sdk.Credentials{"username": "erin", "password": "pw"}); err != nil {
				t.Fatalf("login after the upgrade: %v", err)
			}
		})
	}
}
