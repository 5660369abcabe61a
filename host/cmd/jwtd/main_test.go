package main_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/jwtdtest"
)

// jwtdBin is the jwtd binary built once for every test here; sqlitePlugin
// the SQLite plugin binary, for the out-of-process test.
var jwtdBin, sqlitePlugin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jwtd-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	jwtdBin = filepath.Join(dir, "jwtd")
	sqlitePlugin = filepath.Join(dir, "jwtd-plugin-sqlite")
	for out, pkg := range map[string]string{jwtdBin: ".", sqlitePlugin: "../../../plugins/sqlite/cmd/jwtd-plugin-sqlite"} {
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

// repoConfig copies the repository's own jwtd.toml into a fresh directory
// with the SQLite plugin binary in bin/ beside it, as a user running
// `make run` has them, and returns the config's path.
func repoConfig(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "jwtd.toml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "jwtd.toml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(sqlitePlugin, filepath.Join(dir, "bin", "jwtd-plugin-sqlite")); err != nil {
		t.Fatal(err)
	}
	return path
}

// shippedUse is the `use` line of the repository's jwtd.toml for both
// SQLite stores, and inProcessUse the documented one-word change.
const (
	shippedUse   = `use = "./bin/jwtd-plugin-sqlite"`
	inProcessUse = `use = "sqlite"`
)

// editConfig replaces every old with new in the config file at path,
// failing when old is absent (the repository's jwtd.toml changed).
func editConfig(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("%s has no %q", path, old)
	}
	if err := os.WriteFile(path, bytes.ReplaceAll(data, []byte(old), []byte(new)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// cli runs a jwtd command to completion.
func cli(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(jwtdBin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

// server is a running `jwtd serve`.
type server struct {
	*jwtdtest.Process
	t *testing.T
}

// serve starts `jwtd serve` on addr and waits until /healthz answers. The
// cleanup kills what the test did not stop itself.
func serve(t *testing.T, cfg, addr string) *server {
	t.Helper()
	cmd := exec.Command(jwtdBin, "serve", "--config", cfg, "--listen", addr)
	p := jwtdtest.Start(t, cmd, "http://"+addr, jwtdtest.Options{ReadyPath: "/healthz", ReadyTimeout: 20 * time.Second})
	return &server{Process: p, t: t}
}

// post sends a JSON body and decodes the JSON answer.
func (s *server) post(path string, body any) (int, map[string]any) {
	s.t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(s.URL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		s.t.Fatal(err)
	}
	return decode(s.t, resp)
}

func (s *server) get(path, authorization string) (int, map[string]any) {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.URL+path, nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	return decode(s.t, resp)
}

func decode(t *testing.T, resp *http.Response) (int, map[string]any) {
	t.Helper()
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%d: not JSON: %q", resp.StatusCode, data)
	}
	return resp.StatusCode, m
}

// stop sends sig and waits for the process to exit.
func (s *server) stop(sig os.Signal) error {
	s.t.Helper()
	return s.Stop(s.t, sig, 30*time.Second)
}

// TestReadmeQuickStart is the README's path: the repository's jwtd.toml, a
// user added through the CLI with the password on stdin, jwtd serve, then
// obtain, refresh, verify and authenticate over HTTP.
func TestReadmeQuickStart(t *testing.T) {
	cfg := repoConfig(t)
	dir := filepath.Dir(cfg)
	out, stderr, err := cli(t, "alice-password\n", "user", "add", "alice", "--config", cfg)
	if err != nil {
		t.Fatalf("user add: %v %s", err, stderr)
	}
	if !strings.Contains(out, `added user "alice"`) {
		t.Errorf("user add said %q", out)
	}
	if strings.Count(stderr, "generated a new HMAC signing key") != 1 {
		t.Errorf("key generation not said once: %q", stderr)
	}
	fi, err := os.Stat(filepath.Join(dir, "jwtd.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("jwtd.key: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "jwtd.db")); err != nil {
		t.Fatalf("jwtd.db not beside the config: %v", err)
	}

	s := serve(t, cfg, jwtdtest.FreeAddr(t))
	status, pair := s.post("/api/token/", map[string]string{"username": "alice", "password": "alice-password"})
	if status != 200 || pair["access"] == nil || pair["refresh"] == nil {
		t.Fatalf("obtain: %d %v", status, pair)
	}
	status, ref := s.post("/api/token/refresh/", map[string]any{"refresh": pair["refresh"]})
	if status != 200 || ref["access"] == nil {
		t.Fatalf("refresh: %d %v", status, ref)
	}
	if status, body := s.post("/api/token/verify/", map[string]any{"token": ref["access"]}); status != 200 || len(body) != 0 {
		t.Fatalf("verify: %d %v", status, body)
	}
	status, user := s.get("/api/authenticate/", "Bearer "+ref["access"].(string))
	if status != 200 || user["username"] != "alice" || user["id"] != float64(1) {
		t.Fatalf("authenticate: %d %v", status, user)
	}
	claims := payload(t, pair["access"].(string))
	if claims["user_id"] != "1" || claims["token_type"] != "access" {
		t.Errorf("access claims %v", claims)
	}
	if err := s.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: exit %v\n%s", err, s.Log.String())
	}
	if !strings.Contains(s.Log.String(), "stopped") {
		t.Errorf("no clean stop logged:\n%s", s.Log.String())
	}
	// The access log is written in batches; by the clean stop every line
	// is out, whole: one per API request above.
	if n := strings.Count(s.Log.String(), "msg=request method="); n < 4 || strings.Count(s.Log.String(), " path=/api/") != 4 {
		t.Errorf("%d request lines, want one per request (4 to /api/):\n%s", n, s.Log.String())
	}
	if strings.Contains(s.Log.String(), "alice-password") || strings.Contains(s.Log.String(), pair["access"].(string)) {
		t.Error("the log holds a password or a token")
	}
}

func payload(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	data, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(data, &m)
	return m
}

// TestBlacklistSurvivesSIGKILL: blacklist entries acknowledged with 200 are
// still there after the process is killed without warning and restarted.
func TestBlacklistSurvivesSIGKILL(t *testing.T) {
	cfg := repoConfig(t)
	if _, stderr, err := cli(t, "pw-durable\n", "user", "add", "alice", "--config", cfg); err != nil {
		t.Fatal(stderr)
	}
	addr := jwtdtest.FreeAddr(t)
	s := serve(t, cfg, addr)
	// One pair over HTTP, more from `jwtd token issue` (no password hashing,
	// so the test stays quick); all blacklisted over HTTP.
	status, pair := s.post("/api/token/", map[string]string{"username": "alice", "password": "pw-durable"})
	if status != 200 {
		t.Fatalf("obtain: %d %v", status, pair)
	}
	tokens := []string{pair["refresh"].(string)}
	for range 3 {
		out, stderr, err := cli(t, "", "token", "issue", "--user", "1", "--config", cfg)
		if err != nil {
			t.Fatalf("token issue: %v %s", err, stderr)
		}
		var issued map[string]string
		if err := json.Unmarshal([]byte(out), &issued); err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, issued["refresh"])
	}
	for _, tok := range tokens {
		if status, body := s.post("/api/token/blacklist/", map[string]string{"refresh": tok}); status != 200 {
			t.Fatalf("blacklist: %d %v", status, body)
		}
	}
	s.stop(syscall.SIGKILL)

	s = serve(t, cfg, addr)
	for i, tok := range tokens {
		status, body := s.post("/api/token/refresh/", map[string]string{"refresh": tok})
		if status != 401 || body["detail"] != "Token is blacklisted" {
			t.Errorf("token %d after restart: %d %v", i, status, body)
		}
	}
}

// TestSIGHUPReloadsConfig: a changed [tokens] setting applies after SIGHUP
// without a restart.
func TestSIGHUPReloadsConfig(t *testing.T) {
	cfg := repoConfig(t)
	if _, stderr, err := cli(t, "pw-reload\n", "user", "add", "alice", "--config", cfg); err != nil {
		t.Fatal(stderr)
	}
	s := serve(t, cfg, jwtdtest.FreeAddr(t))
	status, pair := s.post("/api/token/", map[string]string{"username": "alice", "password": "pw-reload"})
	if status != 200 {
		t.Fatalf("obtain: %d %v", status, pair)
	}
	lifetime := func(access any) float64 {
		c := payload(t, access.(string))
		return c["exp"].(float64) - c["iat"].(float64)
	}
	if got := lifetime(pair["access"]); got != 300 {
		t.Fatalf("access lifetime %v, want 300", got)
	}
	data, _ := os.ReadFile(cfg)
	data = bytes.Replace(data, []byte(`access_token_lifetime = "5m"`), []byte(`access_token_lifetime = "7m"`), 1)
	if err := os.WriteFile(cfg, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s.Cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(s.Log.String(), "config reloaded") {
		if time.Now().After(deadline) {
			t.Fatalf("no reload:\n%s", s.Log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	status, ref := s.post("/api/token/refresh/", map[string]any{"refresh": pair["refresh"]})
	if status != 200 {
		t.Fatalf("refresh after SIGHUP: %d %v", status, ref)
	}
	if got := lifetime(ref["access"]); got != 420 {
		t.Fatalf("access lifetime after SIGHUP %v, want 420", got)
	}
}

// TestCLIErrorsAreOneLine: a failing command exits non-zero with one line.
func TestCLIErrorsAreOneLine(t *testing.T) {
	cfg := repoConfig(t)
	_, stderr, err := cli(t, "", "token", "issue", "--user", "42", "--config", cfg)
	var ee *exec.ExitError
	if err == nil || !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Fatalf("want a non-zero exit, got %v", err)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "jwtd token issue: ") || !strings.Contains(last, `"42"`) {
		t.Errorf("stderr %q", stderr)
	}
}

// TestBothPluginModes: the repository's jwtd.toml runs the SQLite stores out
// of process, and the one-word change its comment documents runs them in
// process; the API works the same and check-config and /readyz report the
// stores either way.
func TestBothPluginModes(t *testing.T) {
	cases := []struct {
		name string
		use  string // replaces shippedUse
	}{
		{"out of process, as shipped", shippedUse},
		{"in process, one word changed", inProcessUse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := repoConfig(t)
			editConfig(t, cfg, shippedUse, tc.use)
			if _, stderr, err := cli(t, "pw-plugins\n", "user", "add", "alice", "--config", cfg); err != nil {
				t.Fatalf("user add: %v %s", err, stderr)
			}
			out, stderr, err := cli(t, "", "check-config", "--config", cfg)
			if err != nil || !strings.Contains(out, "ping user_store: ok") || !strings.Contains(out, "ping blacklist_store: ok") {
				t.Fatalf("check-config: %v\n%s%s", err, out, stderr)
			}
			external := tc.use == shippedUse
			if got := strings.Contains(out, "bin/jwtd-plugin-sqlite"); got != external {
				t.Errorf("check-config names the plugin binary: %v, want %v\n%s", got, external, out)
			}
			s := serve(t, cfg, jwtdtest.FreeAddr(t))
			status, pair := s.post("/api/token/", map[string]string{"username": "alice", "password": "pw-plugins"})
			if status != 200 {
				t.Fatalf("obtain: %d %v", status, pair)
			}
			if status, body := s.post("/api/token/blacklist/", map[string]any{"refresh": pair["refresh"]}); status != 200 {
				t.Fatalf("blacklist: %d %v", status, body)
			}
			if status, body := s.post("/api/token/refresh/", map[string]any{"refresh": pair["refresh"]}); status != 401 || body["detail"] != "Token is blacklisted" {
				t.Fatalf("refresh of a blacklisted token: %d %v", status, body)
			}
			status, ready := s.get("/readyz", "")
			if status != 200 || ready["status"] != "ready" {
				t.Fatalf("readyz: %d %v", status, ready)
			}
			if got := strings.Contains(s.Log.String(), "plugin started"); got != external {
				t.Errorf("plugin processes started: %v, want %v", got, external)
			}
			if err := s.stop(syscall.SIGTERM); err != nil {
				t.Fatalf("SIGTERM: %v\n%s", err, s.Log.String())
			}
		})
	}
}

// TestBadPluginConfigIsOneLine: a plugin that refuses its config table (an
// unknown key) makes check-config and serve exit non-zero with one clear
// error line naming the plugin and the key, in either mode, never a panic.
func TestBadPluginConfigIsOneLine(t *testing.T) {
	for _, mode := range []struct{ name, use string }{
		{"out of process", shippedUse},
		{"in process", inProcessUse},
	} {
		for _, cmd := range []string{"check-config", "serve"} {
			t.Run(mode.name+"/"+cmd, func(t *testing.T) {
				cfg := repoConfig(t)
				editConfig(t, cfg, shippedUse, mode.use)
				editConfig(t, cfg, "[plugins.user_store.config]\npath = ", "[plugins.user_store.config]\npth = ")
				args := []string{cmd, "--config", cfg}
				if cmd == "serve" {
					args = append(args, "--listen", jwtdtest.FreeAddr(t))
				}
				done := make(chan struct{})
				var stderr string
				var err error
				go func() {
					defer close(done)
					_, stderr, err = cli(t, "", args...)
				}()
				select {
				case <-done:
				case <-time.After(30 * time.Second):
					t.Fatal("jwtd did not exit on a bad plugin config")
				}
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() == 0 {
					t.Fatalf("want a non-zero exit, got %v\n%s", err, stderr)
				}
				if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
					t.Fatalf("jwtd panicked:\n%s", stderr)
				}
				var errLines []string
				for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
					if strings.HasPrefix(l, "jwtd "+cmd+": ") {
						errLines = append(errLines, l)
					}
				}
				if len(errLines) != 1 {
					t.Fatalf("want one error line, got %d:\n%s", len(errLines), stderr)
				}
				line := errLines[0]
				for _, want := range []string{"plugins.user_store", `"pth"`} {
					if !strings.Contains(line, want) {
						t.Errorf("error line %q does not name %s", line, want)
					}
				}
				if strings.Count(line, "user_store") > 3 {
					t.Errorf("error line repeats itself: %q", line)
				}
			})
		}
	}
}
