package core_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/core/jwkshttp"
)

// jwksServer serves a JWK Set document that tests can swap or break, and
// counts requests.
type jwksServer struct {
	*httptest.Server
	mu    sync.Mutex
	doc   []byte
	fail  bool
	calls atomic.Int32
	// slow makes every answer take 300 ms (or until the client hangs up).
	slow atomic.Bool
}

func newJWKSServer(t *testing.T, doc []byte) *jwksServer {
	s := &jwksServer{doc: doc}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		if s.slow.Load() {
			select {
			case <-time.After(300 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.fail {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(s.doc)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(doc []byte, fail bool) {
	s.mu.Lock()
	s.doc, s.fail = doc, fail
	s.mu.Unlock()
}

func rsaToken(t *testing.T, key *rsa.PrivateKey, kid string, exp int64) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"token_type": "access", "exp": exp, "jti": "j", "user_id": "1"})
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func jwksVerifier(t *testing.T, url string, clk *clock) *core.Service {
	t.Helper()
	s := keySettings(t, "RS256", "rsa2048")
	s.VerifyingKey = ""
	s.JWKURL = url
	s.UnsafeJWKURLAllowHTTP = true // httptest serves loopback http
	e := newEnv(t, hsSettings(t), envOpt{})
	svc, err := core.New(s, core.Plugins{Users: e.users},
		core.WithClock(clk.Now),
		core.WithJWKSFetcher(jwkshttp.Fetcher(url, nil, jwkshttp.UnsafeAllowHTTP())),
		core.WithJWKSCache(time.Minute, 10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestJWKURL(t *testing.T) {
	ctx := context.Background()
	issuer := newEnv(t, keySettings(t, "RS256", "rsa2048"), envOpt{})
	doc := issuer.svc.JWKS()
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("JWKS %s: %v", doc, err)
	}
	kid := set.Keys[0]["kid"].(string)
	if set.Keys[0]["kty"] != "RSA" || set.Keys[0]["alg"] != "RS256" || set.Keys[0]["use"] != "sig" {
		t.Fatalf("JWK %v", set.Keys[0])
	}
	pair, _ := issuer.svc.IssueFor(ctx, issuer.alice)
	if headerOf(t, pair.Access)["kid"] != kid {
		t.Fatal("issued token does not name the JWKS kid")
	}

	srv := newJWKSServer(t, doc)
	clk := newClock(testNow)
	v := jwksVerifier(t, srv.URL, clk)

	step := func(name string, token string, want error, wantCalls int32) {
		t.Helper()
		err := v.Verify(ctx, token)
		if want == nil && err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want != nil {
			if detail(err) != "Token is invalid" {
				t.Fatalf("%s: %v, want Token is invalid", name, err)
			}
		}
		if got := srv.calls.Load(); got != wantCalls {
			t.Fatalf("%s: %d fetches, want %d", name, got, wantCalls)
		}
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	unknown := rsaToken(t, other, "unknown-kid", testNow+3600)

	step("first verify fetches", pair.Access, nil, 1)
	step("cached", pair.Access, nil, 1)
	step("unknown kid right after a fetch is rate-limited", unknown, core.ErrTokenInvalid, 1)
	clk.Advance(11 * time.Second)
	step("unknown kid refetches after the period", unknown, core.ErrTokenInvalid, 2)
	step("unknown kid again is rate-limited", unknown, core.ErrTokenInvalid, 2)
	clk.Advance(11 * time.Second)
	step("unknown kid after the period again", unknown, core.ErrTokenInvalid, 3)

	srv.set(nil, true)
	clk.Advance(2 * time.Minute)
	step("stale key served while down", pair.Access, nil, 4)
	step("still stale, rate-limited", pair.Access, nil, 4)
	srv.set([]byte("not json"), false)
	clk.Advance(11 * time.Second)
	step("garbage document keeps old keys", pair.Access, nil, 5)

	// Rotation: the new key appears in the set under a new kid.
	otherDoc := rotatedDoc(t, doc, other, "new-kid")
	srv.set(otherDoc, false)
	clk.Advance(11 * time.Second)
	rotated := rsaToken(t, other, "new-kid", testNow+3600)
	step("rotated key found by refetch", rotated, nil, 6)
	step("old key still in set", pair.Access, nil, 6)

	wrongKey := rsaToken(t, other, kid, testNow+3600)
	step("right kid, wrong key", wrongKey, core.ErrTokenInvalid, 6)
	step("no kid", rsaToken(t, other, "", testNow+3600), core.ErrTokenInvalid, 6)
	clk.Advance(2 * time.Hour)
	expired := rsaToken(t, other, "new-kid", testNow)
	if err := v.Verify(ctx, expired); detail(err) != "Token is expired" {
		t.Fatalf("expired via JWKS: %v", err)
	}

	t.Run("down from the start", func(t *testing.T) {
		down := newJWKSServer(t, nil)
		down.set(nil, true)
		v := jwksVerifier(t, down.URL, newClock(testNow))
		if err := v.Verify(ctx, pair.Access); detail(err) != "Token is invalid" {
			t.Fatalf("%v", err)
		}
	})
	t.Run("unreachable URL", func(t *testing.T) {
		v := jwksVerifier(t, "http://127.0.0.1:1/jwks.json", newClock(testNow))
		if err := v.Verify(ctx, pair.Access); detail(err) != "Token is invalid" {
			t.Fatalf("%v", err)
		}
	})
	t.Run("symmetric JWKS is nil", func(t *testing.T) {
		if newEnv(t, hsSettings(t), envOpt{}).svc.JWKS() != nil {
			t.Fatal("HMAC key published")
		}
	})
}

// rotatedDoc adds key under kid to a JWK Set document.
func rotatedDoc(t *testing.T, doc []byte, key *rsa.PrivateKey, kid string) []byte {
	t.Helper()
	var set map[string][]map[string]any
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatal(err)
	}
	set["keys"] = append(set["keys"], map[string]any{
		"kty": "RSA", "kid": kid, "use": "sig",
		"n": b64u(key.N.Bytes()), "e": "AQAB",
	})
	out, _ := json.Marshal(set)
	return out
}

func b64u(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// TestJWKSUnknownKidDoesNotQueue: while a fetch of the JWK URL hangs, a
// token with an unknown kid is refused at once instead of waiting behind
// it, so random kids cannot pile requests up on a slow URL.
func TestJWKSUnknownKidDoesNotQueue(t *testing.T) {
	ctx := context.Background()
	issuer := newEnv(t, keySettings(t, "RS256", "rsa2048"), envOpt{})
	doc := issuer.svc.JWKS()
	pair, _ := issuer.svc.IssueFor(ctx, issuer.alice)

	entered, release := make(chan struct{}, 1), make(chan struct{})
	var calls atomic.Int32
	fetch := func(ctx context.Context) ([]byte, error) {
		if calls.Add(1) > 1 {
			entered <- struct{}{}
			<-release
		}
		return doc, nil
	}
	s := keySettings(t, "RS256", "rsa2048")
	s.VerifyingKey, s.JWKURL = "", "https://jwks.invalid/keys"
	clk := newClock(testNow)
	v, err := core.New(s, core.Plugins{Users: issuer.users},
		core.WithClock(clk.Now), core.WithJWKSFetcher(fetch), core.WithJWKSCache(time.Minute, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(ctx, pair.Access); err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Second) // past the refetch interval
	hung := make(chan error, 1)
	go func() { hung <- v.Verify(ctx, rsaToken(t, other, "kid-a", testNow+3600)) }()
	<-entered // that request now holds the fetch

	done := make(chan error, 1)
	go func() { done <- v.Verify(ctx, rsaToken(t, other, "kid-b", testNow+3600)) }()
	select {
	case err := <-done:
		if detail(err) != "Token is invalid" {
			t.Fatalf("unknown kid during a fetch: %v, want Token is invalid", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("an unknown kid waited behind the hanging fetch")
	}
	if err := v.Verify(ctx, pair.Access); err != nil {
		t.Fatalf("known kid during a fetch: %v", err)
	}
	close(release)
	if err := <-hung; detail(err) != "Token is invalid" {
		t.Fatalf("the fetching request: %v", err)
	}
}

// jwksRotation is an issuer's key A (in the served set) and a key B that
// replaces it: tokens of each, and the document holding only B.
type jwksRotation struct {
	docA, docB     []byte
	tokenA, tokenB string
}

func newJWKSRotation(t *testing.T) jwksRotation {
	t.Helper()
	issuer := newEnv(t, keySettings(t, "RS256", "rsa2048"), envOpt{})
	docA := issuer.svc.JWKS()
	pair, err := issuer.svc.IssueFor(context.Background(), issuer.alice)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return jwksRotation{
		docA:   docA,
		docB:   rotatedDoc(t, []byte(`{"keys":[]}`), other, "kid-b"),
		tokenA: pair.Refresh, // valid for a day: the stale limit is an hour
		tokenB: rsaToken(t, other, "kid-b", testNow+3600),
	}
}

// TestJWKSHungUpRequestsCannotFreezeCache: the key set changes (key A
// removed as compromised, key B added) while the JWK URL answers slowly,
// and every request that triggers a refetch hangs up before it answers.
// The fetch must still complete on its own and count: B becomes trusted
// and A refused, without waiting for another refetch period. (When a
// hung-up request cancelled the fetch and the failure consumed the period,
// A stayed trusted and B refused for as long as this went on.)
func TestJWKSHungUpRequestsCannotFreezeCache(t *testing.T) {
	ctx := context.Background()
	r := newJWKSRotation(t)
	srv := newJWKSServer(t, r.docA)
	clk := newClock(testNow)
	v := jwksVerifier(t, srv.URL, clk)
	if err := v.Verify(ctx, r.tokenA); err != nil {
		t.Fatalf("key A before the rotation: %v", err)
	}

	srv.set(r.docB, false)
	srv.slow.Store(true)
	clk.Advance(2 * time.Minute) // past the TTL: the next request refetches
	for range 3 {
		hungUp, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		_ = v.Verify(hungUp, r.tokenA)
		cancel()
	}
	// The clock stays put: no new refetch period starts. Only the fetch the
	// hung-up requests triggered can bring key B in.
	deadline := time.Now().Add(5 * time.Second)
	for {
		errB, errA := v.Verify(ctx, r.tokenB), v.Verify(ctx, r.tokenA)
		if errB == nil && detail(errA) == "Token is invalid" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cache frozen: key B: %v; removed key A: %v (want B trusted, A refused)", errB, errA)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestJWKSFailureDoesNotConsumePeriod: a failed fetch is retried after a
// short backoff, not a whole refetch period, so a key set that changed
// while the URL was down is picked up as soon as it answers again.
func TestJWKSFailureDoesNotConsumePeriod(t *testing.T) {
	ctx := context.Background()
	r := newJWKSRotation(t)
	srv := newJWKSServer(t, r.docA)
	clk := newClock(testNow)
	v := jwksVerifier(t, srv.URL, clk) // refetch period 10 s
	if err := v.Verify(ctx, r.tokenA); err != nil {
		t.Fatal(err)
	}
	srv.set(nil, true)
	clk.Advance(2 * time.Minute)
	if err := v.Verify(ctx, r.tokenA); err != nil {
		t.Fatalf("stale key while the URL is down: %v", err)
	}
	srv.set(r.docB, false)
	clk.Advance(1500 * time.Millisecond) // past the backoff, within the period
	if err := v.Verify(ctx, r.tokenB); err != nil {
		t.Fatalf("new key right after the URL recovered: %v (a failure consumed the refetch period)", err)
	}
	if err := v.Verify(ctx, r.tokenA); detail(err) != "Token is invalid" {
		t.Fatalf("removed key after the refetch: %v, want Token is invalid", err)
	}
}

// TestJWKSStaleLimit: while the JWK URL is down, fetched keys are served
// until JWKMaxStale after their fetch (default one hour), then refused.
func TestJWKSStaleLimit(t *testing.T) {
	ctx := context.Background()
	r := newJWKSRotation(t)
	cases := []struct {
		name     string
		maxStale time.Duration
		limit    time.Duration
	}{
		{"default", 0, core.DefaultJWKSMaxStale},
		{"configured", 20 * time.Minute, 20 * time.Minute},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := newJWKSServer(t, r.docA)
			clk := newClock(testNow)
			s := keySettings(t, "RS256", "rsa2048")
			s.VerifyingKey, s.JWKURL, s.UnsafeJWKURLAllowHTTP, s.JWKMaxStale = "", srv.URL, true, c.maxStale
			v, err := core.New(s, core.Plugins{Users: newEnv(t, hsSettings(t), envOpt{}).users},
				core.WithClock(clk.Now),
				core.WithJWKSFetcher(jwkshttp.Fetcher(srv.URL, nil, jwkshttp.UnsafeAllowHTTP())),
				core.WithJWKSCache(time.Minute, 10*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Verify(ctx, r.tokenA); err != nil {
				t.Fatal(err)
			}
			srv.set(nil, true)
			clk.Advance(c.limit - time.Minute)
			if err := v.Verify(ctx, r.tokenA); err != nil {
				t.Fatalf("a minute before the stale limit: %v", err)
			}
			clk.Advance(2 * time.Minute)
			if err := v.Verify(ctx, r.tokenA); detail(err) != "Token is invalid" {
				t.Fatalf("past the stale limit: %v, want Token is invalid", err)
			}
			srv.set(r.docA, false)
			clk.Advance(11 * time.Second)
			if err := v.Verify(ctx, r.tokenA); err != nil {
				t.Fatalf("after the URL recovered: %v", err)
			}
		})
	}
}
