package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/host/builtin"
	"github.com/jwtd/jwtd/host/config"
	"github.com/jwtd/jwtd/host/daemon"
	"github.com/jwtd/jwtd/host/httpapi"
	"github.com/jwtd/jwtd/internal/jwtdtest"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// testSecret is the HMAC key of every test server (>= 32 bytes).
const testSecret = "jwtd-httpapi-test-secret-0123456789abcdef"

// Profiles: the settings a server runs with, as [tokens] lines.
const (
	profileDefault = "default"
	profileRotate  = "rotate"
	profileRevoke  = "revoke"
	// profileSessions: sessions with rotation and no reuse interval.
	profileSessions = "sessions"
)

var profileTokens = map[string]string{
	profileDefault:  "",
	profileRotate:   "rotate_refresh_tokens = true\nblacklist_after_rotation = true\nupdate_last_login = true\n",
	profileRevoke:   "check_revoke_token = true\n",
	profileSessions: "sessions = true\nrotate_refresh_tokens = true\nblacklist_after_rotation = true\nreuse_interval = \"0s\"\n",
}

// Users every test server has. Passwords are fixed: goldens hold no secret.
var testUsers = []sdk.NewUser{
	{Username: "alice", Password: "alice-password-1", IsActive: true},
	{Username: "bob", Password: "bob-password-1", IsActive: false},
	{Username: "carol", Password: "carol-password-1", IsActive: true},
	{Username: "dave", Password: "dave-password-1", IsActive: true},
}

// env is one jwtd API over real SQLite stores in a temp dir, built from a
// jwtd.toml the way the daemon builds it.
type env struct {
	t     *testing.T
	srv   *httptest.Server
	api   *httpapi.API
	stack *daemon.Stack
	users map[string]sdk.User
	logs  *jwtdtest.SyncBuffer
	// past issues tokens with the clock 48h back, for expired tokens.
	past *core.Service
}

// configText is a jwtd.toml for the tests: SQLite user store and blacklist
// in one file beside it.
func configText(tokens, server string) string {
	return "[server]\n" + server + "\n[tokens]\nsigning_key = \"" + testSecret + "\"\n" + tokens + "\n" +
		jwtdtest.SQLiteUserStore("jwtd.db") + `
[plugins.blacklist_store]
use = "sqlite"
[plugins.blacklist_store.config]
path = "jwtd.db"
`
}

func newEnv(t *testing.T, profile string) *env {
	return newEnvWith(t, configText(profileTokens[profile], ""), nil)
}

// Plugin modes: the same SQLite stores linked in, or as the real plugin
// binary launched and supervised over go-plugin.
const (
	modeInProcess    = "in-process"
	modeOutOfProcess = "out-of-process"
	// modeCookies is in process with the cookie transport on: header
	// clients must see exactly the same answers.
	modeCookies = "in-process-cookies-on"
)

// sqlitePlugin is the jwtd-plugin-sqlite binary TestMain builds.
var sqlitePlugin string

// TestMain builds the SQLite plugin binary once for the out-of-process runs.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jwtd-httpapi-")
	if err != nil {
		panic(err)
	}
	sqlitePlugin = filepath.Join(dir, "jwtd-plugin-sqlite")
	if err := jwtdtest.GoBuild(sqlitePlugin, "github.com/jwtd/jwtd/plugins/sqlite/cmd/jwtd-plugin-sqlite"); err != nil {
		os.RemoveAll(dir)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// newEnvMode is newEnv with both stores in or out of process.
func newEnvMode(t *testing.T, profile, mode string) *env {
	text := configText(profileTokens[profile], "")
	if mode == modeOutOfProcess {
		text = strings.ReplaceAll(text, `use = "sqlite"`, `use = "`+sqlitePlugin+`"`)
	}
	if mode == modeCookies {
		text += "[cookies]\nenabled = true\n"
	}
	return newEnvWith(t, text, nil)
}

func newEnvWith(t *testing.T, toml string, wrap func(httpapi.Core) httpapi.Core) *env {
	t.Helper()
	return newEnvFull(t, toml, wrap, true)
}

// newEnvWithUsers builds a server over toml, with or without the test users.
func newEnvWithUsers(t *testing.T, toml string, addUsers bool) *env {
	t.Helper()
	return newEnvFull(t, toml, nil, addUsers)
}

func newEnvFull(t *testing.T, toml string, wrap func(httpapi.Core) httpapi.Core, addUsers bool) *env {
	t.Helper()
	return newEnvRegistry(t, toml, wrap, addUsers, nil)
}

// newEnvRegistry is newEnvFull with built-in plugins from reg (nil: the
// default registry), for tests that need an in-process rule or serializer.
func newEnvRegistry(t *testing.T, toml string, wrap func(httpapi.Core) httpapi.Core, addUsers bool, reg *builtin.Registry) *env {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "jwtd.toml")
	if err := os.WriteFile(path, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &jwtdtest.SyncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	cfg, err := config.Load(path, config.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := daemon.Build(ctx, cfg, daemon.BuildOptions{Logger: logger, Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, stack: st, users: map[string]sdk.User{}, logs: logs}
	admin := sdktest.Admin(t, st.Users)
	for _, nu := range testUsers {
		if !addUsers {
			break
		}
		u, err := admin.CreateUser(ctx, nu)
		if err != nil {
			t.Fatalf("create %s: %v", nu.Username, err)
		}
		e.users[nu.Username] = u
	}
	if cfg.Tokens.JWKURL == "" { // a JWK_URL core needs the daemon's fetcher
		e.past, err = core.New(cfg.Tokens, core.Plugins{Users: st.Users, Blacklist: st.Blacklist},
			core.WithClock(func() time.Time { return time.Now().Add(-48 * time.Hour) }))
		if err != nil {
			t.Fatal(err)
		}
	}
	var c httpapi.Core = st.Service
	if wrap != nil {
		c = wrap(c)
	}
	e.api = httpapi.New(c, httpapi.Options{
		Prefix:        cfg.Server.Prefix,
		MaxBodyBytes:  cfg.Server.MaxBodyBytes,
		MaxJSONDepth:  cfg.Server.MaxJSONDepth,
		MaxFieldChars: cfg.Server.MaxFieldChars,
		Logger:        logger,
		Ready:         st.Ready,
		ForwardAuth:   cfg.ForwardAuth,
		Cookies:       cfg.Cookies,
	})
	e.srv = httptest.NewServer(e.api)
	t.Cleanup(e.srv.Close)
	return e
}

// user looks a test user up afresh (after a password change, say).
func (e *env) user(name string) sdk.User {
	e.t.Helper()
	u, err := e.stack.Users.LookupUser(context.Background(), "username", name)
	if err != nil {
		e.t.Fatalf("lookup %s: %v", name, err)
	}
	return u
}

// pair issues a fresh refresh/access pair for a user.
func (e *env) pair(name string) core.Issued {
	e.t.Helper()
	is, err := e.stack.Service.IssueFor(context.Background(), e.user(name))
	if err != nil {
		e.t.Fatalf("issue for %s: %v", name, err)
	}
	return is
}

func (e *env) sliding(name string) string {
	e.t.Helper()
	is, err := e.stack.Service.IssueSlidingFor(context.Background(), e.user(name))
	if err != nil {
		e.t.Fatalf("issue sliding for %s: %v", name, err)
	}
	return is.Token
}

// expiredPair is a pair issued 48h ago: both tokens have expired.
func (e *env) expiredPair(name string) core.Issued {
	e.t.Helper()
	is, err := e.past.IssueFor(context.Background(), e.user(name))
	if err != nil {
		e.t.Fatal(err)
	}
	return is
}

// forge signs arbitrary claims with the servers' key: tokens Simple JWT
// could meet but jwtd never issues (no jti, no type, unknown user).
func (e *env) forge(claims map[string]any) string {
	e.t.Helper()
	base := map[string]any{
		"token_type": "access",
		"exp":        time.Now().Add(time.Hour).Unix(),
		"iat":        time.Now().Unix(),
		"jti":        "0123456789abcdef0123456789abcdef",
		"user_id":    e.users["alice"].ID,
	}
	for k, v := range claims {
		if v == nil {
			delete(base, k)
		} else {
			base[k] = v
		}
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims(base)).SignedString([]byte(testSecret))
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// request is one HTTP request of a case.
type request struct {
	method string
	path   string
	ctype  string
	body   string
	header map[string]string
}

func jsonPost(path, body string) request {
	return request{method: http.MethodPost, path: path, ctype: "application/json", body: body}
}

func formPost(path string, vals url.Values) request {
	return request{method: http.MethodPost, path: path, ctype: "application/x-www-form-urlencoded", body: vals.Encode()}
}

func multipartPost(path string, vals map[string]string) request {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		mw.WriteField(k, vals[k])
	}
	mw.Close()
	return request{method: http.MethodPost, path: path, ctype: mw.FormDataContentType(), body: b.String()}
}

func bearer(path, header string) request {
	return request{method: http.MethodGet, path: path, header: map[string]string{"Authorization": header}}
}

// do sends r and returns the response with its body read.
func (e *env) do(r request) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(r.method, e.srv.URL+r.path, strings.NewReader(r.body))
	if err != nil {
		e.t.Fatal(err)
	}
	if r.ctype != "" {
		req.Header.Set("Content-Type", r.ctype)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, body
}
