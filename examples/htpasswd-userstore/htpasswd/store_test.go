package htpasswd_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/jwtd/jwtd/examples/htpasswd-userstore/htpasswd"
	"github.com/jwtd/jwtd/sdk"
)

// The passwords of testdata/users.htpasswd (written by testdata/gen.go).
var fixturePasswords = map[string]string{
	"alice": "alice-secret",                 // $2y$
	"bob":   "correct horse battery staple", // $2a$
	"carol": "c4r0l!",                       // $2b$
}

const fixture = "../testdata/users.htpasswd"

func newStore(t *testing.T, cfg sdk.Config) sdk.UserStore {
	t.Helper()
	s, err := htpasswd.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New(%v): %v", cfg, err)
	}
	return s
}

func TestAuthenticate(t *testing.T) {
	s := newStore(t, sdk.Config{"path": fixture})
	ctx := context.Background()
	type tc struct {
		name, username, password string
		wantErr                  error
	}
	cases := []tc{
		{"wrong password", "alice", "alice-secreT", sdk.ErrInvalidCredentials},
		{"unknown user", "mallory", "alice-secret", sdk.ErrInvalidCredentials},
		{"empty password", "alice", "", sdk.ErrInvalidCredentials},
		{"empty username", "", "", sdk.ErrInvalidCredentials},
		{"another user's password", "bob", "alice-secret", sdk.ErrInvalidCredentials},
		{"username is case sensitive", "Alice", "alice-secret", sdk.ErrInvalidCredentials},
	}
	for name, pw := range fixturePasswords {
		cases = append(cases, tc{"right password " + name, name, pw, nil})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, err := s.Authenticate(ctx, sdk.Credentials{"username": c.username, "password": c.password})
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if c.wantErr != nil {
				return
			}
			if u.ID != c.username || u.Username != c.username || !u.IsActive {
				t.Errorf("user = %+v, want id and username %q, active", u, c.username)
			}
			if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(c.password)) != nil {
				t.Errorf("PasswordHash %q is not the user's hash", u.PasswordHash)
			}
			if u.Attributes != nil {
				t.Errorf("attributes without a group file = %v, want none", u.Attributes)
			}
		})
	}
}

func TestLoginFields(t *testing.T) {
	s := newStore(t, sdk.Config{"path": fixture})
	got, err := s.LoginFields(context.Background())
	if err != nil || strings.Join(got, ",") != "username,password" {
		t.Fatalf("LoginFields = %v, %v; want [username password]", got, err)
	}
}

func TestLookupUser(t *testing.T) {
	s := newStore(t, sdk.Config{"path": fixture})
	cases := []struct {
		name, field, value, wantID string
		wantErr                    error
	}{
		{"by id", "id", "bob", "bob", nil},
		{"by username", "username", "carol", "carol", nil},
		{"unknown id", "id", "mallory", "", sdk.ErrUserNotFound},
		{"numeric id", "id", "1", "", sdk.ErrUserNotFound},
		{"empty id", "id", "", "", sdk.ErrUserNotFound},
		{"unsupported field", "email", "alice", "", sdk.ErrUserNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, err := s.LookupUser(context.Background(), c.field, c.value)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if u.ID != c.wantID {
				t.Errorf("id = %q, want %q", u.ID, c.wantID)
			}
		})
	}
}

func TestGroups(t *testing.T) {
	s := newStore(t, sdk.Config{"path": fixture, "groups_file": "../testdata/users.groups"})
	want := map[string]string{"alice": "ops,staff", "bob": "staff", "carol": ""}
	for name, groups := range want {
		t.Run(name, func(t *testing.T) {
			u, err := s.LookupUser(context.Background(), "id", name)
			if err != nil {
				t.Fatal(err)
			}
			list, ok := u.Attributes["groups"].([]any)
			if !ok {
				t.Fatalf("groups attribute = %#v, want a list", u.Attributes["groups"])
			}
			var got []string
			for _, g := range list {
				got = append(got, g.(string))
			}
			if strings.Join(got, ",") != groups {
				t.Errorf("groups = %v, want %s", got, groups)
			}
		})
	}
}

func TestRecordLogin(t *testing.T) {
	s := newStore(t, sdk.Config{"path": fixture})
	ctx := context.Background()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := s.RecordLogin(ctx, "alice", at); err != nil {
		t.Fatal(err)
	}
	u, err := s.LookupUser(ctx, "id", "alice")
	if err != nil || !u.LastLogin.Equal(at) {
		t.Fatalf("LastLogin = %v, %v; want %v", u.LastLogin, err, at)
	}
	if err := s.RecordLogin(ctx, "mallory", at); !errors.Is(err, sdk.ErrUserNotFound) {
		t.Fatalf("RecordLogin(unknown) = %v, want ErrUserNotFound", err)
	}
}

func TestNewRefuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := mustRead(t, fixture)
	cases := []struct {
		name    string
		cfg     sdk.Config
		wantErr error
		wantMsg string
	}{
		{"no path", sdk.Config{}, sdk.ErrInvalidConfig, `"path" is required`},
		{"unknown key", sdk.Config{"path": fixture, "pth": "x"}, sdk.ErrInvalidConfig, "pth"},
		{"wrong type", sdk.Config{"path": 42}, sdk.ErrInvalidConfig, "path"},
		{"missing file", sdk.Config{"path": filepath.Join(dir, "nope")}, nil, "no such file"},
		{"missing group file", sdk.Config{"path": fixture, "groups_file": filepath.Join(dir, "nope")}, nil, "no such file"},
		{"apache md5", sdk.Config{"path": write("md5", "dave:$apr1$abc$def\n")}, nil, `user "dave": the hash is Apache MD5 ($apr1$), not bcrypt`},
		{"sha1", sdk.Config{"path": write("sha", "dave:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n")}, nil, "SHA-1"},
		{"plain text", sdk.Config{"path": write("plain", "dave:secret\n")}, nil, "plain text"},
		{"crypt sha512", sdk.Config{"path": write("sha512", "dave:$6$salt$hash\n")}, nil, "crypt SHA-256/512"},
		{"2x variant", sdk.Config{"path": write("2x", "dave:$2x$04$abcdefghijklmnopqrstuu5C1YQz0i8mRSh0n8EfTG4pImgqtGEDS\n")}, nil, "unknown bcrypt variant"},
		{"malformed bcrypt", sdk.Config{"path": write("short", "dave:$2y$04$short\n")}, nil, "malformed bcrypt hash"},
		{"no colon", sdk.Config{"path": write("nocolon", good+"dave\n")}, nil, `:5: want "username:hash"`},
		{"duplicate", sdk.Config{"path": write("dup", good+strings.Split(good, "\n")[1]+"\n")}, nil, `"alice" is listed twice (first on line 2)`},
		{"bad group line", sdk.Config{"path": fixture, "groups_file": write("groups", "staff alice\n")}, nil, "want \"group: user1 user2 ...\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := htpasswd.New(context.Background(), c.cfg)
			if err == nil {
				t.Fatalf("New succeeded (%T), want an error", s)
			}
			if c.wantErr != nil && !errors.Is(err, c.wantErr) {
				t.Errorf("err = %v, want %v", err, c.wantErr)
			}
			if !strings.Contains(err.Error(), c.wantMsg) {
				t.Errorf("err = %q, want it to say %q", err, c.wantMsg)
			}
		})
	}
}

// TestReloadOnChange edits the file under a running store: new users and
// password changes take effect, removed users are gone, and a broken file
// fails closed until it is fixed.
func TestReloadOnChange(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "users.htpasswd")
	good := mustRead(t, fixture)
	stamp := time.Now()
	rewrite := func(content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		// Move the mtime on explicitly: two writes within the file system's
		// timestamp granularity must still be seen as a change.
		stamp = stamp.Add(time.Second)
		if err := os.Chtimes(path, stamp, stamp); err != nil {
			t.Fatal(err)
		}
	}
	rewrite(good)
	s := newStore(t, sdk.Config{"path": path})
	login := func(user, pw string) error {
		_, err := s.Authenticate(ctx, sdk.Credentials{"username": user, "password": pw})
		return err
	}
	if err := login("alice", "alice-secret"); err != nil {
		t.Fatal(err)
	}

	h, err := bcrypt.GenerateFromPassword([]byte("new-password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	// alice's password changes, bob is removed, dave is added.
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(good), "\n") {
		switch {
		case strings.HasPrefix(l, "alice:"):
			lines = append(lines, "alice:"+string(h))
		case strings.HasPrefix(l, "bob:"):
		default:
			lines = append(lines, l)
		}
	}
	lines = append(lines, "dave:"+string(h))
	rewrite(strings.Join(lines, "\n") + "\n")

	steps := []struct {
		name, user, pw string
		wantErr        error
	}{
		{"old password refused", "alice", "alice-secret", sdk.ErrInvalidCredentials},
		{"new password accepted", "alice", "new-password", nil},
		{"removed user refused", "bob", fixturePasswords["bob"], sdk.ErrInvalidCredentials},
		{"added user accepted", "dave", "new-password", nil},
		{"unchanged user accepted", "carol", fixturePasswords["carol"], nil},
	}
	for _, st := range steps {
		if err := login(st.user, st.pw); !errors.Is(err, st.wantErr) {
			t.Errorf("%s: err = %v, want %v", st.name, err, st.wantErr)
		}
	}
	if _, err := s.LookupUser(ctx, "id", "bob"); !errors.Is(err, sdk.ErrUserNotFound) {
		t.Errorf("LookupUser(removed) = %v, want ErrUserNotFound", err)
	}

	// A broken file fails closed (ErrUnavailable), for every method.
	rewrite("dave:$apr1$abc$def\n")
	if err := login("dave", "new-password"); !errors.Is(err, sdk.ErrUnavailable) {
		t.Errorf("login with a broken file = %v, want ErrUnavailable", err)
	}
	if _, err := s.LookupUser(ctx, "id", "carol"); !errors.Is(err, sdk.ErrUnavailable) {
		t.Errorf("lookup with a broken file = %v, want ErrUnavailable", err)
	}
	if err := s.(sdk.Pinger).Ping(ctx); !errors.Is(err, sdk.ErrUnavailable) || !strings.Contains(err.Error(), "Apache MD5") {
		t.Errorf("Ping with a broken file = %v, want ErrUnavailable naming the cause", err)
	}
	// So does a removed file.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := login("carol", fixturePasswords["carol"]); !errors.Is(err, sdk.ErrUnavailable) {
		t.Errorf("login with the file gone = %v, want ErrUnavailable", err)
	}
	// Fixed again: back in service without a restart.
	rewrite(good)
	if err := login("carol", fixturePasswords["carol"]); err != nil {
		t.Errorf("login after the fix = %v", err)
	}
	if err := s.(sdk.Pinger).Ping(ctx); err != nil {
		t.Errorf("Ping after the fix = %v", err)
	}
}

func TestConcurrentUse(t *testing.T) {
	s := newStore(t, sdk.Config{"path": fixture, "groups_file": "../testdata/users.groups"})
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name, pw := range fixturePasswords {
				if i%2 == 1 {
					pw += "x"
				}
				_, err := s.Authenticate(ctx, sdk.Credentials{"username": name, "password": pw})
				if (i%2 == 1) != errors.Is(err, sdk.ErrInvalidCredentials) {
					errs <- err
				}
				if err := s.RecordLogin(ctx, name, time.Now()); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent call: %v", err)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
