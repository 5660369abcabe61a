package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

const (
	logoutPath    = "/api/token/logout/"
	logoutAllPath = "/api/token/logout-all/"
	sessionsPath  = "/api/token/sessions/"
)

// sessionTokens are [tokens] lines with sessions, rotation and no reuse
// interval (so a second use is reuse at once).
const sessionTokens = "sessions = true\nrotate_refresh_tokens = true\nblacklist_after_rotation = true\nreuse_interval = \"0s\"\n"

func pairOf(t *testing.T, body []byte) (refresh, access string) {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return m["refresh"], m["access"]
}

// httpLogin obtains a pair over HTTP with a User-Agent.
func httpLogin(t *testing.T, e *env, creds, agent string) (refresh, access string) {
	t.Helper()
	r := jsonPost(obtainPath, creds)
	r.header = map[string]string{"User-Agent": agent}
	return pairOf(t, e.mustOK(r))
}

type sessionRow struct {
	ID         string `json:"id"`
	Created    string `json:"created"`
	LastUsed   string `json:"last_used"`
	ClientAddr string `json:"client_addr"`
	UserAgent  string `json:"user_agent"`
	Current    bool   `json:"current"`
}

func listSessions(t *testing.T, e *env, access string) []sessionRow {
	t.Helper()
	var rows []sessionRow
	if err := json.Unmarshal(e.mustOK(bearer(sessionsPath, "Bearer "+access)), &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

func authPost(path, access string) request {
	return request{method: http.MethodPost, path: path, header: map[string]string{"Authorization": "Bearer " + access}}
}

func TestSessionEndpoints(t *testing.T) {
	e := newEnvWith(t, configText(sessionTokens, ""), nil)
	status := func(r request) (int, string) {
		t.Helper()
		resp, body := e.do(r)
		return resp.StatusCode, string(body)
	}

	t.Run("list marks the current session", func(t *testing.T) {
		_, a1 := httpLogin(t, e, `{"username":"dave","password":"dave-password-1"}`, "phone/1")
		httpLogin(t, e, `{"username":"dave","password":"dave-password-1"}`, "laptop/2")
		rows := listSessions(t, e, a1)
		byAgent := map[string]sessionRow{}
		for _, r := range rows {
			byAgent[r.UserAgent] = r
		}
		phone, laptop := byAgent["phone/1"], byAgent["laptop/2"]
		if len(rows) != 2 || !phone.Current || laptop.Current || phone.ClientAddr != "127.0.0.1" || phone.Created == "" || phone.LastUsed == "" {
			t.Fatalf("sessions = %+v", rows)
		}
	})

	t.Run("logout ends the session", func(t *testing.T) {
		r, a := httpLogin(t, e, alicePW, "x")
		if code, body := status(jsonPost(logoutPath, tokenBody("refresh", r))); code != 200 || body != "{}" {
			t.Fatalf("logout = %d %s", code, body)
		}
		if code, body := status(jsonPost(refreshPath, tokenBody("refresh", r))); code != 401 || !strings.Contains(body, "Token is blacklisted") {
			t.Fatalf("refresh after logout = %d %s", code, body)
		}
		if code, _ := status(jsonPost(logoutPath, tokenBody("refresh", r))); code != 401 {
			t.Fatalf("second logout = %d; want 401", code)
		}
		if code, _ := status(jsonPost(logoutPath, tokenBody("refresh", a))); code != 401 {
			t.Fatalf("logout with an access token = %d; want 401", code)
		}
		if code, _ := status(jsonPost(logoutPath, `{}`)); code != 400 {
			t.Fatalf("logout without a token = %d; want 400", code)
		}
	})

	t.Run("stolen token: the second use kills the session for both", func(t *testing.T) {
		r0, _ := httpLogin(t, e, alicePW, "victim")
		r1, _ := pairOf(t, e.mustOK(jsonPost(refreshPath, tokenBody("refresh", r0)))) // the attacker
		code, body := status(jsonPost(refreshPath, tokenBody("refresh", r0)))         // the victim
		if code != 401 || !strings.Contains(body, `"detail":"Token is blacklisted","code":"token_not_valid"`) {
			t.Fatalf("victim's refresh = %d %s", code, body)
		}
		if code, _ := status(jsonPost(refreshPath, tokenBody("refresh", r1))); code != 401 {
			t.Fatalf("attacker's rotated token still refreshes: %d", code)
		}
		logs := e.logs.String()
		if !strings.Contains(logs, "refresh token reuse detected") || strings.Contains(logs, r0) || strings.Contains(logs, r1) {
			t.Fatalf("reuse log missing or carrying a token:\n%s", logs)
		}
	})

	t.Run("logout-all", func(t *testing.T) {
		ra, _ := httpLogin(t, e, `{"username":"carol","password":"carol-password-1"}`, "a")
		rb, ab := httpLogin(t, e, `{"username":"carol","password":"carol-password-1"}`, "b")
		if code, body := status(authPost(logoutAllPath, ab)); code != 200 || body != `{"revoked":2}` {
			t.Fatalf("logout-all = %d %s", code, body)
		}
		for _, r := range []string{ra, rb} {
			if code, _ := status(jsonPost(refreshPath, tokenBody("refresh", r))); code != 401 {
				t.Fatalf("refresh after logout-all = %d", code)
			}
		}
		if code, _ := status(request{method: http.MethodPost, path: logoutAllPath}); code != 401 {
			t.Fatalf("logout-all without credentials = %d; want 401", code)
		}
	})

	t.Run("delete one session, only one's own", func(t *testing.T) {
		_, aliceAccess := httpLogin(t, e, alicePW, "a")
		daveRefresh, daveAccess := httpLogin(t, e, `{"username":"dave","password":"dave-password-1"}`, "d")
		var daveSession string
		for _, s := range listSessions(t, e, daveAccess) {
			if s.Current {
				daveSession = s.ID
			}
		}
		del := func(access, id string) request {
			return request{method: http.MethodDelete, path: sessionsPath + id + "/", header: map[string]string{"Authorization": "Bearer " + access}}
		}
		if code, body := status(del(aliceAccess, daveSession)); code != 404 || body != `{"detail":"Not found."}` {
			t.Fatalf("deleting another user's session = %d %s; want 404", code, body)
		}
		if code, _ := status(del(daveAccess, daveSession)); code != 204 {
			t.Fatalf("deleting one's own session = %d; want 204", code)
		}
		if code, _ := status(jsonPost(refreshPath, tokenBody("refresh", daveRefresh))); code != 401 {
			t.Fatalf("refresh of a deleted session = %d; want 401", code)
		}
		if code, _ := status(del(daveAccess, daveSession)); code != 404 {
			t.Fatalf("deleting it again = %d; want 404", code)
		}
		if code, _ := status(request{method: http.MethodPost, path: sessionsPath + daveSession + "/"}); code != 405 {
			t.Fatalf("POST to a session = %d; want 405", code)
		}
	})
}

// TestSessionEndpointsOff: without sessions the endpoints do not exist.
func TestSessionEndpointsOff(t *testing.T) {
	e := newEnv(t, profileRotate)
	for _, r := range []request{jsonPost(logoutPath, `{}`), jsonPost(logoutAllPath, `{}`), bearer(sessionsPath, ""), {method: http.MethodDelete, path: sessionsPath + "x/"}} {
		if resp, body := e.do(r); resp.StatusCode != 404 {
			t.Errorf("%s %s with sessions off = %d %s; want 404", r.method, r.path, resp.StatusCode, body)
		}
	}
}

// TestCookieLogoutClearsCookies: /logout/ with the refresh cookie (and the
// CSRF header) ends the session and clears the cookies, as blacklist does.
func TestCookieLogoutClearsCookies(t *testing.T) {
	e := newEnvWith(t, configText(sessionTokens, "")+cookieConfig, nil)
	j, _, _ := login(t, e)
	refresh := j["jwtd_refresh"].Value
	resp, _ := e.do(request{method: "POST", path: logoutPath, header: map[string]string{"Cookie": j.header()}})
	if resp.StatusCode != 403 {
		t.Fatalf("cookie logout without CSRF = %d; want 403", resp.StatusCode)
	}
	resp, body := e.do(request{method: "POST", path: logoutPath, header: map[string]string{"Cookie": j.header(), "X-CSRF-Token": j["jwtd_csrf"].Value}})
	if resp.StatusCode != 200 {
		t.Fatalf("cookie logout = %d %s", resp.StatusCode, body)
	}
	j.take(resp)
	if len(j) != 0 {
		t.Fatalf("cookies left after logout: %v", j)
	}
	if resp, _ := e.do(jsonPost(refreshPath, tokenBody("refresh", refresh))); resp.StatusCode != 401 {
		t.Fatalf("refresh after cookie logout = %d", resp.StatusCode)
	}
}

// TestSessionEndpointNames: the session rows label their requests, an id
// segment included, and nothing deeper matches them.
func TestSessionEndpointNames(t *testing.T) {
	e := newEnvWith(t, configText(sessionTokens, ""), nil)
	for path, want := range map[string]string{
		"/api/token/logout/":         "logout",
		"/api/token/logout-all":      "logout_all",
		"/api/token/sessions/":       "sessions",
		"/api/token/sessions/abc/":   "session",
		"/api/token/sessions/a/b/":   "other",
		"/api/token/refresh/abc/":    "other",
		"/api/token/logout-all/abc/": "other",
	} {
		if got := e.api.EndpointName(httptest.NewRequest("DELETE", path, nil)); got != want {
			t.Errorf("EndpointName(%s) = %q, want %q", path, got, want)
		}
	}
}

// TestSessionUserAgentBounded: a long User-Agent is kept as at most 255
// bytes of valid UTF-8 (what a varchar(255) column holds).
func TestSessionUserAgentBounded(t *testing.T) {
	e := newEnvWith(t, configText(sessionTokens, ""), nil)
	_, access := httpLogin(t, e, alicePW, strings.Repeat("é", 500))
	rows := listSessions(t, e, access)
	if len(rows) != 1 || len(rows[0].UserAgent) > 255 || len(rows[0].UserAgent) < 250 || !utf8.ValidString(rows[0].UserAgent) {
		t.Fatalf("kept user agent of %d bytes (valid %v)", len(rows[0].UserAgent), utf8.ValidString(rows[0].UserAgent))
	}
}
