package httpapi_test

import (
	"context"
	"maps"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/host/httpapi"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

const forwardAuthPath = "/api/forward-auth/"

// forwardAuthConfig is the [forward_auth] section the forward-auth tests
// run with: a claim header, a stateless prefix and two claim rules.
const forwardAuthConfig = `
[forward_auth]
[forward_auth.claim_headers]
roles = "X-User-Roles"
[[forward_auth.rules]]
path_prefix = "/admin"
[forward_auth.rules.require_claims]
roles = "admin"
[[forward_auth.rules]]
path_prefix = "/admin/reports"
mode = "stateless"
[forward_auth.rules.require_claims]
roles = ["admin", "auditor"]
[[forward_auth.rules]]
path_prefix = "/static"
mode = "stateless"
`

// countingCore counts the calls forward-auth makes, to show which
// authentication ran and that nothing else did.
type countingCore struct {
	httpapi.Core
	auth, stateless, other atomic.Int32
}

func (c *countingCore) Authenticate(ctx context.Context, h string) (sdk.User, *core.Token, error) {
	c.auth.Add(1)
	return c.Core.Authenticate(ctx, h)
}

func (c *countingCore) AuthenticateStateless(ctx context.Context, h string) (map[string]any, *core.Token, error) {
	c.stateless.Add(1)
	return c.Core.AuthenticateStateless(ctx, h)
}

func (c *countingCore) Verify(ctx context.Context, t string) error {
	c.other.Add(1)
	return c.Core.Verify(ctx, t)
}

// TestForwardAuth runs the endpoint's answers, one case per request: the
// status, the headers the proxy copies, and which authentication ran.
func TestForwardAuth(t *testing.T) {
	var cc *countingCore
	e := newEnvWith(t, configText("", "")+forwardAuthConfig, func(c httpapi.Core) httpapi.Core {
		cc = &countingCore{Core: c}
		return cc
	})
	alice := "Bearer " + e.pair("alice").Access
	admin := "Bearer " + e.forge(map[string]any{"roles": []string{"admin"}})
	auditor := "Bearer " + e.forge(map[string]any{"roles": []string{"auditor"}})
	ghost := "Bearer " + e.forge(map[string]any{"user_id": "999999", "roles": "admin"})
	bobTok := e.forge(map[string]any{"user_id": e.users["bob"].ID}) // bob is inactive
	type want struct {
		status         int
		user, username string
		roles          string
		auth, stless   int32
	}
	cases := []struct {
		name    string
		method  string
		path    string
		headers map[string]string
		want    want
	}{
		{"no token", "GET", forwardAuthPath, nil, want{status: 401, auth: 1}},
		{"valid token", "GET", forwardAuthPath, map[string]string{"Authorization": alice}, want{200, e.users["alice"].ID, "alice", "", 1, 0}},
		{"no trailing slash", "GET", "/api/forward-auth", map[string]string{"Authorization": alice}, want{200, e.users["alice"].ID, "alice", "", 1, 0}},
		{"any method", "DELETE", forwardAuthPath, map[string]string{"Authorization": alice}, want{200, e.users["alice"].ID, "alice", "", 1, 0}},
		{"garbage token", "GET", forwardAuthPath, map[string]string{"Authorization": "Bearer x.y.z"}, want{status: 401, auth: 1}},
		{"inactive user", "GET", forwardAuthPath, map[string]string{"Authorization": "Bearer " + bobTok}, want{status: 401, auth: 1}},
		{"claim header", "GET", forwardAuthPath, map[string]string{"Authorization": admin, "X-Forwarded-Uri": "/admin/x"}, want{200, e.users["alice"].ID, "alice", `["admin"]`, 1, 0}},
		{"rule refuses", "GET", forwardAuthPath, map[string]string{"Authorization": alice, "X-Forwarded-Uri": "/admin"}, want{status: 403, auth: 1}},
		{"rule by nginx header", "GET", forwardAuthPath, map[string]string{"Authorization": alice, "X-Original-URI": "/admin/?q=1"}, want{status: 403, auth: 1}},
		{"encoded path meets the rule", "GET", forwardAuthPath, map[string]string{"Authorization": alice, "X-Forwarded-Uri": "/%61dmin/x"}, want{status: 403, auth: 1}},
		// A path that is not already clean is refused, whichever way the
		// upstream would resolve it: nginx's proxy_pass without a URI sends
		// it raw, so jwtd and the upstream could read different paths.
		{"dot segments refused", "GET", forwardAuthPath, map[string]string{"Authorization": alice, "X-Forwarded-Uri": "/static/../admin"}, want{status: 400}},
		{"dot segments out of a rule refused", "GET", forwardAuthPath, map[string]string{"Authorization": alice, "X-Forwarded-Uri": "/admin/../public"}, want{status: 400}},
		{"dot segment refused", "GET", forwardAuthPath, map[string]string{"Authorization": admin, "X-Forwarded-Uri": "/admin/./x"}, want{status: 400}},
		{"trailing dot segment refused", "GET", forwardAuthPath, map[string]string{"Authorization": alice, "X-Forwarded-Uri": "/public/.."}, want{status: 400}},
		{"encoded dot segments refused", "GET", forwardAuthPath, map[string]string{"Authorization": alice, "X-Forwarded-Uri": "/admin/%2e%2e/public"}, want{status: 400}},
		{"encoded slashes and dots refused", "GET", forwardAuthPath, map[string]string{"Authorization": alice, "X-Forwarded-Uri": "/admin%2F..%2Fpublic"}, want{status: 400}},
		{"dot segment with a parameter refused", "GET", forwardAuthPath, map[string]string{"Authorization": alice, "X-Forwarded-Uri": "/admin/..;x/public"}, want{status: 400}},
		{"double slash refused", "GET", forwardAuthPath, map[string]string{"Authorization": alice, "X-Forwarded-Uri": "//admin"}, want{status: 400}},
		{"inner double slash refused", "GET", forwardAuthPath, map[string]string{"Authorization": alice, "X-Forwarded-Uri": "/public//x"}, want{status: 400}},
		{"absolute uri with dot segments refused", "GET", forwardAuthPath, map[string]string{"Authorization": alice, "X-Forwarded-Uri": "https://app.example/admin/../public"}, want{status: 400}},
		{"trailing slash is clean", "GET", forwardAuthPath, map[string]string{"Authorization": alice, "X-Forwarded-Uri": "/admin/"}, want{status: 403, auth: 1}},
		{"dots in a name are clean", "GET", forwardAuthPath, map[string]string{"Authorization": alice, "X-Forwarded-Uri": "/public/..x/a.b./?next=/../admin"}, want{200, e.users["alice"].ID, "alice", "", 1, 0}},
		{"path parameters meet the rule", "GET", forwardAuthPath, map[string]string{"Authorization": alice, "X-Forwarded-Uri": "/admin;jsessionid=1/x"}, want{status: 403, auth: 1}},
		{"encoded path parameters too", "GET", forwardAuthPath, map[string]string{"Authorization": alice, "X-Forwarded-Uri": "/admin%3Bx"}, want{status: 403, auth: 1}},
		{"prefix by segment", "GET", forwardAuthPath, map[string]string{"Authorization": alice, "X-Forwarded-Uri": "/administrator"}, want{200, e.users["alice"].ID, "alice", "", 1, 0}},
		{"longest prefix wins", "GET", forwardAuthPath, map[string]string{"Authorization": auditor, "X-Forwarded-Uri": "/admin/reports/1"}, want{200, e.users["alice"].ID, "", `["auditor"]`, 0, 1}},
		{"stateless: no user lookup", "GET", forwardAuthPath, map[string]string{"Authorization": ghost, "X-Forwarded-Uri": "/static/a.css"}, want{200, "999999", "", `admin`, 0, 1}},
		{"user mode looks the user up", "GET", forwardAuthPath, map[string]string{"Authorization": ghost, "X-Forwarded-Uri": "/x"}, want{status: 401, auth: 1}},
		{"headers disagree", "GET", forwardAuthPath, map[string]string{"Authorization": admin, "X-Forwarded-Uri": "/public", "X-Original-URI": "/admin"}, want{status: 400}},
		{"rules need the uri", "GET", forwardAuthPath, map[string]string{"Authorization": admin}, want{status: 400}},
		{"malformed uri", "GET", forwardAuthPath, map[string]string{"Authorization": admin, "X-Forwarded-Uri": "/%zz"}, want{status: 400}},
		{"relative uri", "GET", forwardAuthPath, map[string]string{"Authorization": admin, "X-Forwarded-Uri": "admin"}, want{status: 400}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cc.auth.Store(0)
			cc.stateless.Store(0)
			h := map[string]string{}
			maps.Copy(h, c.headers)
			if h["X-Forwarded-Uri"] == "" && h["X-Original-URI"] == "" && c.name != "rules need the uri" {
				h["X-Forwarded-Uri"] = "/" // a path no rule covers
			}
			resp, body := e.do(request{method: c.method, path: c.path, header: h})
			if resp.StatusCode != c.want.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.want.status, body)
			}
			if c.want.status == 401 && resp.Header.Get("WWW-Authenticate") != `Bearer realm="api"` {
				t.Errorf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
			}
			if c.want.status == 200 {
				for h, v := range map[string]string{"X-User-Id": c.want.user, "X-Username": c.want.username, "X-User-Roles": c.want.roles} {
					if got := resp.Header.Values(h); len(got) != 1 || got[0] != v {
						t.Errorf("%s = %q, want exactly %q", h, got, v)
					}
				}
				if len(body) != 0 {
					t.Errorf("200 with a body: %s", body)
				}
			} else if resp.Header.Get("X-User-Id") != "" {
				t.Errorf("refusal carries X-User-Id %q", resp.Header.Get("X-User-Id"))
			}
			if a, s := cc.auth.Load(), cc.stateless.Load(); a != c.want.auth || s != c.want.stless {
				t.Errorf("Authenticate ran %d times, AuthenticateStateless %d; want %d, %d", a, s, c.want.auth, c.want.stless)
			}
			if cc.other.Load() != 0 {
				t.Errorf("forward-auth called other core methods")
			}
		})
	}
}

// TestForwardAuthRevokedAfterPasswordChange: with check_revoke_token, a
// token issued before a password change is refused at the proxy.
func TestForwardAuthRevokedAfterPasswordChange(t *testing.T) {
	e := newEnv(t, profileRevoke)
	tok := "Bearer " + e.pair("carol").Access
	req := bearer(forwardAuthPath, tok)
	if resp, body := e.do(req); resp.StatusCode != 200 {
		t.Fatalf("before: %d %s", resp.StatusCode, body)
	}
	if err := sdktest.Admin(e.t, e.stack.Users).SetPassword(context.Background(), "carol", "carol-password-2"); err != nil {
		t.Fatal(err)
	}
	resp, body := e.do(req)
	if resp.StatusCode != 401 || !strings.Contains(string(body), "password_changed") && !strings.Contains(string(body), "token_not_valid") {
		t.Fatalf("after the password change: %d %s", resp.StatusCode, body)
	}
}

// TestForwardAuthCustomHeaderNames: names come from the config.
func TestForwardAuthCustomHeaderNames(t *testing.T) {
	e := newEnvWith(t, configText("", "")+`
[forward_auth]
user_id_header = "Remote-User-Id"
username_header = "Remote-User"
`, nil)
	resp, body := e.do(bearer(forwardAuthPath, "Bearer "+e.pair("alice").Access))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("Remote-User") != "alice" || resp.Header.Get("Remote-User-Id") != e.users["alice"].ID || resp.Header.Get("X-User-Id") != "" {
		t.Fatalf("headers %v", resp.Header)
	}
}

// TestForwardAuthRevokedSession: with sessions and access-token revocation,
// an access token of a session ended by logout or logout-all is refused at
// the proxy (the forward-auth answer nginx, Caddy and Traefik act on).
func TestForwardAuthRevokedSession(t *testing.T) {
	e := newEnvWith(t, configText(sessionTokens+"revoke_access_tokens = true\n", ""), nil)
	cases := []struct {
		name   string
		revoke func(refresh, access string) request
	}{
		{"logout", func(refresh, _ string) request { return jsonPost(logoutPath, tokenBody("refresh", refresh)) }},
		{"logout-all", func(_, access string) request { return authPost(logoutAllPath, access) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			refresh, access := httpLogin(t, e, alicePW, "browser")
			req := bearer(forwardAuthPath, "Bearer "+access)
			if resp, body := e.do(req); resp.StatusCode != 200 {
				t.Fatalf("before: %d %s", resp.StatusCode, body)
			}
			e.mustOK(tc.revoke(refresh, access))
			if resp, body := e.do(req); resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" {
				t.Fatalf("after %s: %d %s; want 401 with WWW-Authenticate", tc.name, resp.StatusCode, body)
			}
		})
	}
}
