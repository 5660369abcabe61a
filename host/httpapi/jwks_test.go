package httpapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/jwtdtest"
)

// ringConfig is a jwtd.toml with a key ring: an RS256 signing key, an
// ES256 verify-only key retiring at retire, a retired RSA key and an HMAC
// verify-only key, key material passed through the environment.
func ringConfig(t *testing.T, issuer string, retire time.Time) string {
	t.Helper()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	oldRSA, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := func(k any) string {
		return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: must(x509.MarshalPKIXPublicKey(k))}))
	}
	t.Setenv("JWTD_TEST_RING_RSA", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: must(x509.MarshalPKCS8PrivateKey(rsaKey))})))
	t.Setenv("JWTD_TEST_RING_RSA_PUB", pubPEM(&rsaKey.PublicKey))
	t.Setenv("JWTD_TEST_RING_OLD_RSA_PUB", pubPEM(&oldRSA.PublicKey))
	t.Setenv("JWTD_TEST_RING_EC_PUB", pubPEM(&ecKey.PublicKey))
	iss := ""
	if issuer != "" {
		iss = fmt.Sprintf("issuer = %q\n", issuer)
	}
	return "[server]\n[tokens]\n" + iss + `
[[tokens.keys]]
kid = "rsa-now"
algorithm = "RS256"
state = "signing"
signing_key = "env:JWTD_TEST_RING_RSA"
verifying_key = "env:JWTD_TEST_RING_RSA_PUB"

[[tokens.keys]]
kid = "ec-old"
algorithm = "ES256"
state = "verify"
verifying_key = "env:JWTD_TEST_RING_EC_PUB"
retire_after = ` + retire.UTC().Format(time.RFC3339) + `

[[tokens.keys]]
kid = "rsa-gone"
algorithm = "RS256"
state = "retired"
verifying_key = "env:JWTD_TEST_RING_OLD_RSA_PUB"

[[tokens.keys]]
kid = "hs-shared"
algorithm = "HS256"
state = "verify"
signing_key = "` + testSecret + `"
` + jwtdtest.SQLiteUserStore("jwtd.db")
}

// TestJWKSPublishesTheRing: the JWK Set holds the signing key and the
// verify-only asymmetric key, never the retired or the HMAC key, with a
// Cache-Control that does not outlive the next retirement; issued tokens
// name the signing key's kid and authenticate.
func TestJWKSPublishesTheRing(t *testing.T) {
	e := newEnvWith(t, ringConfig(t, "", time.Now().Add(2*time.Minute)), nil)
	resp, body := e.do(request{method: "GET", path: "/.well-known/jwks.json"})
	if resp.StatusCode != 200 {
		t.Fatalf("JWKS: %d %s", resp.StatusCode, body)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		t.Fatal(err)
	}
	var kids []string
	for _, k := range set.Keys {
		kids = append(kids, fmt.Sprint(k["kid"], "/", k["alg"], "/", k["use"]))
	}
	if strings.Join(kids, ",") != "rsa-now/RS256/sig,ec-old/ES256/sig" {
		t.Fatalf("published %v", kids)
	}
	if strings.Contains(string(body), `"d"`) || strings.Contains(string(body), "hs-shared") || strings.Contains(string(body), `"oct"`) {
		t.Fatalf("JWKS leaks private or symmetric keys: %s", body)
	}
	cc := resp.Header.Get("Cache-Control")
	age, err := strconv.Atoi(strings.TrimPrefix(cc, "public, max-age="))
	if err != nil || age <= 0 || age > 120 {
		t.Fatalf("Cache-Control %q, want public with a max-age within the 2 minutes before ec-old retires", cc)
	}
	access := e.pair("alice").Access
	hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(access, ".")[0])
	if !strings.Contains(string(hdr), `"kid":"rsa-now"`) {
		t.Fatalf("issued header %s", hdr)
	}
	e.mustOK(bearer(authPath, "Bearer "+access))
	// No issuer, no discovery document.
	if resp, body := e.do(request{method: "GET", path: "/.well-known/openid-configuration"}); resp.StatusCode != 404 {
		t.Fatalf("discovery without issuer: %d %s", resp.StatusCode, body)
	}
}

// TestOpenIDConfiguration: with an issuer URL, the discovery document names
// the issuer, the JWK Set's URL below it and the published algorithms.
func TestOpenIDConfiguration(t *testing.T) {
	e := newEnvWith(t, ringConfig(t, "https://auth.example.com/", time.Now().Add(time.Hour)), nil)
	resp, body := e.do(request{method: "GET", path: "/.well-known/openid-configuration/"})
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Cache-Control"), "public, max-age=") {
		t.Fatalf("discovery: %d %s %q", resp.StatusCode, body, resp.Header.Get("Cache-Control"))
	}
	want := `{"issuer":"https://auth.example.com/","jwks_uri":"https://auth.example.com/.well-known/jwks.json","id_token_signing_alg_values_supported":["RS256","ES256"]}`
	if string(body) != want {
		t.Fatalf("discovery document\n got %s\nwant %s", body, want)
	}
	// HMAC only: nothing is published, so no document either.
	h := newEnvWith(t, configText(`issuer = "https://auth.example.com"`, ""), nil)
	if resp, body := h.do(request{method: "GET", path: "/.well-known/openid-configuration"}); resp.StatusCode != 404 {
		t.Fatalf("HMAC discovery: %d %s", resp.StatusCode, body)
	}
}
