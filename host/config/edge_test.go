package config_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/host/config"
	"github.com/jwtd/jwtd/host/httpapi"
)

// TestEdgeSectionsRefuseBadInput: [forward_auth] and [cookies] are as
// strict as the rest of the file; each error names the key.
func TestEdgeSectionsRefuseBadInput(t *testing.T) {
	cases := []struct{ name, body, wantKey string }{
		{"unknown forward_auth key", "[forward_auth]\nheader = \"x\"\n", "forward_auth.header"},
		{"unknown rule key", "[[forward_auth.rules]]\npath_prefix = \"/a\"\nclaims = 1\n", "forward_auth.rules.claims"},
		{"bad mode", "[forward_auth]\nmode = \"lookup\"\n", "forward_auth.mode"},
		{"bad rule mode", "[[forward_auth.rules]]\npath_prefix = \"/a\"\nmode = \"none\"\n", "forward_auth.rules[0].mode"},
		{"rule without prefix", "[[forward_auth.rules]]\nmode = \"user\"\n", "forward_auth.rules[0].path_prefix"},
		{"relative prefix", "[[forward_auth.rules]]\npath_prefix = \"admin\"\n", "forward_auth.rules[0].path_prefix"},
		{"duplicate prefix", "[[forward_auth.rules]]\npath_prefix = \"/a\"\n[[forward_auth.rules]]\npath_prefix = \"/a\"\n", "forward_auth.rules[1].path_prefix"},
		{"require a table", "[[forward_auth.rules]]\npath_prefix = \"/a\"\n[forward_auth.rules.require_claims]\nr = { x = 1 }\n", "require_claims.r"},
		{"require empty list", "[[forward_auth.rules]]\npath_prefix = \"/a\"\n[forward_auth.rules.require_claims]\nr = []\n", "forward_auth.rules[0].require_claims.r"},
		{"header with space", "[forward_auth]\nuser_id_header = \"X User\"\n", "forward_auth.user_id_header"},
		{"reserved header", "[forward_auth.claim_headers]\nx = \"Set-Cookie\"\n", "forward_auth.claim_headers.x"},
		{"duplicate header", "[forward_auth]\nusername_header = \"x-user-id\"\n", "forward_auth.username_header"},
		{"unknown cookies key", "[cookies]\nhttponly = false\n", "cookies.httponly"},
		{"bad same_site", "[cookies]\nsame_site = \"loose\"\n", "cookies.same_site"},
		{"none without secure", "[cookies]\nsecure = false\nsame_site = \"none\"\n", "cookies.same_site"},
		{"same names", "[cookies]\nrefresh_name = \"jwtd_access\"\n", "cookies"},
		{"bad cookie name", "[cookies]\naccess_name = \"a;b\"\n", "cookies.access_name"},
		{"bad path", "[cookies]\nrefresh_path = \"api\"\n", "cookies.refresh_path"},
		{"__Host- on a path", "[cookies]\nrefresh_name = \"__Host-r\"\n", "cookies.refresh_name"},
		{"__Secure- insecure", "[cookies]\nsecure = false\ncsrf_name = \"__Secure-c\"\n", "cookies.csrf_name"},
		{"origin with a path", "[cookies]\ntrusted_origins = [\"https://a.example/app\"]\n", "cookies.trusted_origins"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Load(write(t, minimal+"\n"+tc.body), config.Options{NoKeyGeneration: true})
			if err == nil {
				t.Fatal("Load accepted a bad config")
			}
			if !strings.Contains(err.Error(), tc.wantKey) {
				t.Fatalf("error %q does not name %q", err, tc.wantKey)
			}
		})
	}
}

// TestEdgeSectionsMap: every key lands where httpapi reads it.
func TestEdgeSectionsMap(t *testing.T) {
	cfg, err := config.Load(write(t, minimal+`
[server]
prefix = "/auth/jwt/"
[forward_auth]
mode = "stateless"
user_id_header = "Remote-User-Id"
username_header = "Remote-User"
[forward_auth.claim_headers]
roles = "X-Roles"
[[forward_auth.rules]]
path_prefix = "/admin"
mode = "user"
[forward_auth.rules.require_claims]
is_staff = true
roles = ["admin", "ops"]
level = 3
[cookies]
enabled = true
access_name = "__Host-at"
csrf_name = "__Host-csrf"
csrf_header = "X-XSRF-Token"
same_site = "Strict"
trusted_origins = ["https://app.example"]
`), config.Options{NoKeyGeneration: true})
	if err != nil {
		t.Fatal(err)
	}
	wantCookies := httpapi.Cookies{
		Enabled: true, AccessName: "__Host-at", RefreshName: "jwtd_refresh", CSRFName: "__Host-csrf",
		CSRFHeader: "X-XSRF-Token", AccessPath: "/", RefreshPath: "/auth/jwt",
		SameSite: http.SameSiteStrictMode, TrustedOrigins: []string{"https://app.example"},
	}
	if !reflect.DeepEqual(cfg.Cookies, wantCookies) {
		t.Errorf("cookies\n got %+v\nwant %+v", cfg.Cookies, wantCookies)
	}
	wantFA := httpapi.ForwardAuth{
		Mode: "stateless", UserIDHeader: "Remote-User-Id", UsernameHeader: "Remote-User",
		Claims: map[string]string{"roles": "X-Roles"},
		Rules: []httpapi.ForwardAuthRule{{PathPrefix: "/admin", Mode: "user", RequireClaims: map[string][]any{
			"is_staff": {true}, "roles": {"admin", "ops"}, "level": {int64(3)},
		}}},
	}
	if !reflect.DeepEqual(cfg.ForwardAuth, wantFA) {
		t.Errorf("forward_auth\n got %+v\nwant %+v", cfg.ForwardAuth, wantFA)
	}
	// The defaults: the transport off, forward-auth by user lookup.
	def, err := config.Load(write(t, minimal), config.Options{NoKeyGeneration: true})
	if err != nil {
		t.Fatal(err)
	}
	if def.Cookies.Enabled || def.Cookies.Insecure || def.ForwardAuth.Mode != httpapi.ForwardAuthUser || def.ForwardAuth.Cookie != "" {
		t.Errorf("defaults: %+v %+v", def.Cookies, def.ForwardAuth)
	}
}
