package httpapi_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/host/httpapi"
	"github.com/jwtd/jwtd/sdk"
)

// TestConcurrentRefreshRotation: 20 refreshes of one refresh token at
// once with rotation on; exactly one wins, every other is told the token
// is blacklisted.
func TestConcurrentRefreshRotation(t *testing.T) {
	e := newEnv(t, profileRotate)
	tok := e.pair("alice").Refresh
	const n = 20
	type result struct {
		status int
		body   string
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req, _ := http.NewRequest("POST", e.srv.URL+refreshPath, strings.NewReader(tokenBody("refresh", tok)))
			req.Header.Set("Content-Type", "application/json")
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				results[i] = result{body: err.Error()}
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			results[i] = result{resp.StatusCode, string(b)}
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, r := range results {
		switch {
		case r.status == 200:
			ok++
			if !strings.Contains(r.body, `"refresh":"eyJ`) {
				t.Errorf("winner got no rotated refresh token: %s", r.body)
			}
		case r.status == 401 && r.body == `{"detail":"Token is blacklisted","code":"token_not_valid"}`:
		default:
			t.Errorf("unexpected answer %d %s", r.status, r.body)
		}
	}
	if ok != 1 {
		t.Fatalf("%d refreshes succeeded, want exactly 1", ok)
	}
}

// TestUpdateLastLogin: obtain records the login only when update_last_login
// is on.
func TestUpdateLastLogin(t *testing.T) {
	for profile, want := range map[string]bool{profileDefault: false, profileRotate: true} {
		t.Run(profile, func(t *testing.T) {
			e := newEnv(t, profile)
			e.mustOK(jsonPost(obtainPath, alicePW))
			got := !e.user("alice").LastLogin.IsZero()
			if got != want {
				t.Fatalf("last login recorded = %v, want %v", got, want)
			}
		})
	}
}

// TestStoreDownIs503: a closed store fails requests closed, with JSON.
func TestStoreDownIs503(t *testing.T) {
	e := newEnv(t, profileDefault)
	tok := e.pair("alice").Refresh
	if err := e.stack.Close(); err != nil {
		t.Fatal(err)
	}
	for _, r := range []request{
		jsonPost(refreshPath, tokenBody("refresh", tok)),
		jsonPost(blPath, tokenBody("refresh", tok)),
		jsonPost(obtainPath, alicePW),
	} {
		resp, body := e.do(r)
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("%s: %d %s, want 503", r.path, resp.StatusCode, body)
			continue
		}
		if ra := resp.Header.Get("Retry-After"); ra != "5" {
			t.Errorf("%s: Retry-After %q, want 5", r.path, ra)
		}
		var m map[string]string
		if err := json.Unmarshal(body, &m); err != nil || m["code"] != "plugin_unavailable" || m["detail"] == "" {
			t.Errorf("%s: body %s", r.path, body)
		}
	}
	// The API's /readyz says 503 and when to retry, not which store is down;
	// the operational listener names them.
	resp, body := e.do(request{method: "GET", path: "/readyz"})
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "5" || strings.Contains(string(body), "store") {
		t.Errorf("readyz with stores closed: %d %s (Retry-After %q)", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	rec := httptest.NewRecorder()
	e.api.OpsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"user_store":"unavailable"`) || rec.Header().Get("Retry-After") != "5" {
		t.Errorf("ops readyz with stores closed: %d %s", rec.Code, rec.Body)
	}
}

// panicky is a core whose Verify panics and whose Obtain fails with an
// error the API does not know: both must be a logged 500 JSON, never a
// crash or a leaked message.
type panicky struct{ httpapi.Core }

func (panicky) Verify(ctx context.Context, token string) error { panic("boom") }

func (panicky) Obtain(context.Context, sdk.Credentials) (core.Issued, error) {
	return core.Issued{}, errors.New("secret internal detail")
}

func TestInternalErrorsAre500JSON(t *testing.T) {
	e := newEnvWith(t, configText("", ""), func(c httpapi.Core) httpapi.Core { return panicky{c} })
	for _, r := range []request{jsonPost(verifyPath, `{"token": "x"}`), jsonPost(obtainPath, alicePW)} {
		resp, body := e.do(r)
		if resp.StatusCode != 500 || string(body) != `{"detail":"Internal server error."}` {
			t.Errorf("%s: %d %s", r.path, resp.StatusCode, body)
		}
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "panic") || !strings.Contains(logs, "secret internal detail") {
		t.Errorf("causes not logged: %s", logs)
	}
	// The server still serves after a panic.
	resp, _ := e.do(request{method: "GET", path: "/healthz"})
	if resp.StatusCode != 200 {
		t.Fatalf("healthz after panic: %d", resp.StatusCode)
	}
}

// TestRequestLog: one line per request with method, path, status and the
// user id when known; never a password or a token.
func TestRequestLog(t *testing.T) {
	e := newEnv(t, profileDefault)
	body := e.mustOK(jsonPost(obtainPath, alicePW))
	var pair map[string]string
	if err := json.Unmarshal(body, &pair); err != nil {
		t.Fatal(err)
	}
	e.mustOK(jsonPost(refreshPath, tokenBody("refresh", pair["refresh"])))
	e.mustOK(bearer(authPath, "Bearer "+pair["access"]))
	e.do(jsonPost(obtainPath, `{"username": "alice", "password": "wrong-password-xyz"}`))

	logs := e.logs.String()
	for _, secret := range []string{"alice-password-1", "wrong-password-xyz", pair["access"], pair["refresh"], testSecret} {
		if strings.Contains(logs, secret) {
			t.Fatalf("log holds a secret %.12q...:\n%s", secret, logs)
		}
	}
	var lines []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "msg=request") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 4 {
		t.Fatalf("%d request lines, want 4:\n%s", len(lines), logs)
	}
	wants := []string{
		"method=POST path=/api/token/ status=200",
		"method=POST path=/api/token/refresh/ status=200",
		"method=GET path=/api/authenticate/ status=200",
		"method=POST path=/api/token/ status=401",
	}
	for i, w := range wants {
		if !strings.Contains(lines[i], w) || !strings.Contains(lines[i], "duration=") {
			t.Errorf("line %d %q lacks %q", i, lines[i], w)
		}
	}
	if !strings.Contains(lines[2], "user_id="+e.users["alice"].ID) {
		t.Errorf("authenticate line lacks the user id: %s", lines[2])
	}
}

// TestCustomPrefixHeaderAndTypes: [server].prefix, auth_header_name in
// Django's META form and auth_header_types change the routes, the header
// read and the WWW-Authenticate realm.
func TestCustomPrefixHeaderAndTypes(t *testing.T) {
	tokens := "auth_header_types = [\"JWT\", \"Bearer\"]\nauth_header_name = \"HTTP_X_ACCESS_TOKEN\"\n"
	e := newEnvWith(t, configText(tokens, `prefix = "/auth/jwt"`), nil)
	body := e.mustOK(jsonPost("/auth/jwt/", alicePW))
	var pair map[string]string
	json.Unmarshal(body, &pair)

	resp, _ := e.do(jsonPost(obtainPath, alicePW))
	if resp.StatusCode != 404 {
		t.Errorf("old prefix still served: %d", resp.StatusCode)
	}
	e.mustOK(request{method: "GET", path: authPath, header: map[string]string{"X-Access-Token": "Bearer " + pair["access"]}})
	e.mustOK(request{method: "GET", path: authPath, header: map[string]string{"X-Access-Token": "JWT " + pair["access"]}})
	resp, body = e.do(bearer(authPath, "JWT "+pair["access"]))
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `JWT realm="api"` {
		t.Errorf("Authorization header must be ignored: %d %s %q", resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"))
	}
}

// TestJWKSAsymmetric: with RS256 the public key is served as a JWK Set,
// and tokens verify.
func TestJWKSAsymmetric(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	priv := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: must(x509.MarshalPKCS8PrivateKey(key))})
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: must(x509.MarshalPKIXPublicKey(&key.PublicKey))})
	t.Setenv("JWTD_TEST_RSA_PRIVATE", string(priv))
	t.Setenv("JWTD_TEST_RSA_PUBLIC", string(pub))
	text := strings.Replace(configText("algorithm = \"RS256\"\nverifying_key = \"env:JWTD_TEST_RSA_PUBLIC\"\n", ""),
		`signing_key = "`+testSecret+`"`, `signing_key = "env:JWTD_TEST_RSA_PRIVATE"`, 1)
	e := newEnvWith(t, text, nil)
	body := e.mustOK(request{method: "GET", path: "/.well-known/jwks.json"})
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil || len(set.Keys) != 1 || set.Keys[0]["kty"] != "RSA" {
		t.Fatalf("JWKS %s (%v)", body, err)
	}
	if strings.Contains(string(body), `"d"`) {
		t.Fatal("JWKS holds private key material")
	}
	e.mustOK(jsonPost(verifyPath, tokenBody("token", e.pair("alice").Access)))
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
