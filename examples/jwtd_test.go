// Package examples_test runs jwtd itself with each example's jwtd.toml, as
// the READMEs tell a user to, and checks over HTTP that the example does
// what it says.
package examples_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/jwtdtest"
)

// tree is a copy of the examples directory laid out as after `make build`:
// each example's jwtd.toml and data files, with its plugin built into bin/.
var tree, jwtdBin string

// plugins are the example plugin binaries, by example directory.
var plugins = map[string]string{
	"htpasswd-userstore": "jwtd-example-htpasswd",
	"allowlist-rule":     "jwtd-example-allowlist",
	"roles-claims":       "jwtd-example-roles-claims",
}

// dataFiles are the files besides jwtd.toml that the configs refer to.
var dataFiles = []string{
	"htpasswd-userstore/testdata/users.htpasswd",
	"htpasswd-userstore/testdata/users.groups",
	"python-rule/users.htpasswd",
	"python-rule/plugin.py",
}

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "jwtd-examples-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	tree = filepath.Join(dir, "examples")
	jwtdBin = filepath.Join(dir, "jwtd")
	builds := map[string]string{jwtdBin: "../host/cmd/jwtd"}
	for ex, bin := range plugins {
		builds[filepath.Join(tree, ex, "bin", bin)] = "./" + ex
	}
	for out, pkg := range builds {
		if err := jwtdtest.GoBuild(out, pkg); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	for _, f := range append(dataFiles, "htpasswd-userstore/jwtd.toml", "allowlist-rule/jwtd.toml",
		"roles-claims/jwtd.toml", "python-rule/jwtd.toml") {
		if err := copyFile(f, filepath.Join(tree, f)); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return m.Run()
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	fi, err := os.Stat(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return os.WriteFile(dst, b, fi.Mode().Perm())
}

// daemon is a running jwtd.
type daemon struct {
	*jwtdtest.Process
	t *testing.T
}

// serve runs jwtd with the example's jwtd.toml, moved to a free port, and
// waits until /readyz says every plugin answers.
func serve(t *testing.T, example string) *daemon {
	t.Helper()
	cfgPath := filepath.Join(tree, example, "jwtd.toml")
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	const listen = `listen = "127.0.0.1:8000"`
	if !bytes.Contains(cfg, []byte(listen)) {
		t.Fatalf("%s/jwtd.toml has no %s line to move", example, listen)
	}
	addr := jwtdtest.FreeAddr(t)
	cfg = bytes.Replace(cfg, []byte(listen), []byte(fmt.Sprintf("listen = %q", addr)), 1)
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(jwtdBin, "serve", "--config", cfgPath)
	p := jwtdtest.Start(t, cmd, "http://"+addr, jwtdtest.Options{StopTimeout: 15 * time.Second, FailSlowStop: true})
	return &daemon{Process: p, t: t}
}

// do sends a request and returns the status and decoded JSON body.
func (d *daemon) do(method, path, bearer string, body any) (int, map[string]any) {
	d.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			d.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, d.URL+path, rd)
	if err != nil {
		d.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		d.t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		d.t.Fatalf("%s %s: %d, body not a JSON object: %q", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// login posts credentials to the obtain endpoint.
func (d *daemon) login(username, password string) (int, map[string]any) {
	d.t.Helper()
	return d.do("POST", "/api/token/", "", map[string]string{"username": username, "password": password})
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// payload decodes a JWT's claims without verifying it: the test looks at
// what jwtd put in, the daemon checks signatures.
func payload(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

const noAccount = "No active account found with the given credentials"

func TestHtpasswdUserStoreConfig(t *testing.T) {
	d := serve(t, "htpasswd-userstore")
	logins := []struct {
		name, user, pw string
		want           int
	}{
		{"alice", "alice", "alice-secret", 200},
		{"bob", "bob", "correct horse battery staple", 200},
		{"carol", "carol", "c4r0l!", 200},
		{"wrong password", "alice", "alice-secret!", 401},
		{"unknown user", "mallory", "alice-secret", 401},
	}
	for _, c := range logins {
		t.Run("login "+c.name, func(t *testing.T) {
			status, body := d.login(c.user, c.pw)
			if status != c.want {
				t.Fatalf("status = %d (%v), want %d", status, body, c.want)
			}
			if c.want == 401 && body["detail"] != noAccount {
				t.Errorf("body = %v, want detail %q", body, noAccount)
			}
			if c.want == 200 && (body["access"] == nil || body["refresh"] == nil) {
				t.Errorf("body = %v, want access and refresh", body)
			}
		})
	}
	t.Run("authenticate and refresh", func(t *testing.T) {
		_, tokens := d.login("alice", "alice-secret")
		status, user := d.do("GET", "/api/authenticate/", tokens["access"].(string), nil)
		if status != 200 || user["id"] != "alice" || user["username"] != "alice" || asJSON(t, user["groups"]) != `["ops","staff"]` {
			t.Fatalf("authenticate = %d %v; want alice with groups ops, staff", status, user)
		}
		status, body := d.do("POST", "/api/token/refresh/", "", map[string]any{"refresh": tokens["refresh"]})
		if status != 200 || body["access"] == nil {
			t.Fatalf("refresh = %d %v", status, body)
		}
	})
}

func TestAllowlistRuleConfig(t *testing.T) {
	d := serve(t, "allowlist-rule")
	cases := []struct {
		name, user, pw string
		want           int
	}{
		{"alice in ops and staff", "alice", "alice-secret", 200},
		{"bob in staff", "bob", "correct horse battery staple", 200},
		{"carol in no group", "carol", "c4r0l!", 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := d.login(c.user, c.pw)
			if status != c.want {
				t.Fatalf("status = %d (%v), want %d", status, body, c.want)
			}
			if c.want == 401 && body["detail"] != noAccount {
				t.Errorf("body = %v, want detail %q", body, noAccount)
			}
		})
	}
}

func TestRolesClaimsConfig(t *testing.T) {
	d := serve(t, "roles-claims")
	cases := []struct {
		user, pw, roles string
	}{
		{"alice", "alice-secret", `["ops","staff"]`},
		{"carol", "c4r0l!", `[]`},
	}
	for _, c := range cases {
		t.Run(c.user, func(t *testing.T) {
			status, body := d.login(c.user, c.pw)
			if status != 200 {
				t.Fatalf("login = %d %v", status, body)
			}
			if got, want := asJSON(t, body["user"]), fmt.Sprintf(`{"email":"","username":%q}`, c.user); got != want {
				t.Errorf("response field user = %s, want %s", got, want)
			}
			for _, tok := range []string{"access", "refresh"} {
				if got := asJSON(t, payload(t, body[tok].(string))["roles"]); got != c.roles {
					t.Errorf("%s token roles = %s, want %s", tok, got, c.roles)
				}
			}
			status, tu := d.do("GET", "/api/authenticate/stateless/", body["access"].(string), nil)
			if status != 200 || tu["id"] != c.user || asJSON(t, tu["roles"]) != c.roles {
				t.Errorf("stateless authenticate = %d %v; want id %q and roles %s", status, tu, c.user, c.roles)
			}
		})
	}
}

// TestPythonRuleConfig runs the Python plugin as jwtd.toml names it
// (./plugin.py, run by its #!/usr/bin/python3 line), so it needs
// the stubs generated beside it and the system Python's grpc packages.
func TestPythonRuleConfig(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import grpc, grpc_tools.protoc, google.protobuf, cryptography").Run(); err != nil {
		if os.Getenv("JWTD_REQUIRE_PYTHON_PLUGIN") != "" {
			t.Fatalf("JWTD_REQUIRE_PYTHON_PLUGIN is set but /usr/bin/python3 lacks the plugin's modules: %v", err)
		}
		fmt.Fprintf(os.Stderr, "SKIP python-rule jwtd.toml: /usr/bin/python3 lacks grpc, grpc_tools, protobuf or cryptography (Debian: python3-grpcio python3-grpc-tools python3-protobuf python3-cryptography)\n")
		t.Skip("no Python gRPC packages")
	}
	gen := exec.Command("sh", "python-rule/gen.sh")
	gen.Env = append(os.Environ(), "PYTHON=/usr/bin/python3", "OUT="+filepath.Join(tree, "python-rule", "gen"))
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("gen.sh: %v\n%s", err, out)
	}
	d := serve(t, "python-rule")
	cases := []struct {
		name, user, pw string
		want           int
	}{
		{"allowed domain", "ann@example.com", "ann-secret", 200},
		{"other domain", "eve@example.net", "eve-secret", 401},
		{"wrong password", "ann@example.com", "eve-secret", 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body := d.login(c.user, c.pw)
			if status != c.want {
				t.Fatalf("status = %d (%v), want %d", status, body, c.want)
			}
		})
	}
}
