package djangotest_test

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/internal/djangotest"
)

// vectorKey reads one of the shared test vectors' keys (core's testdata).
func vectorKey(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "core", "testdata", "vectors", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func payloadOf(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
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

// TestDjangoInteropSessions: with sessions on, the tokens jwtd issues
// carry the session id and auth_time claims, and the real Simple JWT,
// sharing the test vectors' keys, still verifies and authenticates them
// (it ignores claims it does not know), rotated ones included; the parent
// jwtd rotated is refused at Django too (blacklisted in Simple JWT's own
// table).
func TestDjangoInteropSessions(t *testing.T) {
	for _, c := range []struct {
		algorithm, signing, verifying string
	}{
		{"HS256", "hmac.txt", ""},
		{"RS256", "rsa2048.pem", "rsa2048.pub.pem"},
		{"ES256", "ecp256.pem", "ecp256.pub.pem"},
	} {
		t.Run(c.algorithm, func(t *testing.T) {
			k := keys{algorithm: c.algorithm, signing: vectorKey(t, c.signing),
				tokens: "sessions = true\nsession_id_claim = \"sid\"\n"}
			if c.verifying != "" {
				k.verifying = vectorKey(t, c.verifying)
			}
			p := startPair(t, databaseNamed(t, "sqlite"), k)
			dj, jw := p.django.URL, p.jwtd.URL
			if r := djangotest.Post(t, dj+"/django/users/", map[string]string{"username": "sid", "password": "sid-pass-1"}); r.Status != 200 {
				t.Fatalf("Django create_user: %v", r)
			}
			pair := djangotest.Post(t, jw+obtain, map[string]string{"username": "sid", "password": "sid-pass-1"})
			if pair.Status != 200 {
				t.Fatalf("obtain at jwtd: %v", pair)
			}
			claims := payloadOf(t, pair.Str("refresh"))
			if claims["sid"] == nil || claims["auth_time"] == nil || payloadOf(t, pair.Str("access"))["sid"] != claims["sid"] {
				t.Fatalf("session claims missing: %v", claims)
			}
			next := djangotest.Post(t, jw+refresh, map[string]string{"refresh": pair.Str("refresh")})
			if next.Status != 200 || payloadOf(t, next.Str("refresh"))["sid"] != claims["sid"] {
				t.Fatalf("rotation at jwtd: %v", next)
			}
			for _, tok := range []string{pair.Str("access"), next.Str("access"), next.Str("refresh")} {
				if r := djangotest.Post(t, dj+verify, map[string]string{"token": tok}); r.Status != 200 {
					t.Fatalf("Simple JWT's verify of a session token: %v", r)
				}
			}
			if me := djangotest.Call(t, "GET", dj+"/api/me/", next.Str("access"), nil); me.Status != 200 || me.Str("username") != "sid" {
				t.Fatalf("Simple JWT's authentication of a session access token: %v", me)
			}
			// Simple JWT's verify answers a blacklisted token with a
			// validation error: 400 {"non_field_errors": ["Token is blacklisted"]}.
			if r := djangotest.Post(t, dj+verify, map[string]string{"token": pair.Str("refresh")}); r.Status != 400 || !strings.Contains(r.String(), "Token is blacklisted") {
				t.Fatalf("Simple JWT's verify of the parent jwtd rotated: %v; want 400 Token is blacklisted", r)
			}
		})
	}
}
