package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/edgetest"
)

// recorder keeps what jwtd answered to each request to one path, with
// whether the browser sent the refresh cookie, to see what a page the
// test cannot read (a cross-origin form post) made of it.
type recorder struct {
	mu   sync.Mutex
	path string
	seen []recorded
}

type recorded struct {
	origin     string
	site       string
	hadRefresh bool
	status     int
	body       string
}

// statusWriter keeps the status and body jwtd answered.
type statusWriter struct {
	http.ResponseWriter
	status int
	body   strings.Builder
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

func (w *statusWriter) Write(b []byte) (int, error) {
	w.body.Write(b)
	return w.ResponseWriter.Write(b)
}

func (rec *recorder) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != rec.path {
			next.ServeHTTP(w, r)
			return
		}
		sw := &statusWriter{ResponseWriter: w, status: 200}
		next.ServeHTTP(sw, r)
		_, err := r.Cookie("jwtd_refresh")
		rec.mu.Lock()
		rec.seen = append(rec.seen, recorded{r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site"), err == nil, sw.status, sw.body.String()})
		rec.mu.Unlock()
	})
}

// waitFrom waits for the request from origin and returns it.
func (rec *recorder) waitFrom(t *testing.T, origin string) recorded {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		rec.mu.Lock()
		for _, s := range rec.seen {
			if s.origin == origin {
				rec.mu.Unlock()
				return s
			}
		}
		rec.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no request from %s reached %s", origin, rec.path)
	return recorded{}
}

// fetchResult is what the page's fetch calls return.
type fetchResult struct {
	Status int    `json:"status"`
	Body   string `json:"body"`
}

// TestBrowserCookieFlow drives a real headless Chromium through the
// cookie transport: the login sets the cookies (httpOnly but for the CSRF
// one, Secure, SameSite), cookie-authenticated requests work, a form post
// from another origin of the same site (cookies sent) and from another
// site is refused, refresh rotates the cookies, and the logout clears them
// and revokes the refresh token. With SameSite=Lax the browser keeps the
// cookies from the cross-site post; with SameSite=None it sends them, and
// jwtd refuses the post by the browser's Sec-Fetch-Site.
func TestBrowserCookieFlow(t *testing.T) {
	for _, sameSite := range []string{"Lax", "None"} {
		t.Run(sameSite, func(t *testing.T) { browserCookieFlow(t, sameSite) })
	}
}

func browserCookieFlow(t *testing.T, sameSiteMode string) {
	e := newEnvWith(t, configText(profileTokens[profileRotate], "")+"[cookies]\nenabled = true\nsame_site = \""+strings.ToLower(sameSiteMode)+"\"\n", nil)
	browser := edgetest.StartChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	rec := &recorder{path: blPath}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /app", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<!doctype html><title>app</title><p>app</p>")
	})
	mux.Handle("/", rec.wrap(e.api))
	app := httptest.NewServer(mux)
	t.Cleanup(app.Close)
	// The attacker: a page that posts a form to the logout on load.
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><form id=f method=POST action="%s%s"><input type=hidden name=x value=1></form>
<script>document.getElementById('f').submit()</script>`, app.URL, blPath)
	}))
	t.Cleanup(attacker.Close)

	page, err := browser.NewPage(ctx, app.URL+"/app")
	if err != nil {
		t.Fatal(err)
	}
	fetch := func(method, path string, headers map[string]string, body string) fetchResult {
		t.Helper()
		js := fmt.Sprintf(`fetch(%q, {method: %q, headers: %s, body: %s}).then(async r => ({status: r.status, body: await r.text()}))`,
			path, method, jsonObject(headers), map[bool]string{true: "undefined", false: fmt.Sprintf("%q", body)}[body == ""])
		var res fetchResult
		if err := page.Eval(ctx, js, &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	cookies := func() map[string]edgetest.Cookie {
		t.Helper()
		c, err := browser.Cookies(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	csrf := func() string {
		t.Helper()
		var v string
		if err := page.Eval(ctx, `(document.cookie.split('; ').find(c => c.startsWith('jwtd_csrf=')) || '').slice(10)`, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}

	// Login.
	res := fetch("POST", obtainPath, map[string]string{"Content-Type": "application/json"}, alicePW)
	if res.Status != 200 || !strings.Contains(res.Body, `"access":"eyJ`) {
		t.Fatalf("login: %+v", res)
	}
	jar := cookies()
	for name, want := range map[string]struct {
		path     string
		httpOnly bool
	}{"jwtd_access": {"/", true}, "jwtd_refresh": {"/api/token", true}, "jwtd_csrf": {"/", false}} {
		c, ok := jar[name]
		if !ok {
			t.Fatalf("after login the browser holds no %s: %+v", name, jar)
		}
		if c.Path != want.path || c.HTTPOnly != want.httpOnly || !c.Secure || c.SameSite != sameSiteMode {
			t.Errorf("%s stored as %+v", name, c)
		}
	}
	var script string
	if err := page.Eval(ctx, `document.cookie`, &script); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(script, "jwtd_access") || strings.Contains(script, "jwtd_refresh") || !strings.Contains(script, "jwtd_csrf=") {
		t.Fatalf("script sees %q", script)
	}
	if res := fetch("GET", authPath, nil, ""); res.Status != 200 || !strings.Contains(res.Body, `"username":"alice"`) {
		t.Fatalf("authenticate by cookie: %+v", res)
	}

	// Cross-origin form posts to the logout. Same site (another port of
	// 127.0.0.1): the browser sends the cookies, the CSRF check refuses.
	// Another site (localhost): SameSite=Lax keeps the cookies home; with
	// None they go along and Sec-Fetch-Site: cross-site is refused.
	sameSite := attacker.URL
	crossSite := strings.Replace(attacker.URL, "127.0.0.1", "localhost", 1)
	for _, origin := range []string{sameSite, crossSite} {
		if _, err := browser.Open(ctx, origin+"/attack"); err != nil {
			t.Fatal(err)
		}
		got := rec.waitFrom(t, origin)
		switch {
		case got.status == 200:
			t.Fatalf("form post from %s logged the user out: %+v", origin, got)
		case origin == sameSite && (!got.hadRefresh || got.status != 403 || !strings.Contains(got.body, "CSRF token missing")):
			t.Fatalf("same-site post: %+v, want the cookie sent and 403 for the CSRF token", got)
		case origin == crossSite && sameSiteMode == "Lax" && got.hadRefresh:
			t.Fatalf("cross-site post carried a SameSite=Lax refresh cookie: %+v", got)
		case origin == crossSite && sameSiteMode == "None" && (!got.hadRefresh || got.site != "cross-site" || got.status != 403 || !strings.Contains(got.body, "Origin checking failed")):
			t.Fatalf("cross-site post with SameSite=None: %+v, want the cookie sent, marked cross-site and 403", got)
		}
	}
	if c := cookies()["jwtd_refresh"]; c.Value != jar["jwtd_refresh"].Value {
		t.Fatal("the refresh cookie changed under the attacks")
	}

	// The page itself without the CSRF header is refused too.
	if res := fetch("POST", refreshPath, nil, ""); res.Status != 403 {
		t.Fatalf("refresh without CSRF header: %+v", res)
	}
	token := csrf()
	res = fetch("POST", refreshPath, map[string]string{"X-CSRF-Token": token}, "")
	if res.Status != 200 || res.Body != "{}" {
		t.Fatalf("refresh: %+v", res)
	}
	rotated := cookies()
	if rotated["jwtd_refresh"].Value == jar["jwtd_refresh"].Value || rotated["jwtd_access"].Value == jar["jwtd_access"].Value {
		t.Fatal("refresh did not rotate the cookies")
	}
	if resp, _ := e.do(jsonPost(refreshPath, tokenBody("refresh", jar["jwtd_refresh"].Value))); resp.StatusCode != 401 {
		t.Fatalf("the rotated-out refresh token still works: %d", resp.StatusCode)
	}

	// Logout.
	res = fetch("POST", blPath, map[string]string{"X-CSRF-Token": csrf()}, "")
	if res.Status != 200 {
		t.Fatalf("logout: %+v", res)
	}
	for name := range cookies() {
		if strings.HasPrefix(name, "jwtd_") {
			t.Errorf("cookie %s left after logout", name)
		}
	}
	if res := fetch("GET", authPath, nil, ""); res.Status != 401 {
		t.Fatalf("authenticate after logout: %+v", res)
	}
	if resp, _ := e.do(jsonPost(refreshPath, tokenBody("refresh", rotated["jwtd_refresh"].Value))); resp.StatusCode != 401 {
		t.Fatalf("the refresh token survived the logout: %d", resp.StatusCode)
	}
}

// jsonObject writes a JS object literal of string pairs.
func jsonObject(m map[string]string) string {
	var b strings.Builder
	b.WriteString("{")
	for k, v := range m {
		fmt.Fprintf(&b, "%q: %q,", k, v)
	}
	b.WriteString("}")
	return b.String()
}

// TestBrowserLoginCSRF: a page on another site, or on another origin of
// the same site, that posts a login form with the attacker's credentials
// does not log the victim's browser in (login CSRF): jwtd refuses the
// cross-site post by Chromium's Sec-Fetch-Site and the same-site one by
// trusted_origins, before any password check, and the browser holds no
// jwtd cookie afterwards. The app's own page still logs in. The old code
// answered both posts 200 and the browser kept the attacker's cookies.
func TestBrowserLoginCSRF(t *testing.T) {
	app := httptest.NewUnstartedServer(nil)
	appOrigin := "http://" + app.Listener.Addr().String()
	e := newEnvWith(t, configText("", "")+cookieConfig+fmt.Sprintf("trusted_origins = [%q]\n", appOrigin), nil)
	browser := edgetest.StartChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	rec := &recorder{path: obtainPath}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /app", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<!doctype html><title>app</title><p>app</p>")
	})
	mux.Handle("/", rec.wrap(e.api))
	app.Config.Handler = mux
	app.Start()
	t.Cleanup(app.Close)
	// The attacker: a page that posts its own account's login on load.
	attacker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><form id=f method=POST action="%s%s">
<input type=hidden name=username value=alice><input type=hidden name=password value=alice-password-1></form>
<script>document.getElementById('f').submit()</script>`, appOrigin, obtainPath)
	}))
	t.Cleanup(attacker.Close)

	sameSite := attacker.URL
	crossSite := strings.Replace(attacker.URL, "127.0.0.1", "localhost", 1)
	for _, origin := range []string{sameSite, crossSite} {
		if _, err := browser.Open(ctx, origin+"/attack"); err != nil {
			t.Fatal(err)
		}
		got := rec.waitFrom(t, origin)
		if got.status != 403 || !strings.Contains(got.body, "Origin checking failed") {
			t.Errorf("login form posted from %s: %+v, want 403 Origin checking failed", origin, got)
		}
		if origin == crossSite && got.site != "cross-site" {
			t.Errorf("Chromium marked the cross-site post %q", got.site)
		}
	}
	jar, err := browser.Cookies(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for name := range jar {
		if strings.HasPrefix(name, "jwtd_") {
			t.Errorf("a cross-origin login form left the browser the cookie %s", name)
		}
	}

	page, err := browser.NewPage(ctx, appOrigin+"/app")
	if err != nil {
		t.Fatal(err)
	}
	js := fmt.Sprintf(`fetch(%q, {method: "POST", headers: {"Content-Type": "application/json"}, body: %q}).then(async r => ({status: r.status, body: await r.text()}))`, obtainPath, alicePW)
	var res fetchResult
	if err := page.Eval(ctx, js, &res); err != nil {
		t.Fatal(err)
	}
	if res.Status != 200 {
		t.Fatalf("login from the app's own page: %+v", res)
	}
	if jar, err = browser.Cookies(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := jar["jwtd_access"]; !ok {
		t.Fatalf("the app's own login set no access cookie: %+v", jar)
	}
}
