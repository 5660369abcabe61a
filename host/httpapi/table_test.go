package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestEndpointNames: the metrics label of a request comes from the one
// endpoint table, under the configured prefix, with or without the
// trailing slash; anything else is "other" (no raw path becomes a label).
func TestEndpointNames(t *testing.T) {
	e := newEnvWith(t, configText("", "prefix = \"auth/jwt/\"\n"), nil)
	cases := map[string]string{
		"/auth/jwt/":                   "obtain",
		"/auth/jwt":                    "obtain",
		"/auth/jwt/refresh/":           "refresh",
		"/auth/jwt/sliding/refresh":    "sliding_refresh",
		"/auth/jwt/sliding/":           "sliding",
		"/api/authenticate/stateless/": "authenticate_stateless",
		"/healthz":                     "healthz",
		"/readyz/":                     "readyz",
		"/.well-known/jwks.json":       "jwks",
		"/api/token/":                  "other", // the default prefix is not served under another
		"/metrics":                     "other", // not on the API by default
		"/wp-admin.php":                "other",
		"/auth/jwt/../../etc":          "other",
	}
	for path, want := range cases {
		if got := e.api.EndpointName(httptest.NewRequest("POST", path, nil)); got != want {
			t.Errorf("EndpointName(%s) = %q, want %q", path, got, want)
		}
	}
}

// TestRoutesFromTable: the router serves each row at the configured prefix
// with DRF's Allow header derived from its methods, and 404s the default
// prefix.
func TestRoutesFromTable(t *testing.T) {
	e := newEnvWith(t, configText("", "prefix = \"/auth/jwt\"\n"), nil)
	cases := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/auth/jwt/", http.StatusMethodNotAllowed, "POST, OPTIONS"},
		{"OPTIONS", "/auth/jwt/verify", http.StatusOK, "POST, OPTIONS"},
		{"POST", "/healthz/", http.StatusMethodNotAllowed, "GET, HEAD, OPTIONS"},
		{"HEAD", "/healthz", http.StatusOK, "GET, HEAD, OPTIONS"},
		{"POST", "/api/token/", http.StatusNotFound, ""},
	}
	for _, tc := range cases {
		resp, body := e.do(request{method: tc.method, path: tc.path})
		if resp.StatusCode != tc.status || resp.Header.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d Allow %q (%s), want %d Allow %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Allow"), body, tc.status, tc.allow)
		}
	}
}
