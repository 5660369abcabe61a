package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/host/builtin"
	"github.com/jwtd/jwtd/host/config"
	"github.com/jwtd/jwtd/host/daemon"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// at is a core over the same stores and settings as the server, whose
// clock runs shift from now: tokens issued in the past, or a flush-expired
// run in the future.
func (e *env) at(shift time.Duration) *core.Service {
	e.t.Helper()
	svc, err := core.New(e.stack.Config.Tokens, core.Plugins{Users: e.stack.Users, Blacklist: e.stack.Blacklist},
		core.WithClock(func() time.Time { return time.Now().Add(shift) }))
	if err != nil {
		e.t.Fatal(err)
	}
	return svc
}

// wantDetail checks a response's status and detail.
func wantDetail(t *testing.T, what string, resp *http.Response, body []byte, status int, detail string) {
	t.Helper()
	var got struct {
		Detail string `json:"detail"`
	}
	_ = json.Unmarshal(body, &got)
	if resp.StatusCode != status || got.Detail != detail {
		t.Fatalf("%s: %d %s, want %d %q", what, resp.StatusCode, body, status, detail)
	}
}

// TestRevokedRefreshStaysRevokedInLeeway: tokens are accepted until exp +
// leeway, so a blacklisted refresh token must stay blacklisted that long,
// whatever clears expired rows (the SQLite store's background sweep, or
// `jwtd flush-expired`). Replayed just after exp with rotation on, a revoked
// token would otherwise yield a fresh refresh token: the logged-out session
// back for good.
func TestRevokedRefreshStaysRevokedInLeeway(t *testing.T) {
	cases := []struct {
		name, storeConfig string
		flush             func(t *testing.T, e *env)
	}{
		{"flush-expired", "", func(t *testing.T, e *env) {
			if _, err := e.stack.Service.FlushExpired(context.Background()); err != nil {
				t.Fatal(err)
			}
		}},
		{"background sweep", `sweep_interval = "10ms"`, func(t *testing.T, e *env) {
			time.Sleep(200 * time.Millisecond) // some twenty sweeps
		}},
	}
	for _, c := range cases {
		for _, mode := range []string{modeInProcess, modeOutOfProcess} {
			t.Run(c.name+"/"+mode, func(t *testing.T) {
				toml := configText(profileTokens[profileRotate]+"leeway = 60\n", "") + c.storeConfig + "\n"
				if mode == modeOutOfProcess {
					toml = strings.ReplaceAll(toml, `use = "sqlite"`, `use = "`+sqlitePlugin+`"`)
				}
				revokedStaysRevoked(t, newEnvWith(t, toml, nil), c.flush)
			})
		}
	}
}

// revokedStaysRevoked blacklists a refresh token that expired five seconds
// ago (accepted for 55 more under leeway = 60), lets flush clear expired
// rows, and replays it.
func revokedStaysRevoked(t *testing.T, e *env, flush func(*testing.T, *env)) {
	t.Helper()
	pair, err := e.at(-(24*time.Hour + 5*time.Second)).IssueFor(context.Background(), e.user("alice"))
	if err != nil {
		t.Fatal(err)
	}
	e.mustOK(jsonPost(blPath, tokenBody("refresh", pair.Refresh)))
	flush(t, e)
	resp, body := e.do(jsonPost(refreshPath, tokenBody("refresh", pair.Refresh)))
	wantDetail(t, "replay of the revoked token inside the leeway", resp, body, 401, "Token is blacklisted")
}

// TestBlacklistedSlidingOutlivesFresherCopies: sliding refresh keeps the
// jti and extends exp, so blacklisting one copy of a sliding token must
// hold for every fresher copy, after the blacklisted copy's own exp and
// whatever clears expired rows.
func TestBlacklistedSlidingOutlivesFresherCopies(t *testing.T) {
	e := newEnvWith(t, configText("auth_token_classes = [\"sliding\"]\n", ""), nil)
	ctx := context.Background()
	// Issued four minutes ago: this copy expires in one minute.
	old, err := e.at(-4*time.Minute).IssueSlidingFor(ctx, e.user("alice"))
	if err != nil {
		t.Fatal(err)
	}
	var fresh struct{ Token string }
	if err := json.Unmarshal(e.mustOK(jsonPost(slRefPath, tokenBody("token", old.Token))), &fresh); err != nil || fresh.Token == "" {
		t.Fatalf("sliding refresh: %v", err)
	}
	// The operator revokes the copy they have (`jwtd token blacklist`).
	if err := e.stack.Service.BlacklistAny(ctx, old.Token); err != nil {
		t.Fatal(err)
	}
	// `jwtd flush-expired` two minutes later, after the old copy's exp.
	if _, err := e.at(2 * time.Minute).FlushExpired(ctx); err != nil {
		t.Fatal(err)
	}
	resp, body := e.do(jsonPost(slRefPath, tokenBody("token", fresh.Token)))
	wantDetail(t, "sliding refresh of the fresher copy", resp, body, 401, "Token is blacklisted")
	resp, body = e.do(bearer(authPath, "Bearer "+fresh.Token))
	wantDetail(t, "authenticate with the fresher copy", resp, body, 401, "Given token not valid for any token type")
	if !strings.Contains(string(body), `"message":"Token is blacklisted"`) {
		t.Fatalf("authenticate with the fresher copy: %s", body)
	}
}

// TestAbsurdNumericDates: dates no time value or store represents are
// "Token is invalid" everywhere, never accepted and never converted.
func TestAbsurdNumericDates(t *testing.T) {
	e := newEnv(t, profileRotate)
	huge := json.Number("100000000000000000000") // 1e20 seconds
	cases := []struct {
		name   string
		claims map[string]any
	}{
		{"exp 1e20 as an integer", map[string]any{"exp": huge}},
		{"exp 1e20 as a float", map[string]any{"exp": 1e20}},
		{"exp in year 10000", map[string]any{"exp": int64(253402300800)}},
		{"iat -1e20", map[string]any{"iat": json.Number("-100000000000000000000")}},
		{"nbf -1e20", map[string]any{"nbf": -1e20}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			access := e.forge(c.claims)
			resp, body := e.do(bearer(authPath, "Bearer "+access))
			if resp.StatusCode != 401 || !strings.Contains(string(body), `"message":"Token is invalid"`) {
				t.Fatalf("authenticate: %d %s", resp.StatusCode, body)
			}
			resp, body = e.do(jsonPost(verifyPath, tokenBody("token", access)))
			wantDetail(t, "verify", resp, body, 401, "Token is invalid")
			refresh := map[string]any{"token_type": "refresh", "jti": "fedcba98765432100123456789abcdef"}
			for k, v := range c.claims {
				refresh[k] = v
			}
			resp, body = e.do(jsonPost(refreshPath, tokenBody("refresh", e.forge(refresh))))
			wantDetail(t, "refresh", resp, body, 401, "Token is invalid")
		})
	}
	// The limit itself is accepted.
	e.mustOK(bearer(authPath, "Bearer "+e.forge(map[string]any{"exp": int64(253402300799)})))
}

// TestBlacklistedRefreshAmongAuthClasses: Simple JWT's SlidingToken checks
// the blacklist before the token type, so a blacklisted refresh token
// presented where access and sliding tokens are accepted reads "Token has
// wrong type" for AccessToken and "Token is blacklisted" for SlidingToken.
func TestBlacklistedRefreshAmongAuthClasses(t *testing.T) {
	e := newEnvWith(t, configText("auth_token_classes = [\"access\", \"sliding\"]\n", ""), nil)
	refresh := e.pair("alice").Refresh
	const notBlacklisted = `{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[` +
		`{"token_class":"AccessToken","token_type":"access","message":"Token has wrong type"},` +
		`{"token_class":"SlidingToken","token_type":"sliding","message":"Token has wrong type"}]}`
	const blacklisted = `{"detail":"Given token not valid for any token type","code":"token_not_valid","messages":[` +
		`{"token_class":"AccessToken","token_type":"access","message":"Token has wrong type"},` +
		`{"token_class":"SlidingToken","token_type":"sliding","message":"Token is blacklisted"}]}`
	if resp, body := e.do(bearer(authPath, "Bearer "+refresh)); resp.StatusCode != 401 || string(body) != notBlacklisted {
		t.Fatalf("before blacklisting: %d %s", resp.StatusCode, body)
	}
	e.mustOK(jsonPost(blPath, tokenBody("refresh", refresh)))
	if resp, body := e.do(bearer(authPath, "Bearer "+refresh)); resp.StatusCode != 401 || string(body) != blacklisted {
		t.Fatalf("after blacklisting: %d %s\nwant %s", resp.StatusCode, body, blacklisted)
	}
	// The blacklist endpoint itself: already blacklisted comes first too.
	resp, body := e.do(jsonPost(blPath, tokenBody("refresh", refresh)))
	wantDetail(t, "blacklist again", resp, body, 401, "Token is blacklisted")
}

// testPlugins are in-process rule and serializer plugins whose answers a
// test changes as it goes.
type testPlugins struct {
	mu    sync.Mutex
	roles map[string][]string // username → roles claim
}

func (p *testPlugins) setRoles(user string, roles ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.roles[user] = roles
}

func (p *testPlugins) TokenClaims(_ context.Context, u sdk.User, _ string) (map[string]any, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return map[string]any{"roles": p.roles[u.Username]}, nil
}

func (p *testPlugins) ResponseFields(context.Context, sdk.User) (map[string]any, error) {
	return nil, nil
}

func (p *testPlugins) TokenUser(context.Context, map[string]any) (map[string]any, error) {
	return nil, nil
}

// Allow is a custom rule that lets everyone in, inactive users included.
func (p *testPlugins) Allow(context.Context, sdk.User) (bool, error) { return true, nil }

// registry is the default registry plus "test" rule and serializer.
func (p *testPlugins) registry() *builtin.Registry {
	reg := builtin.Default()
	reg.ClaimSerializers["test"] = func(context.Context, sdk.Config) (sdk.ClaimSerializer, error) { return p, nil }
	reg.AuthRules["test"] = func(context.Context, sdk.Config) (sdk.AuthRule, error) { return p, nil }
	return reg
}

// claimsOf decodes a token's payload (already verified by the server).
func claimsOf(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestRefreshRebuildsSerializerClaims: roles the claim serializer put into
// a token come from the user as they are at refresh, so a demotion takes
// effect at the next refresh (a deliberate difference from Simple JWT,
// which copies every claim forward).
func TestRefreshRebuildsSerializerClaims(t *testing.T) {
	p := &testPlugins{roles: map[string][]string{"alice": {"admin"}}}
	toml := configText(profileTokens[profileRotate], "") + "\n[plugins.claim_serializer]\nuse = \"test\"\n"
	e := newEnvRegistry(t, toml, nil, true, p.registry())
	var pair map[string]string
	if err := json.Unmarshal(e.mustOK(jsonPost(obtainPath, alicePW)), &pair); err != nil {
		t.Fatal(err)
	}
	sliding := e.sliding("alice")
	if got := claimsOf(t, pair["access"])["roles"]; !jsonEqual(got, []any{"admin"}) {
		t.Fatalf("roles at obtain: %v", got)
	}
	p.setRoles("alice", "viewer")

	var refreshed map[string]string
	if err := json.Unmarshal(e.mustOK(jsonPost(refreshPath, tokenBody("refresh", pair["refresh"]))), &refreshed); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"access", "refresh"} {
		if got := claimsOf(t, refreshed[f])["roles"]; !jsonEqual(got, []any{"viewer"}) {
			t.Errorf("roles in the refreshed %s token: %v, want [viewer]", f, got)
		}
	}
	var slid struct{ Token string }
	if err := json.Unmarshal(e.mustOK(jsonPost(slRefPath, tokenBody("token", sliding))), &slid); err != nil {
		t.Fatal(err)
	}
	c := claimsOf(t, slid.Token)
	if !jsonEqual(c["roles"], []any{"viewer"}) || c["jti"] != claimsOf(t, sliding)["jti"] {
		t.Errorf("refreshed sliding token: roles %v jti %v, want [viewer] and the same jti", c["roles"], c["jti"])
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestActiveCheckWithCustomRule: a custom authentication rule decides among
// active users; check_user_is_active still refuses inactive ones at obtain
// and refresh unless it is turned off explicitly.
func TestActiveCheckWithCustomRule(t *testing.T) {
	const bobPW = `{"username": "bob", "password": "bob-password-1"}`
	p := &testPlugins{roles: map[string][]string{}}
	rule := "\n[plugins.auth_rule]\nuse = \"test\"\n"
	t.Run("default: inactive users refused", func(t *testing.T) {
		e := newEnvRegistry(t, configText("", "")+rule, nil, true, p.registry())
		resp, body := e.do(jsonPost(obtainPath, bobPW))
		wantDetail(t, "obtain for inactive bob", resp, body, 401, "No active account found with the given credentials")
		resp, body = e.do(jsonPost(slidingPath, bobPW))
		wantDetail(t, "sliding obtain for inactive bob", resp, body, 401, "No active account found with the given credentials")
		refresh := e.pair("alice").Refresh
		if err := sdktest.Admin(e.t, e.stack.Users).SetActive(context.Background(), "alice", false); err != nil {
			t.Fatal(err)
		}
		resp, body = e.do(jsonPost(refreshPath, tokenBody("refresh", refresh)))
		wantDetail(t, "refresh after deactivating alice", resp, body, 401, "No active account found for the given token.")
	})
	t.Run("check_user_is_active = false: the rule alone", func(t *testing.T) {
		e := newEnvRegistry(t, configText("check_user_is_active = false\n", "")+rule, nil, true, p.registry())
		e.mustOK(jsonPost(obtainPath, bobPW))
	})
}

// TestBlacklistAfterRotationNeedsStore: blacklist_after_rotation without a
// blacklist store would revoke nothing; jwtd refuses to start, naming the
// setting.
func TestBlacklistAfterRotationNeedsStore(t *testing.T) {
	text := "[tokens]\nsigning_key = \"" + testSecret + "\"\nrotate_refresh_tokens = true\nblacklist_after_rotation = true\n" +
		"[plugins.user_store]\nuse = \"memory\"\n"
	path := filepath.Join(t.TempDir(), "jwtd.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, config.Options{})
	if err == nil {
		var st *daemon.Stack
		st, err = daemon.Build(context.Background(), cfg, daemon.BuildOptions{})
		if err == nil {
			st.Close()
		}
	}
	var se *core.SettingError
	if !errors.As(err, &se) || se.Setting != "blacklist_after_rotation" || !strings.Contains(err.Error(), "tokens.blacklist_after_rotation") {
		t.Fatalf("start with blacklist_after_rotation and no store: %v, want a refusal naming tokens.blacklist_after_rotation", err)
	}
}

// TestJWKURLOverHTTPNeedsOptIn: jwtd refuses to start with an http://
// jwk_url, and with unsafe_jwk_url_allow_http (loopback only) fetches it:
// the setting reaches the fetcher the daemon builds.
func TestJWKURLOverHTTPNeedsOptIn(t *testing.T) {
	keys := filepath.Join("..", "..", "core", "testdata", "vectors", "keys")
	priv, err := filepath.Abs(filepath.Join(keys, "rsa2048.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pubPath, err := filepath.Abs(filepath.Join(keys, "rsa2048.pub.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := os.ReadFile(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	set := core.DefaultSettings()
	set.Algorithm, set.VerifyingKey = "RS256", string(pub)
	if set.SigningKey, err = readFile(priv); err != nil {
		t.Fatal(err)
	}
	issuer, err := core.New(set, core.Plugins{Users: memory.NewUserStore()})
	if err != nil {
		t.Fatal(err)
	}
	doc := issuer.JWKS()
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(doc) }))
	t.Cleanup(jwks.Close)

	// The verifying key gives issued tokens their kid, which selects the
	// key in the fetched set.
	tokens := "algorithm = \"RS256\"\nverifying_key = \"file:" + pubPath + "\"\njwk_url = \"" + jwks.URL + "\"\n"
	text := func(extra string) string {
		return strings.Replace(configText(tokens+extra, ""), "signing_key = \""+testSecret+"\"", "signing_key = \"file:"+priv+"\"", 1)
	}
	path := filepath.Join(t.TempDir(), "jwtd.toml")
	if err := os.WriteFile(path, []byte(text("")), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := daemon.Build(context.Background(), cfg, daemon.BuildOptions{}); err == nil || !strings.Contains(err.Error(), "tokens.jwk_url") {
		if err == nil {
			st.Close()
		}
		t.Fatalf("start with an http jwk_url: %v, want a refusal naming tokens.jwk_url", err)
	}

	e := newEnvWith(t, text("unsafe_jwk_url_allow_http = true\n"), nil)
	var pair map[string]string
	if err := json.Unmarshal(e.mustOK(jsonPost(obtainPath, alicePW)), &pair); err != nil {
		t.Fatal(err)
	}
	e.mustOK(bearer(authPath, "Bearer "+pair["access"]))
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

// TestVerifyAccessWhileBlacklistDown: access tokens are never blacklisted,
// so verify and authenticate of one answer 200 while the blacklist store
// cannot answer (here: the real SQLite store, closed); a refresh token
// still fails closed with 503.
func TestVerifyAccessWhileBlacklistDown(t *testing.T) {
	reg := builtin.Default()
	var store io.Closer
	sqliteBlacklist := reg.BlacklistStores["sqlite"]
	reg.BlacklistStores["sqlite"] = func(ctx context.Context, cfg sdk.Config) (sdk.BlacklistStore, error) {
		bl, err := sqliteBlacklist(ctx, cfg)
		store, _ = bl.(io.Closer)
		return bl, err
	}
	e := newEnvRegistry(t, configText("", ""), nil, true, reg)
	pair := e.pair("alice")
	if store == nil {
		t.Fatal("the SQLite blacklist store cannot be closed")
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		req  request
		want int
	}{
		{"verify access", jsonPost("/api/token/verify/", `{"token":"`+pair.Access+`"}`), http.StatusOK},
		{"authenticate access", bearer("/api/authenticate/", "Bearer "+pair.Access), http.StatusOK},
		{"verify refresh", jsonPost("/api/token/verify/", `{"token":"`+pair.Refresh+`"}`), http.StatusServiceUnavailable},
	} {
		resp, body := e.do(tc.req)
		if resp.StatusCode != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, resp.StatusCode, body, tc.want)
		}
	}
}
