package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/internal/edgetest"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// echoUpstream is the service behind the proxy: it answers with the user
// headers it received (every value, so a forged one passed beside the real
// one shows).
func echoUpstream(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"user_id":  r.Header.Values("X-User-Id"),
			"username": r.Header.Values("X-Username"),
			"path":     r.URL.RequestURI(),
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// seen is what the upstream reported.
type seen struct {
	UserID   []string `json:"user_id"`
	Username []string `json:"username"`
	Path     string   `json:"path"`
}

// proxyGet sends one GET through the proxy.
func proxyGet(t *testing.T, url string, h map[string]string) (int, http.Header, seen) {
	t.Helper()
	return proxyDo(t, "GET", url, h)
}

// proxyDo sends one request through the proxy; the upstream's answer is
// decoded on 200.
func proxyDo(t *testing.T, method, url string, h map[string]string) (int, http.Header, seen) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader("a=1"))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var s seen
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatalf("upstream answer %q: %v", b, err)
		}
	}
	return resp.StatusCode, resp.Header, s
}

// The example configs, as the README shows them: the tests run these very
// files, with the addresses replaced.
const (
	exampleDir      = "../../examples/reverse-proxy"
	exampleJWTD     = "127.0.0.1:8000"
	exampleUpstream = "127.0.0.1:9000"
)

// exampleConfig reads an example file and replaces each old with its new,
// failing when one is missing (the example changed under the test).
func exampleConfig(t *testing.T, name string, oldnew ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(exampleDir, name))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for i := 0; i < len(oldnew); i += 2 {
		if !strings.Contains(text, oldnew[i]) {
			t.Fatalf("%s has no %q", name, oldnew[i])
		}
		text = strings.ReplaceAll(text, oldnew[i], oldnew[i+1])
	}
	return text
}

// nginxConfig is examples/reverse-proxy/nginx.conf on the test's addresses
// (ADDR is the listen address, filled in by StartNginx).
func nginxConfig(t *testing.T, jwtd, upstream string) string {
	return exampleConfig(t, "nginx.conf", "listen 8080;", "listen ADDR;",
		"http://"+exampleJWTD, jwtd, "http://"+exampleUpstream, upstream)
}

// caddyConfig is examples/reverse-proxy/Caddyfile likewise.
func caddyConfig(t *testing.T, jwtd, upstream string) string {
	return exampleConfig(t, "Caddyfile", ":8080 {", "http://ADDR {",
		exampleJWTD, strings.TrimPrefix(jwtd, "http://"), exampleUpstream, strings.TrimPrefix(upstream, "http://"))
}

// TestReadmeShowsTheExamples: the README's proxy snippets are the tested
// files, word for word.
func TestReadmeShowsTheExamples(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"nginx.conf", "Caddyfile", "traefik.yml"} {
		if !strings.Contains(string(readme), exampleConfig(t, name)) {
			t.Errorf("README.md does not show examples/reverse-proxy/%s as it is", name)
		}
	}
}

// edgeConfig has a stateless prefix whose tokens name no username, to
// show an empty header still replaces a forged one; a claim rule (stateless,
// so a token the test signs with is_staff passes it under
// check_revoke_token); and the cookie transport.
const edgeConfig = `
[[forward_auth.rules]]
path_prefix = "/public-api"
mode = "stateless"
[[forward_auth.rules]]
path_prefix = "/admin"
mode = "stateless"
[forward_auth.rules.require_claims]
is_staff = true
[cookies]
enabled = true
`

// TestProxyNginx and TestProxyCaddy put the real proxy in front of an
// echoing upstream, asking jwtd's forward-auth on every request.
func TestProxyNginx(t *testing.T) {
	e := newEnvWith(t, configText(profileTokens[profileRevoke], "")+edgeConfig, nil)
	up := echoUpstream(t)
	proxy := edgetest.StartNginx(t, edgetest.FreeAddr(t), nginxConfig(t, e.srv.URL, up.URL))
	proxyScenario(t, e, proxy)
}

func TestProxyCaddy(t *testing.T) {
	e := newEnvWith(t, configText(profileTokens[profileRevoke], "")+edgeConfig, nil)
	up := echoUpstream(t)
	proxy := edgetest.StartCaddy(t, edgetest.FreeAddr(t), caddyConfig(t, e.srv.URL, up.URL))
	proxyScenario(t, e, proxy)
}

// proxyScenario is what either proxy must do with jwtd behind it.
func proxyScenario(t *testing.T, e *env, proxy string) {
	alice := e.users["alice"]
	aliceTok := "Bearer " + e.pair("alice").Access
	daveTok := "Bearer " + e.pair("dave").Access
	carolTok := "Bearer " + e.pair("carol").Access

	t.Run("no token: 401 at the proxy", func(t *testing.T) {
		status, h, s := proxyGet(t, proxy+"/app", map[string]string{"X-User-Id": alice.ID})
		if status != 401 || h.Get("WWW-Authenticate") != `Bearer realm="api"` {
			t.Fatalf("status %d, WWW-Authenticate %q", status, h.Get("WWW-Authenticate"))
		}
		if s.Path != "" {
			t.Fatal("the upstream was reached")
		}
	})
	t.Run("valid token: the upstream sees the user", func(t *testing.T) {
		status, _, s := proxyGet(t, proxy+"/app?x=1", map[string]string{"Authorization": aliceTok})
		if status != 200 || len(s.UserID) != 1 || s.UserID[0] != alice.ID || len(s.Username) != 1 || s.Username[0] != "alice" || s.Path != "/app?x=1" {
			t.Fatalf("status %d, upstream saw %+v", status, s)
		}
	})
	t.Run("forged user headers are replaced", func(t *testing.T) {
		status, _, s := proxyGet(t, proxy+"/app", map[string]string{"Authorization": aliceTok, "X-User-Id": "1", "X-Username": "root"})
		if status != 200 || len(s.UserID) != 1 || s.UserID[0] != alice.ID || len(s.Username) != 1 || s.Username[0] != "alice" {
			t.Fatalf("status %d, upstream saw %+v", status, s)
		}
	})
	t.Run("forged username beside a token without one is dropped", func(t *testing.T) {
		status, _, s := proxyGet(t, proxy+"/public-api/x", map[string]string{"Authorization": aliceTok, "X-Username": "root"})
		if status != 200 || len(s.UserID) != 1 || s.UserID[0] != alice.ID || len(s.Username) > 1 || len(s.Username) == 1 && s.Username[0] != "" {
			t.Fatalf("status %d, upstream saw %+v", status, s)
		}
	})
	t.Run("a rule by the original path: 403 at the proxy", func(t *testing.T) {
		for _, p := range []string{"/admin", "/admin/", "/%61dmin"} {
			if status, _, s := proxyGet(t, proxy+p, map[string]string{"Authorization": aliceTok}); status != 403 || s.Path != "" {
				t.Errorf("%s: %d %+v", p, status, s)
			}
		}
		staff := "Bearer " + e.forge(map[string]any{"is_staff": true, "user_id": alice.ID})
		if status, _, s := proxyGet(t, proxy+"/admin/users", map[string]string{"Authorization": staff}); status != 200 || s.Path != "/admin/users" {
			t.Fatalf("staff: %d %+v", status, s)
		}
	})
	t.Run("a path that is not clean never reaches the upstream", func(t *testing.T) {
		// jwtd answers 400 (nginx makes it a 500): the upstream could
		// resolve the raw path otherwise than the rules would.
		for _, p := range []string{"/x/../admin/users", "/admin/../app", "/admin/%2e%2e/app", "//app"} {
			if status, _, s := proxyGet(t, proxy+p, map[string]string{"Authorization": aliceTok}); status < 400 || s.Path != "" {
				t.Errorf("%s: %d %+v", p, status, s)
			}
		}
	})
	t.Run("cookie: unsafe methods need the CSRF token", func(t *testing.T) {
		access := e.pair("alice").Access
		cookie := map[string]string{"Cookie": "jwtd_access=" + access + "; jwtd_csrf=c0ffee"}
		if status, _, s := proxyDo(t, "GET", proxy+"/app", cookie); status != 200 || len(s.UserID) != 1 || s.UserID[0] != alice.ID {
			t.Fatalf("GET by cookie: %d %+v", status, s)
		}
		if status, _, s := proxyDo(t, "POST", proxy+"/app", cookie); status != 403 || s.Path != "" {
			t.Fatalf("POST by cookie without CSRF: %d %+v", status, s)
		}
		cookie["X-CSRF-Token"] = "c0ffee"
		if status, _, s := proxyDo(t, "POST", proxy+"/app", cookie); status != 200 || len(s.UserID) != 1 || s.UserID[0] != alice.ID {
			t.Fatalf("POST by cookie with CSRF: %d %+v", status, s)
		}
	})
	t.Run("deactivated user: 401", func(t *testing.T) {
		if status, _, _ := proxyGet(t, proxy+"/app", map[string]string{"Authorization": daveTok}); status != 200 {
			t.Fatalf("before: %d", status)
		}
		if err := sdktest.Admin(e.t, e.stack.Users).SetActive(context.Background(), "dave", false); err != nil {
			t.Fatal(err)
		}
		if status, _, s := proxyGet(t, proxy+"/app", map[string]string{"Authorization": daveTok}); status != 401 || s.Path != "" {
			t.Fatalf("after: %d %+v", status, s)
		}
	})
	t.Run("changed password with check_revoke_token: 401", func(t *testing.T) {
		if err := sdktest.Admin(e.t, e.stack.Users).SetPassword(context.Background(), "carol", "carol-password-9"); err != nil {
			t.Fatal(err)
		}
		if status, _, s := proxyGet(t, proxy+"/app", map[string]string{"Authorization": carolTok}); status != 401 || s.Path != "" {
			t.Fatalf("after: %d %+v", status, s)
		}
	})
}

// TestForwardAuthTraefikHeaders sends exactly what Traefik's ForwardAuth
// documentation says it sends (X-Forwarded-Method, -Proto, -Host, -Uri,
// -For, beside the client's own headers) and checks the answer Traefik
// would act on: the user headers to copy (authResponseHeaders), the rule
// chosen by X-Forwarded-Uri, and CSRF taken from X-Forwarded-Method.
func TestForwardAuthTraefikHeaders(t *testing.T) {
	e := newEnvWith(t, configText("", "")+cookieConfig+`
[[forward_auth.rules]]
path_prefix = "/admin"
[forward_auth.rules.require_claims]
is_staff = true
`, nil)
	traefik := func(method, uri string) map[string]string {
		return map[string]string{
			"X-Forwarded-Method": method,
			"X-Forwarded-Proto":  "https",
			"X-Forwarded-Host":   "app.example",
			"X-Forwarded-Uri":    uri,
			"X-Forwarded-For":    "203.0.113.7",
		}
	}
	with := func(h map[string]string, k, v string) map[string]string { h[k] = v; return h }
	tok := e.pair("alice").Access
	cases := []struct {
		name   string
		h      map[string]string
		status int
	}{
		{"bearer GET", with(traefik("GET", "/app/x?y=1"), "Authorization", "Bearer "+tok), 200},
		{"bearer POST needs no CSRF", with(traefik("POST", "/app/x"), "Authorization", "Bearer "+tok), 200},
		{"rule by X-Forwarded-Uri", with(traefik("GET", "/admin/users"), "Authorization", "Bearer "+tok), 403},
		{"staff passes the rule", with(traefik("GET", "/admin/users"), "Authorization", "Bearer "+e.forge(map[string]any{"is_staff": true})), 200},
		{"no token", traefik("GET", "/app"), 401},
		{"cookie GET", with(traefik("GET", "/app"), "Cookie", "jwtd_access="+tok), 200},
		{"cookie POST without CSRF", with(traefik("POST", "/app"), "Cookie", "jwtd_access="+tok), 403},
		{"cookie POST with CSRF", with(with(traefik("POST", "/app"), "Cookie", "jwtd_access="+tok+"; jwtd_csrf=abc"), "X-CSRF-Token", "abc"), 200},
		{"forged X-Original-URI beside Traefik's", with(with(traefik("GET", "/admin"), "X-Original-URI", "/app"), "Authorization", "Bearer "+tok), 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Traefik's request to the auth server is a GET.
			resp, body := e.do(request{method: "GET", path: forwardAuthPath, header: c.h})
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			if c.status == 200 && (resp.Header.Get("X-User-Id") != e.users["alice"].ID || resp.Header.Get("X-Username") != "alice") {
				t.Fatalf("user headers %q %q", resp.Header.Get("X-User-Id"), resp.Header.Get("X-Username"))
			}
		})
	}
}
