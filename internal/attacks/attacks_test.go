package attacks_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtd/jwtd/internal/attacks"
)

// service is one key set the suite is generated for.
type service struct {
	name   string
	opts   attacks.Options
	verify any // the verifying key
}

func services(t *testing.T) []service {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	secret := bytes.TrimSpace(read("hmac.txt"))
	rsaPriv, err := jwt.ParseRSAPrivateKeyFromPEM(read("rsa2048.pem"))
	if err != nil {
		t.Fatal(err)
	}
	ecPriv, err := jwt.ParseECPrivateKeyFromPEM(read("ecp256.pem"))
	if err != nil {
		t.Fatal(err)
	}
	edPriv, err := jwt.ParseEdPrivateKeyFromPEM(read("ed25519.pem"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	return []service{
		{"HS256", attacks.Options{Alg: "HS256", SigningKey: secret, Now: now}, secret},
		{"RS256", attacks.Options{Alg: "RS256", SigningKey: rsaPriv, PublicKeyPEM: read("rsa2048.pub.pem"), Now: now}, &rsaPriv.PublicKey},
		{"ES256 refresh", attacks.Options{Alg: "ES256", SigningKey: ecPriv, Now: now, TokenType: "refresh"}, &ecPriv.PublicKey},
		{"EdDSA", attacks.Options{Alg: "EdDSA", SigningKey: edPriv, Now: now}, edPriv.(ed25519.PrivateKey).Public()},
	}
}

// verifies reports whether tok's signature verifies under alg and key,
// taking the token apart by hand (no claim or header validation).
func verifies(tok, alg string, key any) bool {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	return jwt.GetSigningMethod(alg).Verify(parts[0]+"."+parts[1], sig, key) == nil
}

// header decodes tok's JOSE header, or nil.
func header(tok string) map[string]any {
	h, _, _ := strings.Cut(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

func TestValidIsAccepted(t *testing.T) {
	for _, s := range services(t) {
		t.Run(s.name, func(t *testing.T) {
			tok, err := attacks.Valid(s.opts)
			if err != nil {
				t.Fatal(err)
			}
			// A strict parser at the options' clock accepts the control token.
			p := jwt.NewParser(jwt.WithValidMethods([]string{s.opts.Alg}), jwt.WithExpirationRequired(),
				jwt.WithTimeFunc(func() time.Time { return s.opts.Now }))
			claims := jwt.MapClaims{}
			if _, err := p.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return s.verify, nil }); err != nil {
				t.Fatalf("control token refused: %v", err)
			}
			want := s.opts.TokenType
			if want == "" {
				want = "access"
			}
			if claims["token_type"] != want || claims["user_id"] != "1" {
				t.Errorf("control claims %v", claims)
			}
		})
	}
}

func TestTokens(t *testing.T) {
	for _, s := range services(t) {
		t.Run(s.name, func(t *testing.T) {
			cases, err := attacks.Tokens(s.opts)
			if err != nil {
				t.Fatal(err)
			}
			valid, _ := attacks.Valid(s.opts)
			seen := map[string]bool{}
			for _, c := range cases {
				if seen[c.Name] {
					t.Errorf("duplicate case name %q", c.Name)
				}
				seen[c.Name] = true
				if c.Ref == "" {
					t.Errorf("%s: no reference", c.Name)
				}
				if c.Token == valid {
					t.Errorf("%s: is the control token", c.Name)
				}
				// Signed means exactly: the signature verifies under the
				// service's key, so only validation of claims/headers can refuse it.
				if got := verifies(c.Token, s.opts.Alg, s.verify); got != c.Signed {
					t.Errorf("%s: signature verifies=%v, case says Signed=%v", c.Name, got, c.Signed)
				}
			}
			for _, want := range []string{
				"alg none, empty signature", "alg NONE, empty signature", "alg nOnE, empty signature",
				"signature stripped, trailing dot kept", "kid path traversal to /dev/null, empty HMAC key",
				"kid SQL injection returning a known key", "jku header pointing at the attacker's JWKS",
				"x5u header pointing at the attacker's certificate", "jwk header embedding the attacker's key",
				"exp as a string", "exp as 1e400", "user id as an object", "user id as a list",
				"user id as true", "user id as 2^80", "duplicate exp, last one expired", "padding on the signature",
				"standard base64 alphabet in the signature", "four segments", "five segments (JWE shape)",
				"1 MB payload", "64 KB header", "payload deeply nested", "user id with a NUL byte",
				"expired an hour ago", "nbf in the future",
			} {
				if !seen[want] {
					t.Errorf("missing case %q", want)
				}
			}
		})
	}
}

func TestNoneInEveryCasing(t *testing.T) {
	cases, err := attacks.Tokens(services(t)[0].opts)
	if err != nil {
		t.Fatal(err)
	}
	casings := map[string]bool{}
	for _, c := range cases {
		if alg, ok := header(c.Token)["alg"].(string); ok && strings.EqualFold(alg, "none") && strings.HasSuffix(c.Token, ".") {
			casings[alg] = true
		}
	}
	if len(casings) != 16 {
		t.Fatalf("alg none in %d casings with an empty signature, want all 16: %v", len(casings), casings)
	}
}

// TestConfusionIsReal: the HS/RS confusion tokens verify under HMAC keyed
// with the published public key, so a verifier that lets the header pick
// the algorithm would accept them.
func TestConfusionIsReal(t *testing.T) {
	s := services(t)[1]
	cases, err := attacks.Tokens(s.opts)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range cases {
		if strings.HasPrefix(c.Name, "HS256 keyed with the public key PEM") && !strings.Contains(c.Name, "without") {
			n++
			if !verifies(c.Token, "HS256", s.opts.PublicKeyPEM) {
				t.Errorf("%s does not verify as HS256 under the public key", c.Name)
			}
		}
	}
	if n != 1 {
		t.Fatalf("found %d HS256 confusion cases, want 1", n)
	}
}

func TestKeyHeaders(t *testing.T) {
	opts := services(t)[0].opts
	opts.CanaryURL = "http://127.0.0.1:4242/canary"
	cases, err := attacks.Tokens(opts)
	if err != nil {
		t.Fatal(err)
	}
	var jku, x5u, jwk bool
	for _, c := range cases {
		h := header(c.Token)
		jku = jku || h["jku"] == opts.CanaryURL
		x5u = x5u || h["x5u"] == opts.CanaryURL
		if k, ok := h["jwk"].(map[string]any); ok && k["kty"] == "EC" {
			jwk = true
		}
	}
	if !jku || !x5u || !jwk {
		t.Fatalf("jku=%v x5u=%v jwk=%v: a key header case is missing or lacks the canary URL", jku, x5u, jwk)
	}
}

func TestSizes(t *testing.T) {
	cases, err := attacks.Tokens(services(t)[0].opts)
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int{}
	for _, c := range cases {
		sizes[c.Name] = len(c.Token)
	}
	if sizes["1 MB payload"] < 1<<20 {
		t.Errorf("1 MB payload case is %d bytes", sizes["1 MB payload"])
	}
	if h, _, _ := strings.Cut(casesByName(cases)["64 KB header"], "."); len(h) < 64<<10 {
		t.Errorf("64 KB header case has a %d-byte header", len(h))
	}
}

func casesByName(cs []attacks.Case) map[string]string {
	m := map[string]string{}
	for _, c := range cs {
		m[c.Name] = c.Token
	}
	return m
}

func TestTokensRefusesBadOptions(t *testing.T) {
	for _, o := range []attacks.Options{
		{Alg: "none", SigningKey: []byte("x")},
		{Alg: "XX999", SigningKey: []byte("x")},
		{Alg: "RS256", SigningKey: []byte("not an RSA key")},
	} {
		if _, err := attacks.Tokens(o); err == nil {
			t.Errorf("Tokens(%s with %T) succeeded", o.Alg, o.SigningKey)
		}
	}
}

func TestBodies(t *testing.T) {
	fields := map[string]string{"username": "alice", "password": "pw"}
	cases := attacks.Bodies(fields)
	seen := map[string]attacks.BodyCase{}
	for _, c := range cases {
		if _, dup := seen[c.Name]; dup {
			t.Errorf("duplicate body case %q", c.Name)
		}
		seen[c.Name] = c
		if c.ContentType == "" {
			t.Errorf("%s: no content type", c.Name)
		}
	}
	tests := []struct {
		name  string
		check func(c attacks.BodyCase) bool
	}{
		{"10 MB body", func(c attacks.BodyCase) bool { return len(c.Body) >= 10<<20 && json.Valid(c.Body) }},
		{"password 1 MB long", func(c attacks.BodyCase) bool { return len(c.Body) >= 1<<20 && json.Valid(c.Body) }},
		{"deep JSON body", func(c attacks.BodyCase) bool { return bytes.HasPrefix(c.Body, bytes.Repeat([]byte("["), 10000)) }},
		{"username with a NUL byte", func(c attacks.BodyCase) bool { return bytes.Contains(c.Body, []byte(`\u0000`)) && json.Valid(c.Body) }},
		{"username as an object", func(c attacks.BodyCase) bool { return bytes.Contains(c.Body, []byte(`"username":{"$ne":null}`)) }},
		{"password missing", func(c attacks.BodyCase) bool { return string(c.Body) == `{"username":"alice"}` }},
		{"password duplicated, last one wrong", func(c attacks.BodyCase) bool {
			var m map[string]string // encoding/json keeps the last value
			return json.Unmarshal(c.Body, &m) == nil && m["password"] == "pw-wrong" && bytes.Contains(c.Body, []byte(`"password":"pw"`))
		}},
		{"truncated JSON", func(c attacks.BodyCase) bool { return !json.Valid(c.Body) }},
		{"text/plain media type", func(c attacks.BodyCase) bool { return c.ContentType == "text/plain" }},
	}
	for _, tt := range tests {
		c, ok := seen[tt.name]
		if !ok {
			t.Errorf("missing body case %q", tt.name)
			continue
		}
		if !tt.check(c) {
			t.Errorf("%s: body does not hold what its name says (%d bytes: %.80q)", tt.name, len(c.Body), c.Body)
		}
	}
}

func TestAuthHeaders(t *testing.T) {
	tok, err := attacks.Valid(services(t)[0].opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range attacks.AuthHeaders(tok) {
		if c.Value == "Bearer "+tok {
			t.Errorf("%s: is a valid header", c.Name)
		}
		raw := strings.ContainsAny(c.Value, "\x00\v\r\n")
		if raw != c.Raw {
			t.Errorf("%s: Raw=%v but value has control bytes=%v", c.Name, c.Raw, raw)
		}
		if c.Name == "64 KB token" && len(c.Value) < 64<<10 {
			t.Errorf("64 KB token header is %d bytes", len(c.Value))
		}
	}
}

// Example shows the loop an HTTP or core test runs.
func Example() {
	key := []byte("a-32-byte-or-longer-hmac-secret!!")
	cases, err := attacks.Tokens(attacks.Options{Alg: "HS256", SigningKey: key})
	if err != nil {
		panic(err)
	}
	for _, c := range cases {
		if c.MustReject(attacks.Verify) {
			_ = c.Token // POST {"token": c.Token} to /api/token/verify/ and expect 401
		}
	}
	// Output:
}

func TestMustReject(t *testing.T) {
	cases, err := attacks.Tokens(services(t)[0].opts)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]attacks.Case{}
	for _, c := range cases {
		if c.Layer == "" {
			t.Errorf("%s: no layer", c.Name)
		}
		byName[c.Name] = c
	}
	all := []attacks.Endpoint{attacks.Verify, attacks.Refresh, attacks.Blacklist, attacks.SlidingRefresh, attacks.Authenticate, attacks.Stateless}
	tests := []struct {
		name   string
		accept []attacks.Endpoint // endpoints where Simple JWT answers 200
	}{
		{"alg none, empty signature", nil},
		{"exp as 1e400", nil},
		{"64 KB header", nil},
		{"wrong token type refresh", []attacks.Endpoint{attacks.Verify}},
		{"duplicate token type, last one wrong", []attacks.Endpoint{attacks.Verify}},
		{"user id as an object", []attacks.Endpoint{attacks.Verify, attacks.Blacklist}},
		{"user id SQL text", []attacks.Endpoint{attacks.Verify, attacks.Blacklist, attacks.Stateless}},
		{"jti as an object", []attacks.Endpoint{attacks.Verify, attacks.Authenticate, attacks.Stateless}},
	}
	for _, tt := range tests {
		c, ok := byName[tt.name]
		if !ok {
			t.Errorf("missing case %q", tt.name)
			continue
		}
		for _, e := range all {
			want := !slices.Contains(tt.accept, e)
			if got := c.MustReject(e); got != want {
				t.Errorf("%s on %s: MustReject = %v, want %v", tt.name, e, got, want)
			}
		}
	}
}
