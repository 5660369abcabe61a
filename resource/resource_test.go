package resource_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/internal/attacks"
	"github.com/jwtd/jwtd/resource"
)

// coreAnswer is the body jwtd's stateless authenticate gives for err, as
// Simple JWT words it: what the middleware must answer too.
func coreAnswer(err error) map[string]any {
	var ce *core.Error
	if !errors.As(err, &ce) {
		return nil
	}
	m := map[string]any{"detail": ce.Detail}
	if ce.Kind == core.KindTokenNotValid {
		m["code"] = "token_not_valid"
	}
	if ce.Code != "" {
		m["code"] = ce.Code
	}
	if len(ce.Messages) > 0 {
		var msgs []any
		for _, tm := range ce.Messages {
			msgs = append(msgs, map[string]any{"token_class": tm.TokenClass, "token_type": tm.TokenType, "message": tm.Message})
		}
		m["messages"] = msgs
	}
	return m
}

func bodyOf(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q: %v", w.Body.String(), err)
	}
	return m
}

// TestAttackCorpus runs every internal/attacks token case through the
// middleware for HMAC, RSA, EC and EdDSA keys, configured with the key a
// resource server holds (the secret, or the public key only): each case the
// stateless authenticate endpoint must refuse is a 401 with
// WWW-Authenticate and never reaches the handler; no case is a 5xx; every
// case gets exactly the answer the core's AuthenticateStateless gives
// (same acceptance, same body); the control token passes with its user in
// the context; and no case makes the middleware fetch the URLs its headers
// name.
func TestAttackCorpus(t *testing.T) {
	var canaryHits atomic.Int64
	canary := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { canaryHits.Add(1) }))
	t.Cleanup(canary.Close)
	ctx := context.Background()
	for _, s := range setups {
		t.Run(s.alg, func(t *testing.T) {
			is := newIssuer(t, s.issuerSettings(t))
			v, err := resource.New(resource.WithKey(s.alg, s.verifyingKey(t)), resource.WithClock(fixedClock))
			if err != nil {
				t.Fatal(err)
			}
			h, saw := protect(v)
			o := attacks.Options{Alg: s.alg, SigningKey: s.signingKey(t), UserID: is.alice.ID, Now: fixedClock(), CanaryURL: canary.URL + "/jwks.json"}
			if s.key != "hmac" {
				o.PublicKeyPEM = s.verifyingKey(t)
			}
			valid, err := attacks.Valid(o)
			if err != nil {
				t.Fatal(err)
			}
			if w := get(h, "Bearer "+valid); w.Code != http.StatusNoContent || saw.user.ID != is.alice.ID || saw.user.TokenType != "access" {
				t.Fatalf("control token: %d %s, user %+v", w.Code, w.Body, saw.user)
			}
			cases, err := attacks.Tokens(o)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cases {
				saw.user = nil
				w := get(h, "Bearer "+c.Token)
				if w.Code >= 500 {
					t.Errorf("%q: %d %s", c.Name, w.Code, w.Body)
					continue
				}
				_, _, cerr := is.svc.AuthenticateStateless(ctx, "Bearer "+c.Token)
				if cerr == nil {
					if w.Code != http.StatusNoContent {
						t.Errorf("%q: the core accepts it, the middleware answers %d %s", c.Name, w.Code, w.Body)
					}
					if c.MustReject(attacks.Stateless) {
						t.Errorf("%q: accepted by the core too; the corpus says it must be refused", c.Name)
					}
					continue
				}
				if w.Code != http.StatusUnauthorized || saw.user != nil {
					t.Errorf("%q (%s): %d, handler reached: %v; want 401", c.Name, c.Layer, w.Code, saw.user != nil)
					continue
				}
				if got := w.Header().Get("WWW-Authenticate"); got != `Bearer realm="api"` {
					t.Errorf("%q: WWW-Authenticate %q", c.Name, got)
				}
				got, want := bodyOf(t, w), coreAnswer(cerr)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%q: body %v, the core's %v", c.Name, got, want)
				}
			}
		})
	}
	if n := canaryHits.Load(); n != 0 {
		t.Errorf("%d requests reached URLs named by jku/x5u headers", n)
	}
}

// TestAttackCorpusJWKS: with keys from jwtd's JWK Set URL, every case the
// corpus says must be refused is a 401, and jwtd's own token (which names
// its kid) passes.
func TestAttackCorpusJWKS(t *testing.T) {
	for _, s := range setups[1:] {
		t.Run(s.alg, func(t *testing.T) {
			is := newIssuer(t, s.issuerSettings(t))
			var fetches atomic.Int64
			jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fetches.Add(1)
				w.Write(is.svc.JWKS())
			}))
			t.Cleanup(jwks.Close)
			v, err := resource.New(resource.WithJWKS(jwks.URL, s.alg), resource.UnsafeAllowHTTPJWKS(), resource.WithClock(fixedClock))
			if err != nil {
				t.Fatal(err)
			}
			h, saw := protect(v)
			if w := get(h, "Bearer "+is.access(t)); w.Code != http.StatusNoContent || saw.user.ID != is.alice.ID {
				t.Fatalf("jwtd's token: %d %s", w.Code, w.Body)
			}
			o := attacks.Options{Alg: s.alg, SigningKey: s.signingKey(t), PublicKeyPEM: s.verifyingKey(t), UserID: is.alice.ID, Now: fixedClock()}
			cases, err := attacks.Tokens(o)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cases {
				if !c.MustReject(attacks.Stateless) {
					continue
				}
				if w := get(h, "Bearer "+c.Token); w.Code != http.StatusUnauthorized {
					t.Errorf("%q: %d %s, want 401", c.Name, w.Code, w.Body)
				}
			}
			if n := fetches.Load(); n < 1 || n > 2 {
				t.Errorf("%d JWKS fetches for one key set and a corpus of kid-less tokens", n)
			}
		})
	}
}

type vectorFile struct {
	Now   int64 `json:"now"`
	Cases []struct {
		Name      string         `json:"name"`
		Algorithm string         `json:"algorithm"`
		Key       string         `json:"key"`
		Token     string         `json:"token"`
		Expect    string         `json:"expect"`
		Error     *string        `json:"error"`
		Claims    map[string]any `json:"claims"`
		Config    struct {
			Audience string `json:"audience"`
			Issuer   string `json:"issuer"`
			Leeway   string `json:"leeway"`
			Now      int64  `json:"now"`
		} `json:"config"`
	} `json:"cases"`
}

// TestSimpleJWTVectors runs the shared Simple JWT 5.2.2 / PyJWT vectors
// (core/testdata/vectors) through the middleware, configured with the
// public key only: valid tokens pass with the user id of their user_id
// claim (string or integer), invalid ones are 401 with Simple JWT's
// message for each accepted token type.
func TestSimpleJWTVectors(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "core", "testdata", "vectors", "tokens.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vf vectorFile
	if err := json.Unmarshal(b, &vf); err != nil {
		t.Fatal(err)
	}
	if len(vf.Cases) < 70 {
		t.Fatalf("only %d vector cases", len(vf.Cases))
	}
	for _, c := range vf.Cases {
		t.Run(c.Name, func(t *testing.T) {
			key := readKey(t, "hmac.txt")
			if c.Key != "hmac" {
				key = readKey(t, c.Key+".pub.pem")
			}
			now := vf.Now
			if c.Config.Now != 0 {
				now = c.Config.Now
			}
			opts := []resource.Option{
				resource.WithKey(c.Algorithm, key),
				resource.WithTokenTypes("access", "sliding", "refresh"),
				resource.WithIssuer(c.Config.Issuer),
				resource.WithClock(func() time.Time { return time.Unix(now, 0) }),
			}
			if c.Config.Audience != "" {
				opts = append(opts, resource.WithAudience(c.Config.Audience))
			}
			if c.Config.Leeway != "" {
				d, err := time.ParseDuration(c.Config.Leeway)
				if err != nil {
					t.Fatal(err)
				}
				opts = append(opts, resource.WithLeeway(d))
			}
			v, err := resource.New(opts...)
			if err != nil {
				t.Fatal(err)
			}
			h, saw := protect(v)
			w := get(h, "Bearer "+c.Token)
			if c.Expect == "valid" {
				if w.Code != http.StatusNoContent {
					t.Fatalf("%d %s", w.Code, w.Body)
				}
				want := fmt.Sprint(c.Claims["user_id"])
				if f, ok := c.Claims["user_id"].(float64); ok {
					want = strconv.FormatInt(int64(f), 10)
				}
				if saw.user.ID != want || saw.user.TokenType != c.Claims["token_type"] || saw.user.Claims["jti"] != c.Claims["jti"] {
					t.Fatalf("user %+v, claims %v", saw.user, c.Claims)
				}
				return
			}
			if w.Code != http.StatusUnauthorized || saw.user != nil {
				t.Fatalf("%d %s, want 401", w.Code, w.Body)
			}
			body := bodyOf(t, w)
			msgs, _ := body["messages"].([]any)
			if body["code"] != "token_not_valid" || len(msgs) != 3 {
				t.Fatalf("body %v", body)
			}
			for _, m := range msgs {
				if m.(map[string]any)["message"] != *c.Error {
					t.Fatalf("message %v, want %q", m, *c.Error)
				}
			}
		})
	}
}

// TestBodiesAreJWTDs: the middleware's refusals are byte for byte the
// bodies jwtd's authenticate endpoint answers (its golden files).
func TestBodiesAreJWTDs(t *testing.T) {
	s := setups[0]
	is := newIssuer(t, s.issuerSettings(t))
	v, err := resource.New(resource.WithKey(s.alg, s.verifyingKey(t)), resource.WithClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	refresh, err := is.svc.IssueFor(context.Background(), is.alice)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := protect(v)
	cases := []struct{ golden, header string }{
		{"auth_no_header", ""},
		{"auth_other_scheme", "Basic YWxpY2U6cHc="},
		{"auth_bearer_alone", "Bearer"},
		{"auth_three_parts", "Bearer a b"},
		{"auth_invalid_token", "Bearer abc.def.ghi"},
		{"auth_refresh_token", "Bearer " + refresh.Refresh},
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("..", "host", "httpapi", "testdata", "golden", "default", c.golden+".json"))
			if err != nil {
				t.Fatal(err)
			}
			w := get(h, c.header)
			if w.Code != http.StatusUnauthorized || w.Body.String() != strings.TrimSpace(string(want)) {
				t.Fatalf("%d %s\nwant 401 %s", w.Code, w.Body, want)
			}
			if w.Header().Get("WWW-Authenticate") != `Bearer realm="api"` || w.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("headers %v", w.Header())
			}
		})
	}
}

// TestOnlineCheck: with the online check, a token jwtd refuses (here: its
// user was deactivated, which a local check cannot see) is refused with
// jwtd's own answer; answers are cached for the TTL; jwtd down is 503
// (fail closed); forged tokens never reach jwtd.
func TestOnlineCheck(t *testing.T) {
	s := setups[0]
	is := newIssuer(t, s.issuerSettings(t))
	var calls atomic.Int64
	var down atomic.Bool
	jwtd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if down.Load() {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return
		}
		if _, _, err := is.svc.Authenticate(r.Context(), r.Header.Get("Authorization")); err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(coreAnswer(err))
			return
		}
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(jwtd.Close)
	now := fixedClock()
	clock := func() time.Time { return now }
	v, err := resource.New(resource.WithKey(s.alg, s.verifyingKey(t)), resource.WithClock(clock),
		resource.WithOnlineCheck(jwtd.URL+"/api/authenticate/", 2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	h, _ := protect(v)
	tok := "Bearer " + is.access(t)
	for range 3 {
		if w := get(h, tok); w.Code != http.StatusNoContent {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d calls to jwtd for one token within the TTL, want 1", n)
	}
	if w := get(h, "Bearer abc.def.ghi"); w.Code != http.StatusUnauthorized || calls.Load() != 1 {
		t.Fatalf("forged token: %d, %d calls", w.Code, calls.Load())
	}
	if err := is.users.SetActive(context.Background(), is.alice.Username, false); err != nil {
		t.Fatal(err)
	}
	if w := get(h, tok); w.Code != http.StatusNoContent {
		t.Fatalf("within the TTL the cached answer stands: %d", w.Code)
	}
	now = now.Add(2 * time.Second)
	w := get(h, tok)
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), `"user_inactive"`) || w.Header().Get("WWW-Authenticate") == "" {
		t.Fatalf("deactivated user: %d %s", w.Code, w.Body)
	}
	now = now.Add(2 * time.Second)
	down.Store(true)
	if w := get(h, tok); w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "plugin_unavailable") {
		t.Fatalf("jwtd down: %d %s, want 503", w.Code, w.Body)
	}
	jwtd.Close()
	now = now.Add(2 * time.Second)
	if w := get(h, tok); w.Code != http.StatusServiceUnavailable {
		t.Fatalf("jwtd unreachable: %d %s, want 503", w.Code, w.Body)
	}
}

// TestNewRefuses: settings that cannot work are refused, naming them.
func TestNewRefuses(t *testing.T) {
	cases := []struct {
		name    string
		opts    []resource.Option
		setting string
	}{
		{"no key", nil, "signing_key"},
		{"short HMAC secret", []resource.Option{resource.WithKey("HS256", []byte("short"))}, "signing_key"},
		{"private key expected public", []resource.Option{resource.WithKey("RS256", []byte("not pem"))}, "verifying_key"},
		{"JWKS with HMAC", []resource.Option{resource.WithJWKS("https://x/jwks.json", "HS256")}, "signing_key"},
		{"JWKS not a URL", []resource.Option{resource.WithJWKS("ftp://x", "RS256")}, "jwk_url"},
		{"JWKS over http", []resource.Option{resource.WithJWKS("http://jwtd.example.com/.well-known/jwks.json", "RS256")}, "jwk_url"},
		{"JWKS over http, allowed for loopback only", []resource.Option{resource.WithJWKS("http://jwtd.example.com/.well-known/jwks.json", "RS256"), resource.UnsafeAllowHTTPJWKS()}, "jwk_url"},
		{"unknown token type", []resource.Option{resource.WithKey("HS256", readKey(t, "hmac.txt")), resource.WithTokenTypes("bogus")}, "auth_token_classes"},
		{"online check not a URL", []resource.Option{resource.WithKey("HS256", readKey(t, "hmac.txt")), resource.WithOnlineCheck("jwtd:8000", 0)}, "online_check"},
		{"online TTL too long", []resource.Option{resource.WithKey("HS256", readKey(t, "hmac.txt")), resource.WithOnlineCheck("http://jwtd", time.Hour)}, "online_check"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := resource.New(c.opts...)
			var se *core.SettingError
			if !errors.As(err, &se) || se.Setting != c.setting {
				t.Fatalf("New = %v, want a refusal of %s", err, c.setting)
			}
		})
	}
}

// TestJWKSRotationAndStaleKeys: after jwtd rotates its key, the first
// token naming the new kid makes the middleware refetch the JWK Set; a key
// of another algorithm is never used, fetched or not; when the JWKS URL
// fails, the keys already fetched keep verifying past their TTL
// (stale-if-error).
func TestJWKSRotationAndStaleKeys(t *testing.T) {
	s := setups[2] // ES256
	first := s.issuerSettings(t)
	old := newIssuer(t, first)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(ec)
	pub, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	rs := core.DefaultSettings()
	rs.Keys = []core.Key{
		{ID: "next", Algorithm: "ES256", State: core.KeySigning,
			SigningKey:   string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
			VerifyingKey: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))},
		{Algorithm: "ES256", State: core.KeyVerify, VerifyingKey: first.VerifyingKey},
		{ID: "ed", Algorithm: "EdDSA", State: core.KeyVerify, VerifyingKey: string(readKey(t, "ed25519.pub.pem"))},
	}
	rotated := newIssuer(t, rs)

	var serving atomic.Pointer[issuer]
	serving.Store(old)
	var fetches atomic.Int64
	var failing atomic.Bool
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		if failing.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Write(serving.Load().svc.JWKS())
	}))
	t.Cleanup(jwks.Close)
	now := fixedClock()
	v, err := resource.New(resource.WithJWKS(jwks.URL, "ES256"), resource.UnsafeAllowHTTPJWKS(), resource.WithJWKSCache(time.Minute, time.Second),
		resource.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	h, _ := protect(v)
	oldTok := old.access(t)
	if w := get(h, "Bearer "+oldTok); w.Code != http.StatusNoContent {
		t.Fatalf("old key: %d %s", w.Code, w.Body)
	}
	serving.Store(rotated)
	newTok := rotated.access(t)
	if w := get(h, "Bearer "+newTok); w.Code != http.StatusUnauthorized || fetches.Load() != 1 {
		t.Fatalf("new kid within the refetch period: %d, %d fetches; want 401 and no fetch", w.Code, fetches.Load())
	}
	now = now.Add(2 * time.Second)
	if w := get(h, "Bearer "+newTok); w.Code != http.StatusNoContent || fetches.Load() != 2 {
		t.Fatalf("new kid after the refetch period: %d %s, %d fetches", w.Code, w.Body, fetches.Load())
	}
	if w := get(h, "Bearer "+oldTok); w.Code != http.StatusNoContent {
		t.Fatalf("old key, verify-only in the rotated ring: %d %s", w.Code, w.Body)
	}
	// An EdDSA token naming the published EdDSA key: pinned to ES256, no.
	edTok := signEd(t, "ed", rotated.alice.ID)
	if w := get(h, "Bearer "+edTok); w.Code != http.StatusUnauthorized {
		t.Fatalf("EdDSA token through an ES256 middleware: %d", w.Code)
	}
	failing.Store(true)
	now = now.Add(2 * time.Minute)
	for _, tok := range []string{oldTok, newTok} {
		if w := get(h, "Bearer "+tok); w.Code != http.StatusNoContent {
			t.Fatalf("stale key while the JWKS URL fails: %d %s", w.Code, w.Body)
		}
	}
	if n := fetches.Load(); n != 3 {
		t.Fatalf("%d fetches; the expired set should have been refetched once", n)
	}
}

// signEd signs an access token with the vectors' Ed25519 key under kid.
func signEd(t *testing.T, kid, uid string) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, jwt.MapClaims{"token_type": "access", "exp": testNow + 300, "jti": "j", "user_id": uid})
	tok.Header["kid"] = kid
	out, err := tok.SignedString(setups[3].signingKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOnlineCheckAsksOnce: concurrent requests with one token whose answer
// is not cached wait for a single question to jwtd.
func TestOnlineCheckAsksOnce(t *testing.T) {
	s := setups[0]
	is := newIssuer(t, s.issuerSettings(t))
	var calls atomic.Int64
	release := make(chan struct{})
	jwtd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		<-release
		w.Write([]byte(`{}`))
	}))
	t.Cleanup(jwtd.Close)
	v, err := resource.New(resource.WithKey(s.alg, s.verifyingKey(t)), resource.WithClock(fixedClock),
		resource.WithOnlineCheck(jwtd.URL, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	tok := "Bearer " + is.access(t)
	const n = 20
	codes := make(chan int, n)
	for range n {
		go func() { codes <- get(h, tok).Code }()
	}
	time.Sleep(100 * time.Millisecond) // let them all queue behind the first
	close(release)
	for range n {
		if c := <-codes; c != http.StatusNoContent {
			t.Fatalf("status %d", c)
		}
	}
	if got := calls.Load(); got != 1 {
		t.Fatalf("%d questions to jwtd for %d concurrent requests with one token, want 1", got, n)
	}
}

// TestWithJWTDSettings: a resource server configured with jwtd's own
// settings (here custom header name and type, claim names, sliding tokens,
// audience and issuer) applies all of them: the token arrives in
// X-Access-Token with the JWT scheme, the user id comes from the custom
// claim, and the 401 realm names the first header type.
func TestWithJWTDSettings(t *testing.T) {
	s := setups[0].issuerSettings(t)
	s.AuthHeaderTypes = []string{"JWT", "Token"}
	s.AuthHeaderName = "X-Access-Token"
	s.UserIDClaim = "uid"
	s.TokenTypeClaim = "kind"
	s.AuthTokenClasses = []string{core.TypeSliding}
	s.Audience = []string{"inventory"}
	s.Issuer = "https://auth.example.com"
	is := newIssuer(t, s)
	sl, err := is.svc.IssueSlidingFor(context.Background(), is.alice)
	if err != nil {
		t.Fatal(err)
	}
	v, err := resource.New(resource.WithSettings(s), resource.WithClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	h, saw := protect(v)
	send := func(name, value string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set(name, value)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	if w := send("X-Access-Token", "Token "+sl.Token); w.Code != http.StatusNoContent || saw.user.ID != is.alice.ID || saw.user.TokenType != core.TypeSliding {
		t.Fatalf("sliding token in X-Access-Token: %d %s %+v", w.Code, w.Body, saw.user)
	}
	w := send("Authorization", "JWT "+sl.Token)
	if w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") != `JWT realm="api"` ||
		w.Body.String() != `{"detail":"Authentication credentials were not provided."}` {
		t.Fatalf("token in Authorization: %d %s %v", w.Code, w.Body, w.Header())
	}
	if w := send("X-Access-Token", "Bearer "+sl.Token); w.Code != http.StatusUnauthorized {
		t.Fatalf("unknown scheme: %d", w.Code)
	}
	// The same token checked with another audience fails on aud.
	other, err := resource.New(resource.WithSettings(s), resource.WithAudience("billing"), resource.WithClock(fixedClock))
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-Access-Token", "JWT "+sl.Token)
	if _, err := other.Authenticate(r); !errors.Is(err, core.ErrNoValidTokenType) {
		t.Fatalf("wrong audience: %v", err)
	}
}
