package resource_test

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/resource"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
)

// testNow is the core vectors' clock (2026-11-24T00:00:00Z).
const testNow = 1795478400

func fixedClock() time.Time { return time.Unix(testNow, 0) }

// readKey reads one of the core's shared vector keys.
func readKey(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "core", "testdata", "vectors", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// setup is one key family the suites run against, with the vectors' keys.
type setup struct{ alg, key string }

var setups = []setup{{"HS256", "hmac"}, {"RS256", "rsa2048"}, {"ES256", "ecp256"}, {"EdDSA", "ed25519"}}

// issuerSettings are the settings of the jwtd whose tokens a resource
// server verifies.
func (s setup) issuerSettings(t testing.TB) core.Settings {
	st := core.DefaultSettings()
	st.Algorithm = s.alg
	if s.key == "hmac" {
		st.SigningKey = string(readKey(t, "hmac.txt"))
		return st
	}
	st.SigningKey = string(readKey(t, s.key+".pem"))
	st.VerifyingKey = string(readKey(t, s.key+".pub.pem"))
	return st
}

// verifyingKey is what a resource server is configured with: the shared
// secret or the public key, never the private one.
func (s setup) verifyingKey(t testing.TB) []byte {
	if s.key == "hmac" {
		return readKey(t, "hmac.txt")
	}
	return readKey(t, s.key+".pub.pem")
}

// signingKey is the private key as golang-jwt takes it.
func (s setup) signingKey(t testing.TB) any {
	t.Helper()
	if s.key == "hmac" {
		return readKey(t, "hmac.txt")
	}
	pemText := readKey(t, s.key+".pem")
	var (
		k   any
		err error
	)
	switch {
	case strings.HasPrefix(s.alg, "RS"):
		k, err = jwt.ParseRSAPrivateKeyFromPEM(pemText)
	case strings.HasPrefix(s.alg, "ES"):
		k, err = jwt.ParseECPrivateKeyFromPEM(pemText)
	default:
		var pk any
		pk, err = jwt.ParseEdPrivateKeyFromPEM(pemText)
		k, _ = pk.(ed25519.PrivateKey)
	}
	if err != nil || k == nil {
		t.Fatalf("%s key: %v", s.alg, err)
	}
	return k
}

// issuer is a token core with one active user, alice, as jwtd runs it.
type issuer struct {
	svc   *core.Service
	users *memory.UserStore
	alice sdk.User
}

func newIssuer(t testing.TB, s core.Settings) *issuer {
	t.Helper()
	is := &issuer{users: memory.NewUserStore()}
	var err error
	if is.alice, err = is.users.CreateUser(context.Background(), sdk.NewUser{Username: "alice", Password: "pw", IsActive: true}); err != nil {
		t.Fatal(err)
	}
	if is.svc, err = core.New(s, core.Plugins{Users: is.users, Blacklist: memory.NewBlacklistStore()}, core.WithClock(fixedClock)); err != nil {
		t.Fatal(err)
	}
	return is
}

func (is *issuer) access(t testing.TB) string {
	t.Helper()
	p, err := is.svc.IssueFor(context.Background(), is.alice)
	if err != nil {
		t.Fatal(err)
	}
	return p.Access
}

// seen records what the protected handler saw.
type seen struct{ user *resource.User }

// protect serves v's middleware around a handler that records the user.
func protect(v *resource.Verifier) (http.Handler, *seen) {
	s := &seen{}
	return v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := resource.UserFrom(r.Context())
		if !ok {
			http.Error(w, "no user in context", http.StatusInternalServerError)
			return
		}
		s.user = u
		w.WriteHeader(http.StatusNoContent)
	})), s
}

// get sends GET / with the Authorization header (none when empty).
func get(h http.Handler, authorization string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
