package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/host/httpapi"
	"github.com/jwtd/jwtd/sdk"
)

// cookieConfig turns the cookie transport on (not Secure: the test server
// is plain HTTP, and Go's client, unlike a browser, sends Secure cookies
// anyway; attributes are checked on the Set-Cookie lines).
const cookieConfig = `
[cookies]
enabled = true
secure = false
`

// cookieJar is the cookies a browser would hold, by name.
type cookieJar map[string]*http.Cookie

// take applies a response's Set-Cookie lines as a browser does: a
// deletion removes the cookie.
func (j cookieJar) take(resp *http.Response) {
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 {
			delete(j, c.Name)
		} else {
			j[c.Name] = c
		}
	}
}

func (j cookieJar) header() string {
	var parts []string
	for _, c := range j {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

// login obtains alice's tokens and returns the cookies the response set.
func login(t *testing.T, e *env) (cookieJar, *http.Response, []byte) {
	t.Helper()
	resp, body := e.do(jsonPost(obtainPath, alicePW))
	if resp.StatusCode != 200 {
		t.Fatalf("obtain: %d %s", resp.StatusCode, body)
	}
	j := cookieJar{}
	j.take(resp)
	return j, resp, body
}

// TestCookieObtainSetsCookies: obtain answers Simple JWT's body and sets
// the access cookie (path /), the refresh cookie (token prefix only) and
// the script-readable CSRF cookie, each with the configured attributes.
func TestCookieObtainSetsCookies(t *testing.T) {
	e := newEnvWith(t, configText("", "")+"[cookies]\nenabled = true\nsame_site = \"strict\"\n", nil)
	j, resp, body := login(t, e)
	if !strings.HasPrefix(string(body), `{"refresh":"eyJ`) || !strings.Contains(string(body), `"access":"eyJ`) {
		t.Fatalf("body changed: %s", body)
	}
	want := map[string]struct {
		path     string
		httpOnly bool
	}{
		"jwtd_access":  {"/", true},
		"jwtd_refresh": {"/api/token", true},
		"jwtd_csrf":    {"/", false},
	}
	for name, w := range want {
		c := j[name]
		if c == nil {
			t.Fatalf("no %s cookie in %q", name, resp.Header.Values("Set-Cookie"))
		}
		if c.Path != w.path || c.HttpOnly != w.httpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.MaxAge <= 0 || c.Value == "" {
			t.Errorf("%s: path %q httpOnly %v secure %v samesite %v maxage %d", name, c.Path, c.HttpOnly, c.Secure, c.SameSite, c.MaxAge)
		}
	}
	if !strings.Contains(string(body), j["jwtd_access"].Value) {
		t.Error("the access cookie is not the access token of the body")
	}
	// A CSRF cookie planted before the login is replaced, not adopted.
	planted := strings.Repeat("p", 43)
	resp, body = e.do(request{method: "POST", path: obtainPath, ctype: "application/json", body: alicePW,
		header: map[string]string{"Cookie": "jwtd_csrf=" + planted}})
	j2 := cookieJar{}
	j2.take(resp)
	if resp.StatusCode != 200 || j2["jwtd_csrf"] == nil || j2["jwtd_csrf"].Value == planted || len(j2["jwtd_csrf"].Value) != 43 {
		t.Fatalf("login kept a planted CSRF token: %d %s %v", resp.StatusCode, body, j2["jwtd_csrf"])
	}
}

// TestCookieHeaderClientsUnchanged: with the transport on, a header
// client's refresh answers the same body and sets no cookie.
func TestCookieHeaderClientsUnchanged(t *testing.T) {
	e := newEnvWith(t, configText("", "")+cookieConfig, nil)
	resp, body := e.do(jsonPost(refreshPath, tokenBody("refresh", e.pair("alice").Refresh)))
	if resp.StatusCode != 200 || !strings.HasPrefix(string(body), `{"access":"eyJ`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if sc := resp.Header.Values("Set-Cookie"); len(sc) != 0 {
		t.Fatalf("header client got cookies %q", sc)
	}
	// Without the transport a cookie is just ignored.
	off := newEnv(t, profileDefault)
	j, _, _ := login(t, off)
	if len(j) != 0 {
		t.Fatalf("cookies set with the transport off: %v", j)
	}
}

// TestCookieCSRF: a POST authenticated by the refresh cookie must carry
// the CSRF cookie's value in X-CSRF-Token and not be cross-site; then it
// rotates the cookies and the body holds no token.
func TestCookieCSRF(t *testing.T) {
	e := newEnvWith(t, configText(profileTokens[profileRotate], "")+cookieConfig+"trusted_origins = [\"https://app.example\"]\n", nil)
	j, _, _ := login(t, e)
	csrf := j["jwtd_csrf"].Value
	post := func(h map[string]string) (*http.Response, []byte) {
		h["Cookie"] = j.header()
		return e.do(request{method: "POST", path: refreshPath, header: h})
	}
	refusals := []struct {
		name string
		h    map[string]string
	}{
		{"no token", map[string]string{}},
		{"wrong token", map[string]string{"X-CSRF-Token": csrf + "x"}},
		{"empty token", map[string]string{"X-CSRF-Token": ""}},
		{"cross-site", map[string]string{"X-CSRF-Token": csrf, "Sec-Fetch-Site": "cross-site"}},
		{"untrusted origin", map[string]string{"X-CSRF-Token": csrf, "Origin": "https://evil.example"}},
	}
	for _, r := range refusals {
		resp, body := post(r.h)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(body), "CSRF Failed") {
			t.Errorf("%s: %d %s", r.name, resp.StatusCode, body)
		}
	}
	old := j["jwtd_refresh"].Value
	resp, body := post(map[string]string{"X-CSRF-Token": csrf, "Origin": "https://app.example", "Sec-Fetch-Site": "same-site"})
	if resp.StatusCode != 200 || string(body) != "{}" {
		t.Fatalf("refresh by cookie: %d %s", resp.StatusCode, body)
	}
	j.take(resp)
	if j["jwtd_refresh"].Value == old || j["jwtd_csrf"].Value != csrf {
		t.Fatalf("refresh cookie not rotated or CSRF token changed")
	}
	// The rotated-out token is blacklisted: the old cookie is dead.
	resp, body = e.do(request{method: "POST", path: refreshPath, header: map[string]string{
		"Cookie": "jwtd_refresh=" + old + "; jwtd_csrf=" + csrf, "X-CSRF-Token": csrf,
	}})
	if resp.StatusCode != 401 {
		t.Fatalf("old refresh cookie: %d %s", resp.StatusCode, body)
	}
}

// TestCookieVerifyAuthenticateLogout: verify and authenticate take the
// access cookie; blacklist with the refresh cookie is the logout, which
// clears every cookie and revokes the refresh token.
func TestCookieVerifyAuthenticateLogout(t *testing.T) {
	e := newEnvWith(t, configText("", "")+cookieConfig, nil)
	j, _, _ := login(t, e)
	csrf := j["jwtd_csrf"].Value
	resp, body := e.do(request{method: "POST", path: verifyPath, header: map[string]string{"Cookie": j.header(), "X-CSRF-Token": csrf}})
	if resp.StatusCode != 200 {
		t.Fatalf("verify by cookie: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(request{method: "GET", path: authPath, header: map[string]string{"Cookie": j.header()}})
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"username":"alice"`) {
		t.Fatalf("authenticate by cookie: %d %s", resp.StatusCode, body)
	}
	// forward-auth: a GET passes on the cookie alone; a POST needs CSRF.
	for _, c := range []struct {
		method, csrf string
		status       int
	}{{"GET", "", 200}, {"POST", "", 403}, {"", "", 403}, {"POST", csrf, 200}} {
		h := map[string]string{"Cookie": j.header(), "X-Forwarded-Method": c.method, "X-CSRF-Token": c.csrf}
		if c.method == "" {
			delete(h, "X-Forwarded-Method")
		}
		resp, body := e.do(request{method: "GET", path: forwardAuthPath, header: h})
		if resp.StatusCode != c.status {
			t.Errorf("forward-auth %q csrf %v: %d %s", c.method, c.csrf != "", resp.StatusCode, body)
		}
	}
	refresh := j["jwtd_refresh"].Value
	resp, body = e.do(request{method: "POST", path: blPath, header: map[string]string{"Cookie": j.header()}})
	if resp.StatusCode != 403 {
		t.Fatalf("logout without CSRF: %d %s", resp.StatusCode, body)
	}
	resp, body = e.do(request{method: "POST", path: blPath, header: map[string]string{"Cookie": j.header(), "X-CSRF-Token": csrf}})
	if resp.StatusCode != 200 {
		t.Fatalf("logout: %d %s", resp.StatusCode, body)
	}
	j.take(resp)
	if len(j) != 0 {
		t.Fatalf("cookies left after logout: %v", j)
	}
	resp, _ = e.do(jsonPost(refreshPath, tokenBody("refresh", refresh)))
	if resp.StatusCode != 401 {
		t.Fatalf("refresh token still good after logout: %d", resp.StatusCode)
	}
}

// TestCookieSliding: a sliding token lives in the access cookie; sliding
// refresh reads it from there (with the CSRF token) and answers with a new
// cookie and no token in the body.
func TestCookieSliding(t *testing.T) {
	e := newEnvWith(t, configText("", "")+cookieConfig, nil)
	resp, body := e.do(jsonPost(slidingPath, alicePW))
	j := cookieJar{}
	j.take(resp)
	if resp.StatusCode != 200 || j["jwtd_access"] == nil || !strings.Contains(string(body), j["jwtd_access"].Value) || j["jwtd_refresh"] != nil {
		t.Fatalf("sliding obtain: %d %s %v", resp.StatusCode, body, j)
	}
	h := map[string]string{"Cookie": j.header()}
	if resp, body := e.do(request{method: "POST", path: slRefPath, header: h}); resp.StatusCode != 403 {
		t.Fatalf("sliding refresh without CSRF: %d %s", resp.StatusCode, body)
	}
	h["X-CSRF-Token"] = j["jwtd_csrf"].Value
	resp, body = e.do(request{method: "POST", path: slRefPath, header: h})
	fresh := cookieJar{}
	fresh.take(resp)
	if resp.StatusCode != 200 || string(body) != "{}" || fresh["jwtd_access"] == nil || fresh["jwtd_csrf"].Value != h["X-CSRF-Token"] {
		t.Fatalf("sliding refresh by cookie: %d %s %v", resp.StatusCode, body, fresh)
	}
	if resp, body := e.do(jsonPost(verifyPath, tokenBody("token", fresh["jwtd_access"].Value))); resp.StatusCode != 200 {
		t.Fatalf("the refreshed sliding cookie does not verify: %d %s", resp.StatusCode, body)
	}
}

// obtainCounter counts the logins that reach the core (and so the user
// store's password check).
type obtainCounter struct {
	httpapi.Core
	n atomic.Int32
}

func (c *obtainCounter) Obtain(ctx context.Context, creds sdk.Credentials) (core.Issued, error) {
	c.n.Add(1)
	return c.Core.Obtain(ctx, creds)
}

func (c *obtainCounter) ObtainSliding(ctx context.Context, creds sdk.Credentials) (core.Issued, error) {
	c.n.Add(1)
	return c.Core.ObtainSliding(ctx, creds)
}

// TestCookieLoginCSRF: with the cookie transport on, a login the browser
// marks cross-site, or from an Origin outside trusted_origins, is refused
// 403 before the password is checked, and sets no cookie: a cross-site
// form could otherwise log the victim's browser into the attacker's
// account (login CSRF). The app's own pages and header clients (no
// Sec-Fetch-Site, no Origin) log in as before; with the transport off,
// nothing changes. The old code answered every case 200 with cookies.
func TestCookieLoginCSRF(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	const alice = "username=alice&password=alice-password-1"
	cases := []struct {
		name    string
		config  string
		path    string
		headers map[string]string
		status  int
	}{
		{"cross-site form", cookieConfig, obtainPath,
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 403},
		{"cross-site sliding", cookieConfig, slidingPath,
			map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"cross-site, trusted origins set", cookieConfig + "trusted_origins = [\"https://app.example\"]\n", obtainPath,
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 403},
		{"untrusted origin, no fetch metadata", cookieConfig + "trusted_origins = [\"https://app.example\"]\n", obtainPath,
			map[string]string{"Origin": "https://evil.example"}, 403},
		{"untrusted origin, sliding", cookieConfig + "trusted_origins = [\"https://app.example\"]\n", slidingPath,
			map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "same-site"}, 403},
		{"the app's own page", cookieConfig + "trusted_origins = [\"https://app.example\"]\n", obtainPath,
			map[string]string{"Origin": "https://app.example", "Sec-Fetch-Site": "same-origin"}, 200},
		{"same-origin, no list", cookieConfig, slidingPath,
			map[string]string{"Origin": "https://app.example", "Sec-Fetch-Site": "same-origin"}, 200},
		{"header client", cookieConfig + "trusted_origins = [\"https://app.example\"]\n", obtainPath, nil, 200},
		{"transport off: unchanged", "", obtainPath,
			map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var oc *obtainCounter
			e := newEnvWith(t, configText("", "")+c.config, func(inner httpapi.Core) httpapi.Core {
				oc = &obtainCounter{Core: inner}
				return oc
			})
			resp, body := e.do(request{method: "POST", path: c.path, ctype: form, body: alice, header: c.headers})
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.status, body)
			}
			cookies := resp.Header.Values("Set-Cookie")
			if c.status != 200 {
				if string(body) != `{"detail":"CSRF Failed: Origin checking failed."}` {
					t.Errorf("body %s", body)
				}
				if len(cookies) != 0 || oc.n.Load() != 0 {
					t.Errorf("refused login set cookies %q, or reached the password check (%d calls)", cookies, oc.n.Load())
				}
				return
			}
			if oc.n.Load() != 1 {
				t.Errorf("%d password checks, want 1", oc.n.Load())
			}
			if wantCookies := c.config != ""; (len(cookies) != 0) != wantCookies {
				t.Errorf("Set-Cookie %q; want cookies: %v", cookies, wantCookies)
			}
		})
	}
}
