package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/jwtdtest"
)

var jwtdBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jwtd-resource-server-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	jwtdBin = filepath.Join(dir, "jwtd")
	if err := jwtdtest.GoBuild(jwtdBin, "../../host/cmd/jwtd"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func jwtdCLI(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(jwtdBin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("jwtd %v: %v %s", args, err, errb.String())
	}
	return out.String()
}

func call(t *testing.T, method, url, auth, body string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(data, &m)
	return resp.StatusCode, m, resp.Header
}

// TestWithRealJWTD runs the README's setup: jwtd with an ES256 key made by
// `jwtd key generate`, the resource server on jwtd's JWK Set with the
// online check. A login's access token reaches the API; no token is jwtd's
// 401; a key rotation (new kid) is picked up by refetching the JWK Set; a
// deactivated user is refused once the online answer expires.
func TestWithRealJWTD(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "jwtd.toml")
	base := "[tokens]\n" + jwtdtest.SQLiteUserStore("jwtd.db")
	if err := os.WriteFile(cfg, []byte(base), 0o600); err != nil {
		t.Fatal(err)
	}
	ring := jwtdCLI(t, "", "key", "generate", "--algorithm", "ES256", "--kid", "first", "--config", cfg)
	if err := os.WriteFile(cfg, []byte(base+"\n"+ring), 0o600); err != nil {
		t.Fatal(err)
	}
	jwtdCLI(t, "pw-of-alice\n", "user", "add", "alice", "--config", cfg)
	addr := jwtdtest.FreeAddr(t)
	cmd := exec.Command(jwtdBin, "serve", "--config", cfg, "--listen", addr)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p := jwtdtest.Start(t, cmd, "http://"+addr, jwtdtest.Options{ReadyPath: "/healthz"})

	h, err := newHandler(config{
		jwksURL: p.URL + "/.well-known/jwks.json", algorithm: "ES256",
		onlineCheck: p.URL + "/api/authenticate/", onlineTTL: 200 * time.Millisecond,
		minRefetch: 100 * time.Millisecond, allowHTTP: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(h)
	t.Cleanup(api.Close)
	login := func() string {
		status, pair, _ := call(t, "POST", p.URL+"/api/token/", "", `{"username":"alice","password":"pw-of-alice"}`)
		if status != 200 {
			t.Fatalf("login: %d %v", status, pair)
		}
		return pair["access"].(string)
	}

	status, body, _ := call(t, "GET", api.URL+"/api/profile", "Bearer "+login(), "")
	if status != 200 || body["user_id"] != "1" || body["token_type"] != "access" {
		t.Fatalf("profile: %d %v", status, body)
	}
	status, body, hdr := call(t, "GET", api.URL+"/api/profile", "", "")
	if status != 401 || body["detail"] != "Authentication credentials were not provided." || hdr.Get("WWW-Authenticate") != `Bearer realm="api"` {
		t.Fatalf("no token: %d %v %v", status, body, hdr)
	}

	jwtdCLI(t, "", "key", "rotate", "--kid", "second", "--write", "--config", cfg)
	p.Cmd.Process.Signal(syscall.SIGHUP)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.Log.String(), "config reloaded") {
		if time.Now().After(deadline) {
			t.Fatalf("no reload:\n%s", p.Log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(150 * time.Millisecond) // past the JWK Set's refetch period
	rotated := login()
	if status, body, _ := call(t, "GET", api.URL+"/api/profile", "Bearer "+rotated, ""); status != 200 {
		t.Fatalf("token of the rotated key: %d %v", status, body)
	}

	jwtdCLI(t, "", "user", "deactivate", "alice", "--config", cfg)
	time.Sleep(250 * time.Millisecond) // past the online answer's TTL
	status, body, _ = call(t, "GET", api.URL+"/api/profile", "Bearer "+rotated, "")
	if status != 401 || body["code"] != "user_inactive" {
		t.Fatalf("deactivated user: %d %v", status, body)
	}
}
