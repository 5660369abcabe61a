package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/djangotest"
	"github.com/jwtd/jwtd/plugins/sqlite"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/passwords"
)

// djangoDatetime is how Django's SQLite backend writes an aware datetime
// under USE_TZ = True, and what its parse_datetime reads.
var djangoDatetime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$`)

func TestUserStoreConfig(t *testing.T) {
	path := dbPath(t)
	tests := []struct {
		name string
		cfg  sdk.Config
	}{
		{"missing path", sdk.Config{}},
		{"unknown key", sdk.Config{"path": path, "tabel": "users"}},
		{"wrong type", sdk.Config{"path": path, "migrate": "yes"}},
		{"table not an identifier", sdk.Config{"path": path, "table": `users"; DROP TABLE x; --`}},
		{"column not an identifier", sdk.Config{"path": path, "password_column": "pass word"}},
		{"django with migrate", sdk.Config{"path": path, "django": true, "migrate": true}},
		{"attribute columns with migrate", sdk.Config{"path": path, "attribute_columns": []any{"email"}}},
		{"attribute column mapped twice", sdk.Config{"path": path, "migrate": false, "attribute_columns": []any{"username"}}},
		{"login field password", sdk.Config{"path": path, "login_field": "password"}},
		{"argon2 memory below lanes", sdk.Config{"path": path, "argon2_memory_cost": 8, "argon2_parallelism": 8}},
		{"negative argon2 cost", sdk.Config{"path": path, "argon2_time_cost": -1}},
		{"missing table without migrate", sdk.Config{"path": path, "migrate": false}},
		{"missing column", sdk.Config{"path": path, "django": true}},
		{"login field without column", sdk.Config{"path": path, "attributes_column": "", "login_field": "email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sqlite.NewUserStore(context.Background(), tt.cfg)
			if err == nil {
				s.(*sqlite.UserStore).Close()
				t.Fatal("config accepted")
			}
			if !errors.Is(err, sdk.ErrInvalidConfig) {
				t.Fatalf("err = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

func TestUserStoreMethods(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	s := openUsers(t, cheapArgon2(sdk.Config{"path": path}))

	if f, _ := s.LoginFields(ctx); strings.Join(f, ",") != "username,password" {
		t.Fatalf("LoginFields = %v", f)
	}
	alice, err := s.CreateUser(ctx, sdk.NewUser{Username: "alice", Password: "alice-pass", IsActive: true,
		Attributes: map[string]any{"email": "alice@example.com", "level": 7}})
	if err != nil {
		t.Fatal(err)
	}
	if alice.ID != "1" || alice.Username != "alice" || !alice.IsActive || alice.Attributes["email"] != "alice@example.com" {
		t.Fatalf("CreateUser = %+v", alice)
	}
	if passwords.Algorithm(alice.PasswordHash) != "argon2" || !strings.HasPrefix(alice.PasswordHash, "argon2$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("new hash %q is not argon2id with the configured params", alice.PasswordHash)
	}
	if _, err := s.CreateUser(ctx, sdk.NewUser{Username: "alice", Password: "x"}); !errors.Is(err, sdk.ErrUserExists) {
		t.Fatalf("duplicate CreateUser: %v", err)
	}
	if _, err := s.CreateUser(ctx, sdk.NewUser{Username: "", Password: "x"}); err == nil {
		t.Fatal("CreateUser without username accepted")
	}
	if _, err := s.CreateUser(ctx, sdk.NewUser{Username: "big", Password: strings.Repeat("x", passwords.MaxPasswordBytes+1)}); err == nil {
		t.Fatal("CreateUser with an over-long password accepted")
	}
	bob, err := s.CreateUser(ctx, sdk.NewUser{Username: "bob", Password: "bob-pass", IsActive: false})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("Authenticate", func(t *testing.T) {
		tests := []struct {
			name    string
			creds   sdk.Credentials
			wantID  string
			wantErr error
		}{
			{"right password", sdk.Credentials{"username": "alice", "password": "alice-pass"}, alice.ID, nil},
			{"inactive user is returned", sdk.Credentials{"username": "bob", "password": "bob-pass"}, bob.ID, nil},
			{"wrong password", sdk.Credentials{"username": "alice", "password": "alice-passx"}, "", sdk.ErrInvalidCredentials},
			{"unknown user", sdk.Credentials{"username": "mallory", "password": "alice-pass"}, "", sdk.ErrInvalidCredentials},
			{"missing username", sdk.Credentials{"password": "alice-pass"}, "", sdk.ErrInvalidCredentials},
			{"case differs", sdk.Credentials{"username": "Alice", "password": "alice-pass"}, "", sdk.ErrInvalidCredentials},
			{"over-long password", sdk.Credentials{"username": "alice", "password": strings.Repeat("a", passwords.MaxPasswordBytes+1)}, "", sdk.ErrInvalidCredentials},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := s.Authenticate(ctx, tt.creds)
				if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if u.ID != tt.wantID {
					t.Fatalf("user id %q, want %q", u.ID, tt.wantID)
				}
			})
		}
	})

	t.Run("LookupUser", func(t *testing.T) {
		tests := []struct {
			name, field, value string
			wantID             string
		}{
			{"by id", "id", alice.ID, alice.ID},
			{"by username", "username", "bob", bob.ID},
			{"by JSON attribute", "email", "alice@example.com", alice.ID},
			{"by numeric JSON attribute", "level", "7", alice.ID},
			{"non-numeric id", "id", "abc", ""},
			{"id with spaces", "id", " 1", ""},
			{"unknown id", "id", "999", ""},
			{"huge id", "id", "99999999999999999999999", ""},
			{"unknown username", "username", "nobody", ""},
			{"unknown field", "no_such_field", "x", ""},
			{"field not an identifier", "e'mail", "x", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := s.LookupUser(ctx, tt.field, tt.value)
				if tt.wantID == "" {
					if !errors.Is(err, sdk.ErrUserNotFound) {
						t.Fatalf("err = %v, want ErrUserNotFound", err)
					}
					return
				}
				if err != nil || u.ID != tt.wantID {
					t.Fatalf("LookupUser = %+v, %v; want id %s", u, err, tt.wantID)
				}
			})
		}
	})

	t.Run("RecordLogin", func(t *testing.T) {
		at := time.Date(2026, 11, 24, 1, 2, 3, 456789123, time.FixedZone("CET", 3600))
		if err := s.RecordLogin(ctx, alice.ID, at); err != nil {
			t.Fatal(err)
		}
		u, err := s.LookupUser(ctx, "id", alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := at.Truncate(time.Microsecond); !u.LastLogin.Equal(want) {
			t.Fatalf("LastLogin = %v, want %v", u.LastLogin, want)
		}
		var raw string
		if err := rawDB(t, path).QueryRow(`SELECT CAST(last_login AS TEXT) FROM jwtd_users WHERE id = 1`).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if raw != "2026-11-24 00:02:03.456789" {
			t.Fatalf("stored last_login %q, want Django's UTC form", raw)
		}
		for _, id := range []string{"999", "x"} {
			if err := s.RecordLogin(ctx, id, at); !errors.Is(err, sdk.ErrUserNotFound) {
				t.Errorf("RecordLogin(%q) = %v", id, err)
			}
		}
	})

	t.Run("SetPassword", func(t *testing.T) {
		before, _ := s.LookupUser(ctx, "id", alice.ID)
		if err := s.SetPassword(ctx, "alice", "new-pass"); err != nil {
			t.Fatal(err)
		}
		after, _ := s.LookupUser(ctx, "id", alice.ID)
		if after.PasswordHash == before.PasswordHash {
			t.Fatal("hash unchanged: revoke claim would not change")
		}
		if _, err := s.Authenticate(ctx, sdk.Credentials{"username": "alice", "password": "alice-pass"}); !errors.Is(err, sdk.ErrInvalidCredentials) {
			t.Fatalf("old password: %v", err)
		}
		if _, err := s.Authenticate(ctx, sdk.Credentials{"username": "alice", "password": "new-pass"}); err != nil {
			t.Fatalf("new password: %v", err)
		}
		if err := s.SetPassword(ctx, "nobody", "x"); !errors.Is(err, sdk.ErrUserNotFound) {
			t.Fatalf("SetPassword(unknown) = %v", err)
		}
	})

	t.Run("SetActive", func(t *testing.T) {
		if err := s.SetActive(ctx, "bob", true); err != nil {
			t.Fatal(err)
		}
		if u, _ := s.LookupUser(ctx, "username", "bob"); !u.IsActive {
			t.Fatal("bob still inactive")
		}
		if err := s.SetActive(ctx, "bob", false); err != nil {
			t.Fatal(err)
		}
		if u, _ := s.LookupUser(ctx, "username", "bob"); u.IsActive {
			t.Fatal("bob still active")
		}
		if err := s.SetActive(ctx, "nobody", true); !errors.Is(err, sdk.ErrUserNotFound) {
			t.Fatalf("SetActive(unknown) = %v", err)
		}
	})

	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

// TestUserStoreLoginByEmail: login_field names a JSON attribute.
func TestUserStoreLoginByEmail(t *testing.T) {
	ctx := context.Background()
	s := openUsers(t, cheapArgon2(sdk.Config{"path": dbPath(t), "login_field": "email"}))
	if f, _ := s.LoginFields(ctx); strings.Join(f, ",") != "email,password" {
		t.Fatalf("LoginFields = %v", f)
	}
	for _, n := range []string{"a", "b"} {
		if _, err := s.CreateUser(ctx, sdk.NewUser{Username: n, Password: "pw", IsActive: true,
			Attributes: map[string]any{"email": n + "@example.com"}}); err != nil {
			t.Fatal(err)
		}
	}
	u, err := s.Authenticate(ctx, sdk.Credentials{"email": "b@example.com", "password": "pw"})
	if err != nil || u.Username != "b" {
		t.Fatalf("Authenticate by email = %+v, %v", u, err)
	}
	if _, err := s.Authenticate(ctx, sdk.Credentials{"username": "b", "password": "pw"}); !errors.Is(err, sdk.ErrInvalidCredentials) {
		t.Fatalf("username login with login_field email: %v", err)
	}
}

// TestUserStoreMigrationsIdempotent: opening an existing database again
// applies nothing twice and keeps users; custom names are used.
func TestUserStoreMigrationsIdempotent(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	cfg := cheapArgon2(sdk.Config{"path": path, "table": "people", "username_column": "login"})
	s1 := openUsers(t, cfg)
	if _, err := s1.CreateUser(ctx, sdk.NewUser{Username: "alice", Password: "pw", IsActive: true}); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	var schema1 string
	if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'people'`).Scan(&schema1); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(schema1, `"login" TEXT NOT NULL UNIQUE`) {
		t.Fatalf("custom column missing from %s", schema1)
	}
	s1.Close()
	s2 := openUsers(t, cfg)
	if _, err := s2.Authenticate(ctx, sdk.Credentials{"username": "alice", "password": "pw"}); err != nil {
		t.Fatalf("after reopen: %v", err)
	}
	var schema2 string
	db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'people'`).Scan(&schema2)
	if schema1 != schema2 {
		t.Fatal("table changed on reopen")
	}
	if v, err := sqlite.SchemaVersion(ctx, db, "users:people"); err != nil || v != 1 {
		t.Fatalf("schema version %d, %v", v, err)
	}
	// The attributes column is text on SQLite: its CHECK refuses what is
	// not JSON, also from writers other than jwtd.
	if _, err := db.Exec(`INSERT INTO people (login, password, attributes) VALUES ('bob', 'x', 'not json')`); err == nil {
		t.Fatal("a row with attributes that are not JSON was stored")
	}
}

// TestUserStoreConcurrentFirstOpen: stores opening one new file at once
// (several jwtd processes starting) each apply the migration exactly once
// between them, none failing on a table another just created.
func TestUserStoreConcurrentFirstOpen(t *testing.T) {
	path := dbPath(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := sqlite.OpenUserStore(context.Background(), cheapArgon2(sdk.Config{"path": path}))
			if err != nil {
				errs <- err
				return
			}
			s.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent first open: %v", err)
	}
}

// TestUserStoreExistingTableNeedsMigrateFalse: pointing the native mode at
// a table it did not create is a clear error, not an altered table.
func TestUserStoreExistingTableNeedsMigrateFalse(t *testing.T) {
	path := dbPath(t)
	createDjangoTable(t, path)
	_, err := sqlite.NewUserStore(context.Background(), sdk.Config{"path": path, "table": "auth_user"})
	if err == nil || !strings.Contains(err.Error(), "migrate = false") {
		t.Fatalf("err = %v, want a hint at migrate = false", err)
	}
}

func TestUserStoreConcurrentCreate(t *testing.T) {
	ctx := context.Background()
	s := openUsers(t, cheapArgon2(sdk.Config{"path": dbPath(t)}))
	var wg sync.WaitGroup
	var mu sync.Mutex
	created, exists := 0, 0
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.CreateUser(ctx, sdk.NewUser{Username: "same", Password: "pw"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				created++
			case errors.Is(err, sdk.ErrUserExists):
				exists++
			default:
				t.Errorf("CreateUser: %v", err)
			}
		}()
	}
	wg.Wait()
	if created != 1 || exists != 9 {
		t.Fatalf("created %d, exists %d; want 1 and 9", created, exists)
	}
}

func TestUserStoreClosed(t *testing.T) {
	ctx := context.Background()
	s := openUsers(t, cheapArgon2(sdk.Config{"path": dbPath(t)}))
	if _, err := s.CreateUser(ctx, sdk.NewUser{Username: "a", Password: "pw"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	checks := map[string]error{
		"RecordLogin": s.RecordLogin(ctx, "1", time.Now()),
		"SetPassword": s.SetPassword(ctx, "a", "x"),
		"SetActive":   s.SetActive(ctx, "a", false),
		"Ping":        s.Ping(ctx),
	}
	_, checks["Authenticate"] = s.Authenticate(ctx, sdk.Credentials{"username": "a", "password": "pw"})
	_, checks["LookupUser id"] = s.LookupUser(ctx, "id", "1")
	_, checks["LookupUser username"] = s.LookupUser(ctx, "username", "a")
	_, checks["CreateUser"] = s.CreateUser(ctx, sdk.NewUser{Username: "b", Password: "pw"})
	for name, err := range checks {
		if !errors.Is(err, sdk.ErrUnavailable) {
			t.Errorf("%s after Close: %v, want ErrUnavailable", name, err)
		}
	}
}

type vector struct {
	Hasher   string `json:"hasher"`
	Password string `json:"password"`
	Encoded  string `json:"encoded"`
	Matches  bool   `json:"matches"`
}

// djangoHash returns the first matching vector of hasher.
func djangoHash(t *testing.T, hasher string) vector {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "passwords.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Hashes []vector }
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, v := range doc.Hashes {
		if v.Hasher == hasher && (v.Matches || hasher == "unusable") {
			return v
		}
	}
	t.Fatalf("no %s vector", hasher)
	return vector{}
}

func createDjangoTable(t *testing.T, path string) {
	t.Helper()
	// auth_user (and the tables it references) as Django's migrations
	// create them on SQLite.
	ddl, err := djangotest.DDL(djangotest.SQLite, "auth")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rawDB(t, path).Exec(ddl); err != nil {
		t.Fatal(err)
	}
}

// TestDjangoAuthUser: an auth_user table made the way Django makes it, with
// Django's own hashes, served as it is.
func TestDjangoAuthUser(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	createDjangoTable(t, path)
	db := rawDB(t, path)
	pbkdf2, sha1, unusable := djangoHash(t, "pbkdf2_sha256"), djangoHash(t, "pbkdf2_sha1"), djangoHash(t, "unusable")
	insert := `INSERT INTO auth_user (password, last_login, is_superuser, username, last_name, email, is_staff, is_active, date_joined, first_name)
		VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?, ?)`
	rows := [][]any{
		{pbkdf2.Encoded, 1, "alice", "Liddell", "alice@example.com", 1, 1, "2026-01-02 03:04:05.123456", "Alice"},
		{sha1.Encoded, 0, "bob", "", "bob@example.com", 0, 0, "2026-01-02 03:04:05", ""},
		{unusable.Encoded, 0, "carol", "", "", 0, 1, "2026-01-02 03:04:05", ""},
	}
	for _, r := range rows {
		if _, err := db.Exec(insert, r...); err != nil {
			t.Fatal(err)
		}
	}
	schemaBefore := dumpSchema(t, db)

	s := openUsers(t, cheapArgon2(sdk.Config{"path": path, "django": true}))

	alice, err := s.Authenticate(ctx, sdk.Credentials{"username": "alice", "password": pbkdf2.Password})
	if err != nil {
		t.Fatalf("Django pbkdf2 user: %v", err)
	}
	wantAttrs := map[string]any{
		"email": "alice@example.com", "first_name": "Alice", "last_name": "Liddell",
		"is_staff": true, "is_superuser": true, "date_joined": "2026-01-02T03:04:05.123456Z",
	}
	if alice.ID != "1" || !alice.IsActive || alice.PasswordHash != pbkdf2.Encoded || fmt.Sprint(alice.Attributes) != fmt.Sprint(wantAttrs) {
		t.Fatalf("alice = %+v\nwant attributes %v", alice, wantAttrs)
	}
	bob, err := s.Authenticate(ctx, sdk.Credentials{"username": "bob", "password": sha1.Password})
	if err != nil || bob.IsActive || bob.Attributes["is_staff"] != false {
		t.Fatalf("Django pbkdf2_sha1 inactive user = %+v, %v", bob, err)
	}
	for _, pw := range []string{unusable.Password, unusable.Encoded, ""} {
		if _, err := s.Authenticate(ctx, sdk.Credentials{"username": "carol", "password": pw}); !errors.Is(err, sdk.ErrInvalidCredentials) {
			t.Fatalf("unusable password user with %q: %v", pw, err)
		}
	}

	at := time.Date(2026, 11, 24, 1, 2, 3, 4000, time.UTC)
	if err := s.RecordLogin(ctx, alice.ID, at); err != nil {
		t.Fatal(err)
	}
	var lastLogin string
	if err := db.QueryRow(`SELECT CAST(last_login AS TEXT) FROM auth_user WHERE id = 1`).Scan(&lastLogin); err != nil {
		t.Fatal(err)
	}
	if !djangoDatetime.MatchString(lastLogin) || lastLogin != "2026-11-24 01:02:03.000004" {
		t.Fatalf("last_login %q is not Django's datetime text", lastLogin)
	}
	if u, _ := s.LookupUser(ctx, "id", "1"); !u.LastLogin.Equal(at) {
		t.Fatalf("LastLogin read back %v, want %v", u.LastLogin, at)
	}

	dave, err := s.CreateUser(ctx, sdk.NewUser{Username: "dave", Password: "dave-pass", IsActive: true,
		Attributes: map[string]any{"email": "dave@example.com"}})
	if err != nil {
		t.Fatalf("CreateUser on auth_user: %v", err)
	}
	if dave.Attributes["email"] != "dave@example.com" || dave.Attributes["is_superuser"] != false || dave.Attributes["first_name"] != "" {
		t.Fatalf("dave = %+v", dave)
	}
	var joined string
	db.QueryRow(`SELECT CAST(date_joined AS TEXT) FROM auth_user WHERE username = 'dave'`).Scan(&joined)
	if !djangoDatetime.MatchString(joined) {
		t.Fatalf("date_joined %q is not Django's datetime text", joined)
	}
	if _, err := s.CreateUser(ctx, sdk.NewUser{Username: "eve", Password: "x", Attributes: map[string]any{"groups": "a"}}); err == nil {
		t.Fatal("attribute without a column accepted")
	}
	if _, err := s.Authenticate(ctx, sdk.Credentials{"username": "dave", "password": "dave-pass"}); err != nil {
		t.Fatalf("new user: %v", err)
	}

	if after := dumpSchema(t, db); after != schemaBefore {
		t.Fatalf("schema changed:\nbefore %s\nafter  %s", schemaBefore, after)
	}

	// The same table with email as the login field (Django custom backends).
	byEmail := openUsers(t, cheapArgon2(sdk.Config{"path": path, "django": true, "login_field": "email"}))
	u, err := byEmail.Authenticate(ctx, sdk.Credentials{"email": "alice@example.com", "password": pbkdf2.Password})
	if err != nil || u.Username != "alice" {
		t.Fatalf("login by email = %+v, %v", u, err)
	}
}

// dumpSchema lists every schema object, so a test can prove the store
// created or altered nothing.
func dumpSchema(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT type, name, COALESCE(sql, '') FROM sqlite_master ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var typ, name, text string
		if err := rows.Scan(&typ, &name, &text); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s %s\n", typ, name, text)
	}
	return b.String()
}

func BenchmarkLookupUser(b *testing.B) {
	ctx := context.Background()
	s := openUsers(b, cheapArgon2(sdk.Config{"path": dbPath(b)}))
	for i := range 100 {
		if _, err := s.CreateUser(ctx, sdk.NewUser{Username: fmt.Sprintf("u%d", i), Password: "pw", IsActive: true,
			Attributes: map[string]any{"email": fmt.Sprintf("u%d@example.com", i)}}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("id", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := s.LookupUser(ctx, "id", fmt.Sprint(i%100+1)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("username", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := s.LookupUser(ctx, "username", fmt.Sprintf("u%d", i%100)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkAuthenticate measures the store around a cheap argon2 hash: the
// SQL and bookkeeping an obtain costs beyond the hash itself.
func BenchmarkAuthenticate(b *testing.B) {
	ctx := context.Background()
	s := openUsers(b, cheapArgon2(sdk.Config{"path": dbPath(b)}))
	if _, err := s.CreateUser(ctx, sdk.NewUser{Username: "alice", Password: "pw", IsActive: true}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Authenticate(ctx, sdk.Credentials{"username": "alice", "password": "pw"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLookupUserParallel is authenticate's hot path: eight goroutines
// on two cores looking users up by id.
func BenchmarkLookupUserParallel(b *testing.B) {
	ctx := context.Background()
	s := openUsers(b, cheapArgon2(sdk.Config{"path": dbPath(b)}))
	for i := range 100 {
		if _, err := s.CreateUser(ctx, sdk.NewUser{Username: fmt.Sprintf("u%d", i), Password: "pw", IsActive: true,
			Attributes: map[string]any{"email": fmt.Sprintf("u%d@example.com", i)}}); err != nil {
			b.Fatal(err)
		}
	}
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			u, err := s.LookupUser(ctx, "id", fmt.Sprint(i%100+1))
			if err != nil {
				b.Error(err)
				return
			}
			if u.Username != fmt.Sprintf("u%d", i%100) {
				b.Errorf("LookupUser(id %d) = %q", i%100+1, u.Username)
				return
			}
			i++
		}
	})
}
