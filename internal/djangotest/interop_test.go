package djangotest_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/djangotest"
	"github.com/jwtd/jwtd/internal/jwtdtest"
	"github.com/jwtd/jwtd/plugins/sqlstore"
)

// jwtdBin is the jwtd binary built once for the interop tests, plugins the
// store plugin binaries they run out of process, by name.
var (
	jwtdBin string
	plugins = map[string]string{}
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jwtd-django-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	jwtdBin = filepath.Join(dir, "jwtd")
	build := map[string]string{jwtdBin: "../../host/cmd/jwtd"}
	for _, name := range []string{"postgres"} {
		plugins[name] = filepath.Join(dir, "jwtd-plugin-"+name)
		build[plugins[name]] = "../../plugins/" + name + "/cmd/jwtd-plugin-" + name
	}
	for out, pkg := range build {
		if err := jwtdtest.GoBuild(out, pkg); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// interopKey is the HS256 key Django's SIMPLE_JWT and jwtd's [tokens] share.
const interopKey = "interop-signing-key-shared-by-django-and-jwtd-0123456789"

// interopDB is one database Django and jwtd share in TestDjangoInterop:
// a kind, and jwtd's user store and blacklist store sections on a database
// of that kind, both on Django's tables (django = true).
type interopDB struct {
	name   string
	kind   kind
	stores func(d *database, customUser bool) string
}

// djangoStores is the two store sections with use, the connection line
// and django = true. pbkdf2_iterations is Django 3.2's default, the
// iteration count the Django beside it writes. With customUser the
// sections map the project's custom user model (accounts_user: UUID
// primary key, email as the login name and no username column; the
// obtain request's field stays "username").
func djangoStores(use, conn string, customUser bool) string {
	users, blacklist := "", ""
	if customUser {
		users = `table = "accounts_user"
id_type = "uuid"
username_column = "email"
attribute_columns = ["is_staff", "is_superuser", "date_joined"]
`
		blacklist = `user_table = "accounts_user"
user_id_type = "uuid"
`
	}
	return `
[plugins.user_store]
use = "` + use + `"
[plugins.user_store.config]
` + conn + `
django = true
pbkdf2_iterations = 260000
` + users + `
[plugins.blacklist_store]
use = "` + use + `"
[plugins.blacklist_store.config]
` + conn + `
django = true
` + blacklist
}

// databases are the databases the interop test runs on, with jwtd's
// built-in stores (in process), and PostgreSQL once more with the plugin
// binary (out of process).
var databases = []interopDB{
	{"sqlite", kinds[0], func(d *database, cu bool) string { return djangoStores("sqlite", `path = "`+d.dsn+`"`, cu) }},
	{"postgres", kinds[1], func(d *database, cu bool) string { return djangoStores("postgres", `dsn = "`+d.dsn+`"`, cu) }},
	{"postgres plugin", kinds[1], func(d *database, cu bool) string {
		return djangoStores(plugins["postgres"], `dsn = "`+d.dsn+`"`, cu)
	}},
	{"mysql", kinds[2], func(d *database, cu bool) string { return djangoStores("mysql", `dsn = "`+d.dsn+`"`, cu) }},
}

// databaseNamed is the entry of databases with that name.
func databaseNamed(t *testing.T, name string) interopDB {
	t.Helper()
	for _, db := range databases {
		if db.name == name {
			return db
		}
	}
	t.Fatalf("no database %q", name)
	return interopDB{}
}

// pair is Django's and jwtd's side of one database.
type pair struct {
	t      *testing.T
	django *djangotest.Server
	jwtd   *jwtdtest.Process
	config string
	db     *sql.DB
	// djangoSchema is Django's tables as its migrate left them, before
	// jwtd started.
	djangoSchema string
}

// jwtdCLI runs a jwtd command with the pair's config, the password on stdin.
func (p *pair) jwtdCLI(stdin string, args ...string) error {
	p.t.Helper()
	cmd := exec.Command(jwtdBin, append(args, "--config", p.config)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("jwtd %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return nil
}

// keys are the algorithm and keys Django and jwtd share; the zero value is
// HS256 with interopKey.
type keys struct {
	algorithm, signing, verifying string
	// tokens are extra [tokens] lines for jwtd (sessions, say).
	tokens string
}

// verifyingTOML is jwtd's verifying_key line, empty for HMAC.
func (k keys) verifyingTOML(t *testing.T) string {
	if k.verifying == "" {
		return ""
	}
	return `verifying_key = "file:` + keyFile(t, "verifying.pem", k.verifying) + `"`
}

// keyFile writes a key for jwtd's file: reference and returns its path.
func keyFile(t *testing.T, name, key string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startPair migrates a fresh database with Django, starts Django on it and
// jwtd beside it with the same key, algorithm and rotation settings and
// Django's tables as its stores.
func startPair(t *testing.T, db interopDB, k keys) *pair {
	return startPairWith(t, db, k, false)
}

// startPairWith is startPair, with Django's custom user model
// (djangotest.Options.CustomUser) when customUser is set.
func startPairWith(t *testing.T, db interopDB, k keys, customUser bool) *pair {
	if k.algorithm == "" {
		k = keys{algorithm: "HS256", signing: interopKey, tokens: k.tokens}
	}
	d := db.kind.server(t)(t, "interop")
	django := djangotest.Start(t, djangotest.Options{
		DB:                     d.django,
		SigningKey:             k.signing,
		VerifyingKey:           k.verifying,
		Algorithm:              k.algorithm,
		AccessLifetime:         5 * time.Minute,
		RefreshLifetime:        24 * time.Hour,
		RotateRefreshTokens:    true,
		BlacklistAfterRotation: true,
		UpdateLastLogin:        true,
		CustomUser:             customUser,
	})
	djangoSchema := db.kind.schema(t, d.db)
	config := filepath.Join(t.TempDir(), "jwtd.toml")
	toml := `[tokens]
algorithm = "` + k.algorithm + `"
signing_key = "file:` + keyFile(t, "signing.key", k.signing) + `"
` + k.verifyingTOML(t) + `
access_token_lifetime = "5m"
refresh_token_lifetime = "24h"
rotate_refresh_tokens = true
blacklist_after_rotation = true
update_last_login = true
` + k.tokens + `
` + db.stores(d, customUser)
	if err := os.WriteFile(config, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := jwtdtest.FreeAddr(t)
	cmd := exec.Command(jwtdBin, "serve", "--config", config, "--listen", addr)
	proc := jwtdtest.Start(t, cmd, "http://"+addr, jwtdtest.Options{ReadyPath: "/readyz", StopTimeout: 10 * time.Second})
	return &pair{t: t, django: django, jwtd: proc, config: config, db: d.db, djangoSchema: djangoSchema}
}

// jtiPattern is Simple JWT's jti: uuid4().hex.
var jtiPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// outstanding returns the token text and user id of token's row in Simple
// JWT's outstanding token table, as Django's admin shows them.
func (p *pair) outstanding(t *testing.T, token string) (text, user string) {
	t.Helper()
	parts := strings.Split(token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct{ JTI string }
	if err := json.Unmarshal(payload, &claims); err != nil || !jtiPattern.MatchString(claims.JTI) {
		t.Fatalf("jti of %s: %q %v", payload, claims.JTI, err)
	}
	// The jti is 32 hex digits: safe in the statement, which then needs
	// no dialect's placeholder.
	var uid sql.NullString
	err = p.db.QueryRow("SELECT token, user_id FROM token_blacklist_outstandingtoken WHERE jti = '"+claims.JTI+"'").Scan(&text, &uid)
	if err != nil {
		t.Fatalf("outstanding row of jti %s: %v", claims.JTI, err)
	}
	return text, uid.String
}

// passwordHash is the user's stored hash in auth_user.
func (p *pair) passwordHash(t *testing.T, username string) string {
	t.Helper()
	var hash string
	// The names are the test's own: safe in the statement.
	if err := p.db.QueryRow("SELECT password FROM auth_user WHERE username = '" + username + "'").Scan(&hash); err != nil {
		t.Fatalf("%s's hash: %v", username, err)
	}
	return hash
}

// Paths of Simple JWT's views in the Django project and of jwtd's
// endpoints: the same API.
const (
	obtain    = "/api/token/"
	refresh   = "/api/token/refresh/"
	verify    = "/api/token/verify/"
	blacklist = "/api/token/blacklist/"
)

// TestDjangoInterop runs the real Django + Simple JWT and the real jwtd
// binary on one database, with the same signing key and algorithm, jwtd's
// stores on Django's auth_user and token_blacklist tables (django = true),
// rotation with blacklist-after-rotation and update-last-login on both
// sides. Users, passwords, deactivations, last logins and tokens (pairs and
// sliding) must cross both ways, and a logout or a rotation on either side
// must hold on the other.
func TestDjangoInterop(t *testing.T) {
	for _, db := range databases {
		t.Run(db.name, func(t *testing.T) {
			p := startPair(t, db, keys{})
			dj, jw := p.django.URL, p.jwtd.URL

			// erin is Django's: create_user with Django's default hasher.
			// The token cases use her, so they do not depend on the
			// password cases.
			erin := djangotest.Post(t, dj+"/django/users/", map[string]string{"username": "erin", "password": "erin-pass-1"})
			if erin.Status != 200 {
				t.Fatalf("Django create_user: %v", erin)
			}
			erinID := fmt.Sprint(erin.Body["id"])

			// djangoPair and jwtdPair obtain a fresh pair for erin.
			djangoPair := func(t *testing.T) (string, string) {
				t.Helper()
				r := djangotest.Post(t, dj+obtain, map[string]string{"username": "erin", "password": "erin-pass-1"})
				if r.Status != 200 || r.Str("refresh") == "" {
					t.Fatalf("obtain at Django: %v", r)
				}
				return r.Str("access"), r.Str("refresh")
			}
			jwtdPair := func(t *testing.T) (string, string) {
				t.Helper()
				r := djangotest.Post(t, jw+obtain, map[string]string{"username": "erin", "password": "erin-pass-1"})
				if r.Status != 200 || r.Str("refresh") == "" {
					t.Fatalf("obtain at jwtd: %v", r)
				}
				return r.Str("access"), r.Str("refresh")
			}
			// userAt checks that an access token authenticates erin at
			// Django's JWTAuthentication or jwtd's authenticate endpoint.
			userAt := func(t *testing.T, side, access string) {
				t.Helper()
				path := map[string]string{dj: "/api/me/", jw: "/api/authenticate/"}[side]
				r := djangotest.Call(t, "GET", side+path, access, nil)
				if r.Status != 200 || r.Str("username") != "erin" || fmt.Sprint(r.Body["id"]) != erinID {
					t.Fatalf("authenticate at %s: %v", side, r)
				}
			}
			// refused checks that side refuses a refresh token as blacklisted.
			refused := func(t *testing.T, side, what, refreshToken string) {
				t.Helper()
				r := djangotest.Post(t, side+refresh, map[string]string{"refresh": refreshToken})
				if r.Status != 401 || r.Str("detail") != "Token is blacklisted" {
					t.Fatalf("%s: refresh at %s = %v, want 401 Token is blacklisted", what, side, r)
				}
			}
			// rotate refreshes at side and returns the new refresh token.
			rotate := func(t *testing.T, side, refreshToken string) (string, string) {
				t.Helper()
				r := djangotest.Post(t, side+refresh, map[string]string{"refresh": refreshToken})
				if r.Status != 200 || r.Str("access") == "" || r.Str("refresh") == "" || r.Str("refresh") == refreshToken {
					t.Fatalf("refresh at %s: %v", side, r)
				}
				return r.Str("access"), r.Str("refresh")
			}

			t.Run("user added by jwtd logs in at Django", func(t *testing.T) {
				if err := p.jwtdCLI("dave-pass-1\n", "user", "add", "dave"); err != nil {
					t.Fatal(err)
				}
				// Django's own password check: authenticate().
				r := djangotest.Post(t, dj+"/django/login/", map[string]string{"username": "dave", "password": "dave-pass-1"})
				if r.Status != 200 || r.Str("username") != "dave" {
					t.Fatalf("Django's authenticate() for a user jwtd added: %v", r)
				}
				if r := djangotest.Post(t, dj+obtain, map[string]string{"username": "dave", "password": "dave-pass-1"}); r.Status != 200 {
					t.Fatalf("Simple JWT obtain for a user jwtd added: %v", r)
				}
				if r := djangotest.Post(t, dj+"/django/login/", map[string]string{"username": "dave", "password": "wrong"}); r.Status != 401 {
					t.Fatalf("Django accepted a wrong password: %v", r)
				}
			})

			t.Run("logins on both sides keep the stored hash", func(t *testing.T) {
				// With jwtd's pbkdf2_iterations at the Django's own count,
				// neither side's hash upgrade on login rewrites what the
				// other wrote (which would also revoke tokens under
				// check_revoke_token).
				if r := djangotest.Post(t, dj+"/django/users/", map[string]string{"username": "gina", "password": "gina-pass"}); r.Status != 200 {
					t.Fatalf("Django create_user: %v", r)
				}
				if err := p.jwtdCLI("hank-pass\n", "user", "add", "hank"); err != nil {
					t.Fatal(err)
				}
				for _, name := range []string{"gina", "hank"} {
					before := p.passwordHash(t, name)
					for i := 0; i < 2; i++ {
						if r := djangotest.Post(t, jw+obtain, map[string]string{"username": name, "password": name + "-pass"}); r.Status != 200 {
							t.Fatalf("login at jwtd: %v", r)
						}
						if r := djangotest.Post(t, dj+"/django/login/", map[string]string{"username": name, "password": name + "-pass"}); r.Status != 200 {
							t.Fatalf("login at Django: %v", r)
						}
					}
					if after := p.passwordHash(t, name); after != before {
						t.Fatalf("%s's hash changed by logins: %s -> %s", name, before, after)
					}
				}
			})

			t.Run("password changed by jwtd logs in at Django", func(t *testing.T) {
				if r := djangotest.Post(t, dj+"/django/users/", map[string]string{"username": "frank", "password": "frank-old"}); r.Status != 200 {
					t.Fatalf("Django create_user: %v", r)
				}
				if err := p.jwtdCLI("frank-new\n", "user", "passwd", "frank"); err != nil {
					t.Fatal(err)
				}
				if r := djangotest.Post(t, dj+"/django/login/", map[string]string{"username": "frank", "password": "frank-new"}); r.Status != 200 {
					t.Fatalf("Django's authenticate() after jwtd user passwd: %v", r)
				}
				if r := djangotest.Post(t, dj+"/django/login/", map[string]string{"username": "frank", "password": "frank-old"}); r.Status != 401 {
					t.Fatalf("Django accepted the old password: %v", r)
				}
			})

			t.Run("user added by Django logs in at jwtd", func(t *testing.T) {
				access, _ := jwtdPair(t)
				userAt(t, jw, access)
				if r := djangotest.Post(t, jw+obtain, map[string]string{"username": "erin", "password": "wrong"}); r.Status != 401 {
					t.Fatalf("jwtd accepted a wrong password: %v", r)
				}
			})

			t.Run("password changed by Django logs in at jwtd", func(t *testing.T) {
				// carol is added through jwtd (whatever hash it writes) and
				// changed by Django's set_password().
				if err := p.jwtdCLI("carol-old\n", "user", "add", "carol"); err != nil {
					t.Fatal(err)
				}
				if r := djangotest.Post(t, dj+"/django/password/", map[string]string{"username": "carol", "password": "carol-new"}); r.Status != 200 || !strings.HasPrefix(r.Str("password"), "pbkdf2_sha256$") {
					t.Fatalf("Django set_password(): %v", r)
				}
				if r := djangotest.Post(t, jw+obtain, map[string]string{"username": "carol", "password": "carol-new"}); r.Status != 200 {
					t.Fatalf("jwtd login with the password Django set: %v", r)
				}
				if r := djangotest.Post(t, jw+obtain, map[string]string{"username": "carol", "password": "carol-old"}); r.Status != 401 {
					t.Fatalf("jwtd accepted the password Django replaced: %v", r)
				}
			})

			t.Run("last login at jwtd is read by Django", func(t *testing.T) {
				// kate, new, has never logged in: last_login is NULL.
				if r := djangotest.Post(t, dj+"/django/users/", map[string]string{"username": "kate", "password": "kate-pass"}); r.Status != 200 {
					t.Fatalf("Django create_user: %v", r)
				}
				before := time.Now().Add(-2 * time.Second)
				r := djangotest.Post(t, jw+obtain, map[string]string{"username": "kate", "password": "kate-pass"})
				if r.Status != 200 {
					t.Fatalf("obtain at jwtd: %v", r)
				}
				access := r.Str("access")
				after := time.Now().Add(2 * time.Second)
				me := djangotest.Call(t, "GET", dj+"/api/me/", access, nil)
				at, err := time.Parse(time.RFC3339Nano, me.Str("last_login"))
				if me.Status != 200 || err != nil || at.Before(before) || at.After(after) {
					t.Fatalf("Django's user.last_login after a login at jwtd: %v (%v), want between %v and %v", me, err, before, after)
				}
			})

			t.Run("deactivation crosses", func(t *testing.T) {
				// ivan is deactivated by Django: jwtd refuses his login
				// and his refresh token.
				if r := djangotest.Post(t, dj+"/django/users/", map[string]string{"username": "ivan", "password": "ivan-pass"}); r.Status != 200 {
					t.Fatalf("Django create_user: %v", r)
				}
				ivan := djangotest.Post(t, jw+obtain, map[string]string{"username": "ivan", "password": "ivan-pass"})
				if ivan.Status != 200 {
					t.Fatalf("obtain at jwtd: %v", ivan)
				}
				if r := djangotest.Post(t, dj+"/django/active/", map[string]any{"username": "ivan", "is_active": false}); r.Status != 200 {
					t.Fatalf("Django is_active = False: %v", r)
				}
				if r := djangotest.Post(t, jw+obtain, map[string]string{"username": "ivan", "password": "ivan-pass"}); r.Status != 401 {
					t.Fatalf("jwtd login of a user Django deactivated: %v", r)
				}
				if r := djangotest.Post(t, jw+refresh, map[string]string{"refresh": ivan.Str("refresh")}); r.Status != 401 {
					t.Fatalf("jwtd refresh for a user Django deactivated: %v", r)
				}
				// judy is deactivated by jwtd: Django refuses her login and
				// her access token.
				if r := djangotest.Post(t, dj+"/django/users/", map[string]string{"username": "judy", "password": "judy-pass"}); r.Status != 200 {
					t.Fatalf("Django create_user: %v", r)
				}
				judy := djangotest.Post(t, dj+obtain, map[string]string{"username": "judy", "password": "judy-pass"})
				if judy.Status != 200 {
					t.Fatalf("obtain at Django: %v", judy)
				}
				if err := p.jwtdCLI("", "user", "deactivate", "judy"); err != nil {
					t.Fatal(err)
				}
				if r := djangotest.Post(t, dj+"/django/login/", map[string]string{"username": "judy", "password": "judy-pass"}); r.Status != 401 {
					t.Fatalf("Django's authenticate() of a user jwtd deactivated: %v", r)
				}
				if r := djangotest.Call(t, "GET", dj+"/api/me/", judy.Str("access"), nil); r.Status != 401 {
					t.Fatalf("Django's JWTAuthentication of a user jwtd deactivated: %v", r)
				}
			})

			t.Run("sliding tokens cross both ways", func(t *testing.T) {
				for _, c := range []struct{ from, to string }{{dj, jw}, {jw, dj}} {
					r := djangotest.Post(t, c.from+"/api/token/sliding/", map[string]string{"username": "erin", "password": "erin-pass-1"})
					if r.Status != 200 || r.Str("token") == "" {
						t.Fatalf("sliding obtain at %s: %v", c.from, r)
					}
					if v := djangotest.Post(t, c.to+verify, map[string]string{"token": r.Str("token")}); v.Status != 200 {
						t.Fatalf("verify at %s a sliding token from %s: %v", c.to, c.from, v)
					}
					next := djangotest.Post(t, c.to+"/api/token/sliding/refresh/", map[string]string{"token": r.Str("token")})
					if next.Status != 200 || next.Str("token") == "" {
						t.Fatalf("sliding refresh at %s of a token from %s: %v", c.to, c.from, next)
					}
					if back := djangotest.Post(t, c.from+"/api/token/sliding/refresh/", map[string]string{"token": next.Str("token")}); back.Status != 200 {
						t.Fatalf("sliding refresh back at %s: %v", c.from, back)
					}
				}
			})

			t.Run("tokens from Django work at jwtd", func(t *testing.T) {
				access, refreshToken := djangoPair(t)
				if r := djangotest.Post(t, jw+verify, map[string]string{"token": access}); r.Status != 200 {
					t.Fatalf("verify Django's access token at jwtd: %v", r)
				}
				if r := djangotest.Post(t, jw+verify, map[string]string{"token": refreshToken}); r.Status != 200 {
					t.Fatalf("verify Django's refresh token at jwtd: %v", r)
				}
				userAt(t, jw, access)
				newAccess, newRefresh := rotate(t, jw, refreshToken)
				// What jwtd issued from Django's token works at Django.
				userAt(t, dj, newAccess)
				if r := djangotest.Post(t, dj+verify, map[string]string{"token": newRefresh}); r.Status != 200 {
					t.Fatalf("verify at Django the refresh token jwtd rotated to: %v", r)
				}
			})

			t.Run("tokens from jwtd work at Django", func(t *testing.T) {
				access, refreshToken := jwtdPair(t)
				if r := djangotest.Post(t, dj+verify, map[string]string{"token": access}); r.Status != 200 {
					t.Fatalf("verify jwtd's access token at Django: %v", r)
				}
				if r := djangotest.Post(t, dj+verify, map[string]string{"token": refreshToken}); r.Status != 200 {
					t.Fatalf("verify jwtd's refresh token at Django: %v", r)
				}
				userAt(t, dj, access)
				newAccess, newRefresh := rotate(t, dj, refreshToken)
				userAt(t, jw, newAccess)
				if r := djangotest.Post(t, jw+verify, map[string]string{"token": newRefresh}); r.Status != 200 {
					t.Fatalf("verify at jwtd the refresh token Django rotated to: %v", r)
				}
			})

			t.Run("logout at jwtd holds at Django", func(t *testing.T) {
				for issuer, obtainPair := range map[string]func(*testing.T) (string, string){"Django": djangoPair, "jwtd": jwtdPair} {
					_, refreshToken := obtainPair(t)
					if r := djangotest.Post(t, jw+blacklist, map[string]string{"refresh": refreshToken}); r.Status != 200 {
						t.Fatalf("blacklist at jwtd: %v", r)
					}
					refused(t, dj, "a "+issuer+" refresh token blacklisted at jwtd", refreshToken)
					refused(t, jw, "a "+issuer+" refresh token blacklisted at jwtd", refreshToken)
					if r := djangotest.Post(t, dj+verify, map[string]string{"token": refreshToken}); r.Status == 200 {
						t.Fatalf("Django's verify accepts a %s refresh token blacklisted at jwtd: %v", issuer, r)
					}
					// What Django's admin lists: the outstanding row (Django's
					// own with the raw token, or jwtd's with a placeholder:
					// jwtd keeps no raw tokens) with erin as its user.
					wantText := refreshToken
					if issuer == "jwtd" {
						wantText = fmt.Sprintf(sqlstore.DjangoTokenText, "refresh")
					}
					if text, user := p.outstanding(t, refreshToken); text != wantText || user != erinID {
						t.Fatalf("%s token's outstanding row: token %q user %q, want %q and %s", issuer, text, user, wantText, erinID)
					}
				}
			})

			t.Run("logout at Django holds at jwtd", func(t *testing.T) {
				for issuer, obtainPair := range map[string]func(*testing.T) (string, string){"Django": djangoPair, "jwtd": jwtdPair} {
					_, refreshToken := obtainPair(t)
					if r := djangotest.Post(t, dj+blacklist, map[string]string{"refresh": refreshToken}); r.Status != 200 {
						t.Fatalf("blacklist at Django: %v", r)
					}
					refused(t, jw, "a "+issuer+" refresh token blacklisted at Django", refreshToken)
					refused(t, dj, "a "+issuer+" refresh token blacklisted at Django", refreshToken)
					if r := djangotest.Post(t, jw+verify, map[string]string{"token": refreshToken}); r.Status == 200 {
						t.Fatalf("jwtd's verify accepts a %s refresh token blacklisted at Django: %v", issuer, r)
					}
					if r := djangotest.Post(t, jw+blacklist, map[string]string{"refresh": refreshToken}); r.Status != 401 {
						t.Fatalf("blacklisting again at jwtd what Django blacklisted: %v", r)
					}
				}
			})

			t.Run("rotation at Django holds at jwtd", func(t *testing.T) {
				_, r1 := djangoPair(t)
				_, r2 := rotate(t, dj, r1)
				refused(t, jw, "a refresh token Django rotated", r1)
				// The token Django rotated to rotates at jwtd, and that
				// holds at Django in turn.
				_, r3 := rotate(t, jw, r2)
				refused(t, dj, "a refresh token jwtd rotated", r2)
				rotate(t, dj, r3)
			})

			t.Run("rotation at jwtd holds at Django", func(t *testing.T) {
				_, r1 := jwtdPair(t)
				_, r2 := rotate(t, jw, r1)
				refused(t, dj, "a refresh token jwtd rotated", r1)
				_, r3 := rotate(t, dj, r2)
				refused(t, jw, "a refresh token Django rotated", r2)
				rotate(t, jw, r3)
			})

			t.Run("Django's tables are as Django left them", func(t *testing.T) {
				// jwtd wrote rows into them all along, and may have added
				// tables of its own (jwtd_*), but never created or altered
				// one of Django's.
				if after := db.kind.schema(t, p.db); after != p.djangoSchema {
					t.Fatalf("Django's schema changed while jwtd ran:\n--- before\n%s--- after\n%s", p.djangoSchema, after)
				}
			})
		})
	}
}

// pemKeys returns key's private key (PKCS #8) and public key (PKIX) in PEM.
func pemKeys(t *testing.T, key crypto.Signer) (private, public string) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
}

// TestDjangoInteropAsymmetric: with an RSA or ECDSA key pair shared (the
// private key as SIGNING_KEY and signing_key, the public one as
// VERIFYING_KEY and verifying_key), pairs obtained on either side are
// verified, authenticated and refreshed on the other.
func TestDjangoInteropAsymmetric(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		algorithm string
		key       crypto.Signer
	}{{"RS256", rsaKey}, {"ES256", ecKey}} {
		t.Run(c.algorithm, func(t *testing.T) {
			private, public := pemKeys(t, c.key)
			p := startPair(t, databaseNamed(t, "sqlite"), keys{algorithm: c.algorithm, signing: private, verifying: public})
			dj, jw := p.django.URL, p.jwtd.URL
			if r := djangotest.Post(t, dj+"/django/users/", map[string]string{"username": "erin", "password": "erin-pass"}); r.Status != 200 {
				t.Fatalf("Django create_user: %v", r)
			}
			for _, side := range []struct{ from, to, meAtTo string }{
				{dj, jw, "/api/authenticate/"}, {jw, dj, "/api/me/"},
			} {
				pair := djangotest.Post(t, side.from+obtain, map[string]string{"username": "erin", "password": "erin-pass"})
				if pair.Status != 200 {
					t.Fatalf("obtain at %s: %v", side.from, pair)
				}
				header, _, _ := strings.Cut(pair.Str("access"), ".")
				if h, _ := base64.RawURLEncoding.DecodeString(header); !strings.Contains(string(h), `"`+c.algorithm+`"`) {
					t.Fatalf("token header %s, want alg %s", h, c.algorithm)
				}
				if r := djangotest.Post(t, side.to+verify, map[string]string{"token": pair.Str("access")}); r.Status != 200 {
					t.Fatalf("verify at %s a token from %s: %v", side.to, side.from, r)
				}
				if r := djangotest.Call(t, "GET", side.to+side.meAtTo, pair.Str("access"), nil); r.Status != 200 || r.Str("username") != "erin" {
					t.Fatalf("authenticate at %s a token from %s: %v", side.to, side.from, r)
				}
				next := djangotest.Post(t, side.to+refresh, map[string]string{"refresh": pair.Str("refresh")})
				if next.Status != 200 {
					t.Fatalf("refresh at %s a token from %s: %v", side.to, side.from, next)
				}
				if r := djangotest.Post(t, side.from+verify, map[string]string{"token": next.Str("access")}); r.Status != 200 {
					t.Fatalf("verify back at %s: %v", side.from, r)
				}
				// A token signed with another key of the algorithm is
				// refused on both sides.
				forged := pair.Str("access")
				forged = forged[:strings.LastIndex(forged, ".")+1] + strings.Repeat("A", len(forged)-strings.LastIndex(forged, ".")-1)
				for _, u := range []string{dj, jw} {
					if r := djangotest.Post(t, u+verify, map[string]string{"token": forged}); r.Status != 401 {
						t.Fatalf("verify at %s a token with a bad signature: %v", u, r)
					}
				}
			}
		})
	}
}

// TestDjangoInteropCustomUser: a project with a custom user model (email as
// USERNAME_FIELD, no username column, UUID primary key) shares it with jwtd
// on each database: a user added on either side logs in on the other (at
// jwtd also with Simple JWT's body, {"email", "password"}), tokens (whose
// user_id is the UUID) authenticate and refresh on both sides, and a
// rotation on either side holds on the other.
func TestDjangoInteropCustomUser(t *testing.T) {
	// SQLite is left out: its store serves integer keys only.
	for _, db := range []interopDB{databaseNamed(t, "postgres"), databaseNamed(t, "mysql")} {
		t.Run(db.name, func(t *testing.T) {
			p := startPairWith(t, db, keys{}, true)
			dj, jw := p.django.URL, p.jwtd.URL
			login := func(email, password string) map[string]string {
				return map[string]string{"email": email, "password": password}
			}

			ann := djangotest.Post(t, dj+"/django/users/", map[string]string{"username": "ann@example.com", "password": "ann-pass"})
			if ann.Status != 200 {
				t.Fatalf("Django create_user: %v", ann)
			}
			annID := fmt.Sprint(ann.Body["id"])
			t.Run("user added by jwtd logs in at Django", func(t *testing.T) {
				if err := p.jwtdCLI("bob-pass\n", "user", "add", "bob@example.com"); err != nil {
					t.Fatal(err)
				}
				if r := djangotest.Post(t, dj+"/django/login/", map[string]string{"username": "bob@example.com", "password": "bob-pass"}); r.Status != 200 {
					t.Fatalf("Django's authenticate() for a user jwtd added: %v", r)
				}
				if r := djangotest.Post(t, dj+obtain, login("bob@example.com", "bob-pass")); r.Status != 200 {
					t.Fatalf("Simple JWT obtain for a user jwtd added: %v", r)
				}
			})

			t.Run("Simple JWT's login body at jwtd", func(t *testing.T) {
				// Simple JWT's obtain takes USERNAME_FIELD: {"email",
				// "password"}. A second jwtd on the same tables with
				// login_field = "email" must take the same body.
				data, err := os.ReadFile(p.config)
				if err != nil {
					t.Fatal(err)
				}
				cfg := filepath.Join(t.TempDir(), "jwtd.toml")
				toml := strings.Replace(string(data), `username_column = "email"`, "username_column = \"email\"\nlogin_field = \"email\"", 1)
				if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
					t.Fatal(err)
				}
				addr := jwtdtest.FreeAddr(t)
				second := jwtdtest.Start(t, exec.Command(jwtdBin, "serve", "--config", cfg, "--listen", addr), "http://"+addr, jwtdtest.Options{StopTimeout: 10 * time.Second})
				if r := djangotest.Post(t, second.URL+obtain, login("ann@example.com", "ann-pass")); r.Status != 200 {
					t.Fatalf("obtain at jwtd with {email, password}: %v", r)
				}
			})

			t.Run("tokens and rotations cross with UUID user ids", func(t *testing.T) {
				fromDjango := djangotest.Post(t, dj+obtain, login("ann@example.com", "ann-pass"))
				fromJwtd := djangotest.Post(t, jw+obtain, map[string]string{"username": "ann@example.com", "password": "ann-pass"})
				if fromDjango.Status != 200 || fromJwtd.Status != 200 {
					t.Fatalf("obtain: Django %v, jwtd %v", fromDjango, fromJwtd)
				}
				for _, c := range []struct {
					what, path, access string
					url                string
				}{
					{"Django's token at jwtd", "/api/authenticate/", fromDjango.Str("access"), jw},
					{"jwtd's token at Django", "/api/me/", fromJwtd.Str("access"), dj},
				} {
					r := djangotest.Call(t, "GET", c.url+c.path, c.access, nil)
					if r.Status != 200 || strings.ReplaceAll(fmt.Sprint(r.Body["id"]), "-", "") != strings.ReplaceAll(annID, "-", "") {
						t.Fatalf("%s: %v, want ann (%s)", c.what, r, annID)
					}
				}
				// Each side refreshes (rotates) the other's token, blacklisting
				// it in the token_blacklist tables, whose user is the UUID: the
				// other side then refuses it.
				for _, c := range []struct{ issuer, rotator, refreshToken string }{
					{dj, jw, fromDjango.Str("refresh")},
					{jw, dj, fromJwtd.Str("refresh")},
				} {
					r := djangotest.Post(t, c.rotator+refresh, map[string]string{"refresh": c.refreshToken})
					if r.Status != 200 || r.Str("refresh") == "" {
						t.Fatalf("refresh at %s a token from %s: %v", c.rotator, c.issuer, r)
					}
					if r := djangotest.Post(t, c.issuer+refresh, map[string]string{"refresh": c.refreshToken}); r.Status != 401 || r.Str("detail") != "Token is blacklisted" {
						t.Fatalf("refresh at %s a token %s rotated: %v, want 401 Token is blacklisted", c.issuer, c.rotator, r)
					}
					if r := djangotest.Post(t, c.issuer+refresh, map[string]string{"refresh": r.Str("refresh")}); r.Status != 200 {
						t.Fatalf("refresh at %s the token %s rotated to: %v", c.issuer, c.rotator, r)
					}
				}
			})
		})
	}
}
