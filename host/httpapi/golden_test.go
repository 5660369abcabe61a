package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/sdk/sdktest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// jwtPattern matches a JWT in a body; goldens hold "<jwt>" instead, since
// tokens differ on every run.
var jwtPattern = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)

const (
	obtainPath  = "/api/token/"
	refreshPath = "/api/token/refresh/"
	verifyPath  = "/api/token/verify/"
	blPath      = "/api/token/blacklist/"
	slidingPath = "/api/token/sliding/"
	slRefPath   = "/api/token/sliding/refresh/"
	authPath    = "/api/authenticate/"
	statePath   = "/api/authenticate/stateless/"
)

const alicePW = `{"username": "alice", "password": "alice-password-1"}`

// apiCase is one request against a fresh-token server and the response it
// must get: the status here, the body in testdata/golden/<profile>/<name>.json.
type apiCase struct {
	name string
	// profiles the case runs in; nil means default and rotate.
	profiles []string
	req      func(e *env) request
	status   int
	// statusIn overrides status for a profile.
	statusIn map[string]int
	allow    string // expected Allow header, when set
}

func tokenBody(field, tok string) string { return fmt.Sprintf(`{%q: %q}`, field, tok) }

func fixed(r request) func(*env) request { return func(*env) request { return r } }

func apiCases() []apiCase {
	deep := strings.Repeat("[", 40) + strings.Repeat("]", 40)
	return []apiCase{
		// POST /api/token/ (TokenObtainPairView)
		{name: "obtain_ok", req: fixed(jsonPost(obtainPath, alicePW)), status: 200, allow: "POST, OPTIONS"},
		{name: "obtain_no_trailing_slash", req: fixed(jsonPost("/api/token", alicePW)), status: 200},
		{name: "obtain_form", req: fixed(formPost(obtainPath, url.Values{"username": {"alice"}, "password": {"alice-password-1"}})), status: 200},
		{name: "obtain_multipart", req: fixed(multipartPost(obtainPath, map[string]string{"username": "alice", "password": "alice-password-1"})), status: 200},
		{name: "obtain_json_charset", req: fixed(request{method: "POST", path: obtainPath, ctype: "application/json; charset=utf-8", body: alicePW}), status: 200},
		{name: "obtain_wrong_password", req: fixed(jsonPost(obtainPath, `{"username": "alice", "password": "nope"}`)), status: 401},
		{name: "obtain_unknown_user", req: fixed(jsonPost(obtainPath, `{"username": "zed", "password": "alice-password-1"}`)), status: 401},
		{name: "obtain_inactive_user", req: fixed(jsonPost(obtainPath, `{"username": "bob", "password": "bob-password-1"}`)), status: 401},
		{name: "obtain_missing_fields", req: fixed(jsonPost(obtainPath, `{}`)), status: 400},
		{name: "obtain_empty_body", req: fixed(request{method: "POST", path: obtainPath}), status: 400},
		{name: "obtain_blank_and_not_string", req: fixed(jsonPost(obtainPath, `{"username": "  ", "password": true}`)), status: 400},
		{name: "obtain_null_and_list", req: fixed(jsonPost(obtainPath, `{"username": null, "password": ["x"]}`)), status: 400},
		{name: "obtain_form_blank", req: fixed(formPost(obtainPath, url.Values{"username": {""}})), status: 400},
		{name: "obtain_password_too_long", req: fixed(jsonPost(obtainPath, `{"username": "alice", "password": "`+strings.Repeat("p", 4097)+`"}`)), status: 400},
		{name: "obtain_method_get", req: fixed(request{method: "GET", path: obtainPath}), status: 405, allow: "POST, OPTIONS"},
		{name: "obtain_method_put", req: fixed(request{method: "PUT", path: obtainPath, ctype: "application/json", body: alicePW}), status: 405},
		{name: "obtain_text_plain", req: fixed(request{method: "POST", path: obtainPath, ctype: "text/plain", body: "username=alice"}), status: 415},
		{name: "obtain_malformed_json", req: fixed(jsonPost(obtainPath, `{"username": "alice",`)), status: 400},
		{name: "obtain_trailing_json", req: fixed(jsonPost(obtainPath, alicePW+` {}`)), status: 400},
		{name: "obtain_json_list", req: fixed(jsonPost(obtainPath, `[1, 2]`)), status: 400},
		{name: "obtain_json_string", req: fixed(jsonPost(obtainPath, `"alice"`)), status: 400},
		{name: "obtain_json_null", req: fixed(jsonPost(obtainPath, `null`)), status: 400},
		{name: "obtain_json_bad_param", req: fixed(request{method: "POST", path: obtainPath, ctype: "application/json; charset", body: alicePW}), status: 200},
		{name: "obtain_text_plain_quoted_param", req: fixed(request{method: "POST", path: obtainPath, ctype: `text/plain; charset="utf-8"`, body: "x"}), status: 415},
		{name: "obtain_too_deep", req: fixed(jsonPost(obtainPath, `{"username": `+deep+`}`)), status: 400},
		{name: "obtain_body_too_large", req: fixed(jsonPost(obtainPath, `{"username": "`+strings.Repeat("a", 2<<20)+`"}`)), status: 413},
		{name: "obtain_options", req: fixed(request{method: "OPTIONS", path: obtainPath}), status: 200, allow: "POST, OPTIONS"},

		// POST /api/token/refresh/ (TokenRefreshView)
		{name: "refresh_ok", req: func(e *env) request { return jsonPost(refreshPath, tokenBody("refresh", e.pair("alice").Refresh)) }, status: 200},
		{name: "refresh_form", req: func(e *env) request {
			return formPost("/api/token/refresh", url.Values{"refresh": {e.pair("alice").Refresh}})
		}, status: 200},
		{name: "refresh_missing", req: fixed(jsonPost(refreshPath, `{"token": "x"}`)), status: 400},
		{name: "refresh_invalid", req: fixed(jsonPost(refreshPath, `{"refresh": "not.a.token"}`)), status: 401},
		{name: "refresh_expired", req: func(e *env) request {
			return jsonPost(refreshPath, tokenBody("refresh", e.expiredPair("alice").Refresh))
		}, status: 401},
		{name: "refresh_access_token", req: func(e *env) request { return jsonPost(refreshPath, tokenBody("refresh", e.pair("alice").Access)) }, status: 401},
		{name: "refresh_no_jti", req: func(e *env) request {
			return jsonPost(refreshPath, tokenBody("refresh", e.forge(map[string]any{"token_type": "refresh", "jti": nil})))
		}, status: 401},
		{name: "refresh_unknown_user", req: func(e *env) request {
			return jsonPost(refreshPath, tokenBody("refresh", e.forge(map[string]any{"token_type": "refresh", "user_id": "999"})))
		}, status: 401},
		{name: "refresh_non_numeric_user", req: func(e *env) request {
			return jsonPost(refreshPath, tokenBody("refresh", e.forge(map[string]any{"token_type": "refresh", "user_id": "abc"})))
		}, status: 401},
		{name: "refresh_inactive_user", req: func(e *env) request {
			tok := e.pair("dave").Refresh
			if err := sdktest.Admin(e.t, e.stack.Users).SetActive(context.Background(), "dave", false); err != nil {
				e.t.Fatal(err)
			}
			return jsonPost(refreshPath, tokenBody("refresh", tok))
		}, status: 401},
		{name: "refresh_blacklisted", req: func(e *env) request {
			tok := e.pair("alice").Refresh
			e.mustOK(jsonPost(blPath, tokenBody("refresh", tok)))
			return jsonPost(refreshPath, tokenBody("refresh", tok))
		}, status: 401},
		{name: "refresh_get", req: fixed(request{method: "GET", path: refreshPath}), status: 405},

		// POST /api/token/verify/ (TokenVerifyView)
		{name: "verify_access", req: func(e *env) request { return jsonPost(verifyPath, tokenBody("token", e.pair("alice").Access)) }, status: 200},
		{name: "verify_refresh", req: func(e *env) request { return jsonPost(verifyPath, tokenBody("token", e.pair("alice").Refresh)) }, status: 200},
		{name: "verify_sliding", req: func(e *env) request { return jsonPost(verifyPath, tokenBody("token", e.sliding("alice"))) }, status: 200},
		{name: "verify_invalid", req: fixed(jsonPost(verifyPath, `{"token": "abc"}`)), status: 401},
		{name: "verify_expired", req: func(e *env) request {
			return jsonPost(verifyPath, tokenBody("token", e.expiredPair("alice").Access))
		}, status: 401},
		{name: "verify_bad_signature", req: func(e *env) request {
			tok := e.pair("alice").Access
			return jsonPost(verifyPath, tokenBody("token", tok[:len(tok)-4]+"AAAA"))
		}, status: 401},
		// Verify is untyped in Simple JWT (UntypedToken): no type claim is fine.
		{name: "verify_no_type", req: func(e *env) request {
			return jsonPost(verifyPath, tokenBody("token", e.forge(map[string]any{"token_type": nil})))
		}, status: 200},
		{name: "refresh_no_type", req: func(e *env) request {
			return jsonPost(refreshPath, tokenBody("refresh", e.forge(map[string]any{"token_type": nil})))
		}, status: 401},
		{name: "verify_no_exp", req: func(e *env) request {
			return jsonPost(verifyPath, tokenBody("token", e.forge(map[string]any{"exp": nil})))
		}, status: 401},
		{name: "verify_blacklisted", req: func(e *env) request {
			tok := e.pair("alice").Refresh
			e.mustOK(jsonPost(blPath, tokenBody("refresh", tok)))
			return jsonPost(verifyPath, tokenBody("token", tok))
		}, status: 400},
		{name: "verify_missing", req: fixed(jsonPost(verifyPath, `{"refresh": "x"}`)), status: 400},
		{name: "verify_number", req: fixed(jsonPost(verifyPath, `{"token": 12}`)), status: 401},

		// POST /api/token/blacklist/ (TokenBlacklistView)
		{name: "blacklist_ok", req: func(e *env) request { return jsonPost(blPath, tokenBody("refresh", e.pair("alice").Refresh)) }, status: 200},
		{name: "blacklist_form", req: func(e *env) request {
			return formPost(blPath, url.Values{"refresh": {e.pair("alice").Refresh}})
		}, status: 200},
		{name: "blacklist_access_token", req: func(e *env) request { return jsonPost(blPath, tokenBody("refresh", e.pair("alice").Access)) }, status: 401},
		{name: "blacklist_again", req: func(e *env) request {
			tok := e.pair("alice").Refresh
			e.mustOK(jsonPost(blPath, tokenBody("refresh", tok)))
			return jsonPost(blPath, tokenBody("refresh", tok))
		}, status: 401},
		{name: "blacklist_expired", req: func(e *env) request {
			return jsonPost(blPath, tokenBody("refresh", e.expiredPair("alice").Refresh))
		}, status: 401},
		{name: "blacklist_missing", req: fixed(jsonPost(blPath, `{}`)), status: 400},

		// POST /api/token/sliding/ and /sliding/refresh/
		{name: "sliding_ok", req: fixed(jsonPost(slidingPath, alicePW)), status: 200},
		{name: "sliding_wrong_password", req: fixed(jsonPost(slidingPath, `{"username": "alice", "password": "x"}`)), status: 401},
		{name: "sliding_missing", req: fixed(jsonPost(slidingPath, `{"username": "alice"}`)), status: 400},
		{name: "sliding_refresh_ok", req: func(e *env) request { return jsonPost(slRefPath, tokenBody("token", e.sliding("alice"))) }, status: 200},
		{name: "sliding_refresh_access_token", req: func(e *env) request {
			return jsonPost(slRefPath, tokenBody("token", e.pair("alice").Access))
		}, status: 401},
		{name: "sliding_refresh_window_passed", req: func(e *env) request {
			tok := e.forge(map[string]any{"token_type": "sliding", "refresh_exp": int64(1000)})
			return jsonPost(slRefPath, tokenBody("token", tok))
		}, status: 401},
		{name: "sliding_refresh_missing", req: fixed(jsonPost(slRefPath, `{"token": ""}`)), status: 400},

		// GET /api/authenticate/ (JWTAuthentication)
		{name: "auth_ok", req: func(e *env) request { return bearer(authPath, "Bearer "+e.pair("alice").Access) }, status: 200, allow: "GET, HEAD, OPTIONS"},
		{name: "auth_no_trailing_slash", req: func(e *env) request { return bearer("/api/authenticate", "Bearer "+e.pair("alice").Access) }, status: 200},
		{name: "auth_no_header", req: fixed(request{method: "GET", path: authPath}), status: 401},
		{name: "auth_other_scheme", req: func(e *env) request { return bearer(authPath, "Token "+e.pair("alice").Access) }, status: 401},
		{name: "auth_lowercase_scheme", req: func(e *env) request { return bearer(authPath, "bearer "+e.pair("alice").Access) }, status: 401},
		{name: "auth_bearer_alone", req: fixed(bearer(authPath, "Bearer")), status: 401},
		{name: "auth_three_parts", req: fixed(bearer(authPath, "Bearer a b")), status: 401},
		{name: "auth_invalid_token", req: fixed(bearer(authPath, "Bearer abc.def.ghi")), status: 401},
		{name: "auth_expired", req: func(e *env) request { return bearer(authPath, "Bearer "+e.expiredPair("alice").Access) }, status: 401},
		{name: "auth_refresh_token", req: func(e *env) request { return bearer(authPath, "Bearer "+e.pair("alice").Refresh) }, status: 401},
		{name: "auth_inactive_user", req: func(e *env) request {
			return bearer(authPath, "Bearer "+e.forge(map[string]any{"user_id": e.users["bob"].ID}))
		}, status: 401},
		{name: "auth_unknown_user", req: func(e *env) request {
			return bearer(authPath, "Bearer "+e.forge(map[string]any{"user_id": "999"}))
		}, status: 401},
		{name: "auth_integer_user_id", req: func(e *env) request {
			return bearer(authPath, "Bearer "+e.forge(map[string]any{"user_id": 1}))
		}, status: 200},
		{name: "auth_no_user_claim", req: func(e *env) request {
			return bearer(authPath, "Bearer "+e.forge(map[string]any{"user_id": nil}))
		}, status: 401},
		{name: "auth_post", req: fixed(jsonPost(authPath, `{}`)), status: 405, allow: "GET, HEAD, OPTIONS"},

		// GET /api/authenticate/stateless/ (JWTStatelessUserAuthentication)
		{name: "stateless_ok", req: func(e *env) request { return bearer(statePath, "Bearer "+e.pair("alice").Access) }, status: 200},
		{name: "stateless_unknown_user", req: func(e *env) request {
			return bearer(statePath, "Bearer "+e.forge(map[string]any{"user_id": "999"}))
		}, status: 200},
		{name: "stateless_no_header", req: fixed(request{method: "GET", path: statePath}), status: 401},
		{name: "stateless_invalid", req: fixed(bearer(statePath, "Bearer abc")), status: 401},
		{name: "stateless_no_user_claim", req: func(e *env) request {
			return bearer(statePath, "Bearer "+e.forge(map[string]any{"user_id": nil}))
		}, status: 401},

		// Operational endpoints.
		{name: "healthz", req: fixed(request{method: "GET", path: "/healthz"}), status: 200},
		{name: "readyz", req: fixed(request{method: "GET", path: "/readyz"}), status: 200},
		{name: "jwks_hmac", req: fixed(request{method: "GET", path: "/.well-known/jwks.json"}), status: 404},
		{name: "not_found", req: fixed(request{method: "GET", path: "/api/tokens/"}), status: 404},

		// Rotation (rotate profile) and revocation (revoke profile).
		{name: "refresh_reuse_after_rotation", profiles: []string{profileRotate}, req: func(e *env) request {
			tok := e.pair("alice").Refresh
			e.mustOK(jsonPost(refreshPath, tokenBody("refresh", tok)))
			return jsonPost(refreshPath, tokenBody("refresh", tok))
		}, status: 401},
		{name: "verify_after_rotation", profiles: []string{profileRotate}, req: func(e *env) request {
			tok := e.pair("alice").Refresh
			e.mustOK(jsonPost(refreshPath, tokenBody("refresh", tok)))
			return jsonPost(verifyPath, tokenBody("token", tok))
		}, status: 400},
		{name: "obtain_ok", profiles: []string{profileRevoke}, req: fixed(jsonPost(obtainPath, alicePW)), status: 200},
		{name: "auth_ok", profiles: []string{profileRevoke}, req: func(e *env) request {
			return bearer(authPath, "Bearer "+e.pair("alice").Access)
		}, status: 200},
		{name: "refresh_after_password_change", profiles: []string{profileRevoke}, req: func(e *env) request {
			tok := e.pair("carol").Refresh
			e.changePassword("carol")
			return jsonPost(refreshPath, tokenBody("refresh", tok))
		}, status: 401},
		{name: "refresh_again_after_password_change", profiles: []string{profileRevoke}, req: func(e *env) request {
			tok := e.pair("alice").Refresh
			e.changePassword("alice")
			if resp, _ := e.do(jsonPost(refreshPath, tokenBody("refresh", tok))); resp.StatusCode != 401 {
				e.t.Fatalf("first refresh after password change: %d", resp.StatusCode)
			}
			return jsonPost(refreshPath, tokenBody("refresh", tok))
		}, status: 401},
		{name: "auth_after_password_change", profiles: []string{profileRevoke}, req: func(e *env) request {
			tok := e.pair("dave").Access
			e.changePassword("dave")
			return bearer(authPath, "Bearer "+tok)
		}, status: 401},

		// Sessions (sessions profile).
		{name: "logout_ok", profiles: []string{profileSessions}, req: func(e *env) request {
			return jsonPost("/api/token/logout/", tokenBody("refresh", e.pair("alice").Refresh))
		}, status: 200},
		{name: "logout_twice", profiles: []string{profileSessions}, req: func(e *env) request {
			tok := e.pair("alice").Refresh
			e.mustOK(jsonPost("/api/token/logout/", tokenBody("refresh", tok)))
			return jsonPost("/api/token/logout/", tokenBody("refresh", tok))
		}, status: 401},
		{name: "logout_access_token", profiles: []string{profileSessions}, req: func(e *env) request {
			return jsonPost("/api/token/logout/", tokenBody("refresh", e.pair("alice").Access))
		}, status: 401},
		{name: "logout_missing", profiles: []string{profileSessions}, req: fixed(jsonPost("/api/token/logout/", `{}`)), status: 400},
		{name: "refresh_reuse_revokes_session", profiles: []string{profileSessions}, req: func(e *env) request {
			tok := e.pair("alice").Refresh
			var next struct{ Refresh string }
			if err := json.Unmarshal(e.mustOK(jsonPost(refreshPath, tokenBody("refresh", tok))), &next); err != nil {
				e.t.Fatal(err)
			}
			if resp, _ := e.do(jsonPost(refreshPath, tokenBody("refresh", tok))); resp.StatusCode != 401 {
				e.t.Fatalf("replay: %d", resp.StatusCode)
			}
			return jsonPost(refreshPath, tokenBody("refresh", next.Refresh))
		}, status: 401},
		{name: "logout_all_ok", profiles: []string{profileSessions}, req: func(e *env) request {
			e.pair("dave")
			return request{method: http.MethodPost, path: "/api/token/logout-all/", header: map[string]string{"Authorization": "Bearer " + e.pair("dave").Access}}
		}, status: 200},
		{name: "logout_all_unauthenticated", profiles: []string{profileSessions}, req: fixed(request{method: http.MethodPost, path: "/api/token/logout-all/"}), status: 401},
		{name: "sessions_unauthenticated", profiles: []string{profileSessions}, req: fixed(request{method: http.MethodGet, path: "/api/token/sessions/"}), status: 401},
		{name: "session_delete_not_found", profiles: []string{profileSessions}, req: func(e *env) request {
			return request{method: http.MethodDelete, path: "/api/token/sessions/no-such-session/", header: map[string]string{"Authorization": "Bearer " + e.pair("carol").Access}}
		}, status: 404},
		{name: "session_post_not_allowed", profiles: []string{profileSessions}, req: fixed(request{method: http.MethodPost, path: "/api/token/sessions/x/"}), status: 405, allow: "DELETE, OPTIONS"},
	}
}

func (e *env) mustOK(r request) []byte {
	e.t.Helper()
	resp, body := e.do(r)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("%s %s: %d %s", r.method, r.path, resp.StatusCode, body)
	}
	return body
}

func (e *env) changePassword(name string) {
	e.t.Helper()
	if err := sdktest.Admin(e.t, e.stack.Users).SetPassword(context.Background(), name, name+"-password-2"); err != nil {
		e.t.Fatal(err)
	}
}

// TestAPIGolden runs every case in each profile it belongs to and compares
// status, headers and the body (tokens normalised) with the golden file.
func TestAPIGolden(t *testing.T) {
	// Every behaviour holds with the stores in process and out of process,
	// against the same golden bodies.
	for _, mode := range []string{modeInProcess, modeOutOfProcess, modeCookies} {
		t.Run(mode, func(t *testing.T) {
			for _, profile := range []string{profileDefault, profileRotate, profileRevoke, profileSessions} {
				t.Run(profile, func(t *testing.T) {
					e := newEnvMode(t, profile, mode)
					for _, tc := range apiCases() {
						in := tc.profiles
						if in == nil {
							in = []string{profileDefault, profileRotate}
						}
						if !contains(in, profile) {
							continue
						}
						t.Run(tc.name, func(t *testing.T) {
							e.t = t
							r := tc.req(e)
							resp, body := e.do(r)
							want := tc.status
							if s, ok := tc.statusIn[profile]; ok {
								want = s
							}
							if resp.StatusCode != want {
								t.Errorf("status %d, want %d; body %s", resp.StatusCode, want, body)
							}
							checkHeaders(t, tc, resp)
							// With the cookie transport on, only a login sets
							// cookies; a header client's other requests get none.
							login := contains([]string{obtainPath, slidingPath}, strings.TrimSuffix(r.path, "/")+"/")
							if sc := resp.Header.Values("Set-Cookie"); len(sc) > 0 && (mode != modeCookies || !login || resp.StatusCode != 200) {
								t.Errorf("Set-Cookie on a header client's %s: %q", tc.name, sc)
							}
							compareGolden(t, filepath.Join("testdata", "golden", profile, tc.name+".json"), body)
						})
					}
				})
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func checkHeaders(t *testing.T, tc apiCase, resp *http.Response) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	www := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode == http.StatusUnauthorized && www != `Bearer realm="api"` {
		t.Errorf("401 without WWW-Authenticate: %q", www)
	}
	if resp.StatusCode != http.StatusUnauthorized && www != "" {
		t.Errorf("WWW-Authenticate on a %d", resp.StatusCode)
	}
	if tc.allow != "" && resp.Header.Get("Allow") != tc.allow {
		t.Errorf("Allow %q, want %q", resp.Header.Get("Allow"), tc.allow)
	}
}

func compareGolden(t *testing.T, path string, body []byte) {
	t.Helper()
	got := jwtPattern.ReplaceAll(body, []byte("<jwt>"))
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run go test -update to create it)", path, err)
	}
	if !bytes.Equal(bytes.TrimRight(want, "\n"), got) {
		t.Errorf("body differs from %s\n got: %s\nwant: %s", path, got, bytes.TrimRight(want, "\n"))
	}
}
