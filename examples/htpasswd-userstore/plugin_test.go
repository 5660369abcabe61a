package main_test

import (
	"context"
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
	dir, err := os.MkdirTemp("", "jwtd-example-htpasswd-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	pluginBin = filepath.Join(dir, "jwtd-example-htpasswd")
	if out, err := exec.Command("go", "build", "-o", pluginBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the plugin: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// The passwords of testdata/users.htpasswd, as in htpasswd/store_test.go.
var passwords = map[string]string{
	"alice": "alice-secret",
	"bob":   "correct horse battery staple",
	"carol": "c4r0l!",
}

func abs(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(rel)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startStore launches the plugin through jwtd's plugin host (go-plugin,
// AutoMTLS, no inherited environment) and returns its user store.
func startStore(t *testing.T, cfg sdk.Config) (sdk.UserStore, error) {
	t.Helper()
	h := pluginhost.New(nil)
	t.Cleanup(func() { h.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return h.UserStore(ctx, pluginhost.Spec{Name: "user_store", Path: pluginBin, Config: cfg})
}

func TestOutOfProcess(t *testing.T) {
	us, err := startStore(t, sdk.Config{
		"path":        abs(t, "testdata/users.htpasswd"),
		"groups_file": abs(t, "testdata/users.groups"),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	t.Run("login fields", func(t *testing.T) {
		f, err := us.LoginFields(ctx)
		if err != nil || strings.Join(f, ",") != "username,password" {
			t.Fatalf("LoginFields = %v, %v", f, err)
		}
	})

	type tc struct {
		name, username, password string
		wantErr                  error
		wantGroups               string
	}
	cases := []tc{
		{"wrong password", "alice", "nope", sdk.ErrInvalidCredentials, ""},
		{"unknown user", "mallory", "alice-secret", sdk.ErrInvalidCredentials, ""},
		{"empty password", "bob", "", sdk.ErrInvalidCredentials, ""},
		{"alice", "alice", passwords["alice"], nil, "ops,staff"},
		{"bob", "bob", passwords["bob"], nil, "staff"},
		{"carol", "carol", passwords["carol"], nil, ""},
	}
	for _, c := range cases {
		t.Run("authenticate "+c.name, func(t *testing.T) {
			u, err := us.Authenticate(ctx, sdk.Credentials{"username": c.username, "password": c.password})
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if c.wantErr != nil {
				return
			}
			if u.ID != c.username || u.Username != c.username || !u.IsActive || !strings.HasPrefix(u.PasswordHash, "$2") {
				t.Errorf("user = %+v", u)
			}
			if got := groups(t, u); got != c.wantGroups {
				t.Errorf("groups = %q, want %q", got, c.wantGroups)
			}
		})
	}

	lookups := []struct {
		name, field, value string
		wantErr            error
	}{
		{"by id", "id", "bob", nil},
		{"by username", "username", "bob", nil},
		{"unknown", "id", "mallory", sdk.ErrUserNotFound},
		{"other field", "email", "bob", sdk.ErrUserNotFound},
	}
	for _, c := range lookups {
		t.Run("lookup "+c.name, func(t *testing.T) {
			u, err := us.LookupUser(ctx, c.field, c.value)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if c.wantErr == nil && u.ID != c.value {
				t.Errorf("id = %q, want %q", u.ID, c.value)
			}
		})
	}

	t.Run("record login", func(t *testing.T) {
		at := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
		if err := us.RecordLogin(ctx, "carol", at); err != nil {
			t.Fatal(err)
		}
		u, err := us.LookupUser(ctx, "id", "carol")
		if err != nil || !u.LastLogin.Equal(at) {
			t.Fatalf("LastLogin = %v, %v; want %v", u.LastLogin, err, at)
		}
		if err := us.RecordLogin(ctx, "mallory", at); !errors.Is(err, sdk.ErrUserNotFound) {
			t.Fatalf("RecordLogin(unknown) = %v, want ErrUserNotFound", err)
		}
	})
}

// TestOutOfProcessFailsClosed edits the file under the running plugin: the
// reload is seen across the process boundary, and a broken file is
// sdk.ErrUnavailable on the host side (503), never a login.
func TestOutOfProcessFailsClosed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.htpasswd")
	good, err := os.ReadFile("testdata/users.htpasswd")
	if err != nil {
		t.Fatal(err)
	}
	stamp := time.Now()
	write := func(b []byte) {
		t.Helper()
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		stamp = stamp.Add(time.Second)
		if err := os.Chtimes(path, stamp, stamp); err != nil {
			t.Fatal(err)
		}
	}
	write(good)
	us, err := startStore(t, sdk.Config{"path": path})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	login := func() error {
		_, err := us.Authenticate(ctx, sdk.Credentials{"username": "alice", "password": passwords["alice"]})
		return err
	}
	steps := []struct {
		name    string
		content []byte
		wantErr error
	}{
		{"good file", good, nil},
		{"non-bcrypt entry", []byte("alice:$apr1$abc$def\n"), sdk.ErrUnavailable},
		{"alice removed", []byte(strings.SplitAfterN(string(good), "\n", 3)[2]), sdk.ErrInvalidCredentials},
		{"good again", good, nil},
	}
	for _, st := range steps {
		write(st.content)
		if err := login(); !errors.Is(err, st.wantErr) {
			t.Errorf("%s: login = %v, want %v", st.name, err, st.wantErr)
		}
	}
}

func TestOutOfProcessBadConfig(t *testing.T) {
	md5File := filepath.Join(t.TempDir(), "md5.htpasswd")
	if err := os.WriteFile(md5File, []byte("dave:$apr1$abc$def\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		cfg     sdk.Config
		wantMsg string
	}{
		{"unknown key", sdk.Config{"pth": "users.htpasswd"}, "pth"},
		{"missing path", sdk.Config{}, `"path" is required`},
		{"non-bcrypt file", sdk.Config{"path": md5File}, `user "dave": the hash is Apache MD5`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := startStore(t, c.cfg)
			if err == nil {
				t.Fatal("the plugin started with a bad config")
			}
			if !errors.Is(err, sdk.ErrInvalidConfig) || !strings.Contains(err.Error(), c.wantMsg) || !strings.Contains(err.Error(), "user_store") {
				t.Errorf("err = %v; want ErrInvalidConfig naming the plugin and saying %q", err, c.wantMsg)
			}
		})
	}
}

func groups(t *testing.T, u sdk.User) string {
	t.Helper()
	list, ok := u.Attributes["groups"].([]any)
	if !ok {
		t.Fatalf("groups attribute = %#v, want a list", u.Attributes["groups"])
	}
	var s []string
	for _, g := range list {
		s = append(s, fmt.Sprint(g))
	}
	return strings.Join(s, ",")
}

// TestConformanceOutOfProcess runs the conformance kit against the built
// plugin binary as its author would, with the SDK alone (sdktest.TestBinary:
// the real handshake, the same client jwtd uses).
func TestConformanceOutOfProcess(t *testing.T) {
	groups := map[string][]any{"alice": {"ops", "staff"}, "bob": {"staff"}, "carol": {}}
	var users []sdktest.KnownUser
	for name, pw := range passwords {
		users = append(users, sdktest.KnownUser{
			Credentials: sdk.Credentials{"username": name, "password": pw},
			ID:          name, Username: name, IsActive: true,
			Attributes: map[string]any{"groups": groups[name]},
		})
	}
	sdktest.TestBinary(t, sdktest.Binary{Path: pluginBin, Config: map[string]sdk.Config{"user_store": {
		"path":        abs(t, "testdata/users.htpasswd"),
		"groups_file": abs(t, "testdata/users.groups"),
	}}}, sdktest.Suites{UserStore: sdktest.UserStoreSetup{Users: users}})
}
