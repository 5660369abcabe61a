package attacks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Options describe the service under attack. Alg and SigningKey are
// required; the rest default to Simple JWT's settings.
type Options struct {
	// Alg is the service's ALGORITHM ("HS256", "RS256", "ES256", "EdDSA", ...).
	Alg string
	// SigningKey is the service's signing key as golang-jwt takes it: []byte
	// for HS*, *rsa.PrivateKey for RS*/PS*, *ecdsa.PrivateKey for ES*,
	// ed25519.PrivateKey for EdDSA.
	SigningKey any
	// PublicKeyPEM is the verifying key as the service publishes it
	// (asymmetric algorithms). It feeds the HS/RS confusion cases: the
	// attacker signs with HMAC using the public key as the secret. Empty:
	// derived from SigningKey.
	PublicKeyPEM []byte
	// TokenType is the token type the endpoint under test accepts; the wrong
	// type cases use the others. Default "access".
	TokenType string
	// UserID is the id of an existing user, as a string. Default "1".
	UserID string
	// Now is the service's clock. Default time.Now().
	Now time.Time
	// Lifetime of the control token. Default 5 minutes.
	Lifetime time.Duration
	// CanaryURL is put in jku and x5u headers. Point it at a listener the
	// test watches: any request reaching it is an outbound fetch jwtd must
	// never make. Default "http://127.0.0.1:9/jwks.json" (the discard port).
	CanaryURL string
	// UserIDClaim, TokenTypeClaim and JTIClaim are the claim names. Defaults
	// "user_id", "token_type", "jti".
	UserIDClaim, TokenTypeClaim, JTIClaim string
	// ExtraClaims are added to the control claims (and so to every case
	// derived from them), e.g. the refresh_exp a sliding token needs.
	ExtraClaims map[string]any
}

func (o Options) withDefaults() Options {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.TokenType, "access")
	def(&o.UserID, "1")
	def(&o.CanaryURL, "http://127.0.0.1:9/jwks.json")
	def(&o.UserIDClaim, "user_id")
	def(&o.TokenTypeClaim, "token_type")
	def(&o.JTIClaim, "jti")
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Lifetime <= 0 {
		o.Lifetime = 5 * time.Minute
	}
	return o
}

// Case is one hostile token.
type Case struct {
	// Name says what the attack is; unique within a Tokens result.
	Name string
	// Ref is the rule it breaks (an RFC 8725 section, an RFC 7515/7519
	// section or the OWASP JWT cheat sheet).
	Ref string
	// Token is the token as a client would send it.
	Token string
	// Signed reports that the signature verifies under the service's key and
	// algorithm: only claim or header validation can refuse this case.
	Signed bool
	// Layer is the check that must refuse it; MustReject says on which
	// endpoints.
	Layer Layer
}

// Claims returns the control token's claims: a valid token of
// o.TokenType for o.UserID, as Simple JWT would issue it. Each call has a
// fresh random jti, so that one case being blacklisted (by rotation, say)
// cannot mask the next case as "Token is blacklisted".
func Claims(o Options) map[string]any {
	o = o.withDefaults()
	var jti [16]byte
	_, _ = rand.Read(jti[:])
	c := map[string]any{}
	for k, v := range o.ExtraClaims {
		c[k] = v
	}
	c[o.TokenTypeClaim] = o.TokenType
	c["exp"] = o.Now.Add(o.Lifetime).Unix()
	c["iat"] = o.Now.Unix()
	c[o.JTIClaim] = hex.EncodeToString(jti[:])
	c[o.UserIDClaim] = o.UserID
	return c
}

// Valid returns the control token: well-formed, signed with the service's
// key, unexpired, of the accepted type. It must be accepted.
func Valid(o Options) (string, error) {
	o = o.withDefaults()
	return Sign(o, map[string]any{"alg": o.Alg, "typ": "JWT"}, Claims(o))
}

// Sign encodes header and claims as JSON and signs them with the service's
// key under o.Alg, whatever header["alg"] says.
func Sign(o Options, header, claims map[string]any) (string, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	return SignRaw(o, h, c)
}

// SignRaw signs exactly the given header and payload JSON text (for cases
// that encoding/json cannot produce: duplicate keys, 1e400, NUL bytes) with
// the service's key under o.Alg.
func SignRaw(o Options, header, payload []byte) (string, error) {
	return signWith(o.Alg, o.SigningKey, header, payload)
}

func signWith(alg string, key any, header, payload []byte) (string, error) {
	m := jwt.GetSigningMethod(alg)
	if m == nil {
		return "", fmt.Errorf("attacks: unknown algorithm %q", alg)
	}
	input := b64(header) + "." + b64(payload)
	sig, err := m.Sign(input, key)
	if err != nil {
		return "", fmt.Errorf("attacks: signing with %s: %w", alg, err)
	}
	return input + "." + b64(sig), nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// attacker holds keys the attacker made, shared by every Tokens call (RSA
// generation is slow).
var attacker struct {
	once sync.Once
	ec   *ecdsa.PrivateKey
	ed   ed25519.PrivateKey
	cert []byte // self-signed certificate of ec, DER
	err  error
}

func attackerKeys() error {
	attacker.once.Do(func() {
		if attacker.ec, attacker.err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); attacker.err != nil {
			return
		}
		if _, attacker.ed, attacker.err = ed25519.GenerateKey(rand.Reader); attacker.err != nil {
			return
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1),
			Subject:      pkix.Name{CommonName: "attacker"},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(24 * time.Hour),
		}
		attacker.cert, attacker.err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, attacker.ec.Public(), attacker.ec)
	})
	return attacker.err
}

// publicPEM is the verifying key as PEM: o.PublicKeyPEM, or derived from the
// signing key.
func publicPEM(o Options) ([]byte, error) {
	if len(o.PublicKeyPEM) > 0 {
		return o.PublicKeyPEM, nil
	}
	s, ok := o.SigningKey.(crypto.Signer)
	if !ok {
		return nil, errors.New("attacks: no public key for the HS/RS confusion cases")
	}
	der, err := x509.MarshalPKIXPublicKey(s.Public())
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

func isHMAC(alg string) bool { return strings.HasPrefix(alg, "HS") }

// Tokens returns every hostile token for the service o describes. The
// result is the same set for every call (names are stable), though random
// parts differ.
func Tokens(o Options) ([]Case, error) {
	o = o.withDefaults()
	if jwt.GetSigningMethod(o.Alg) == nil || o.Alg == "none" {
		return nil, fmt.Errorf("attacks: unknown service algorithm %q", o.Alg)
	}
	if err := attackerKeys(); err != nil {
		return nil, err
	}
	valid, err := Valid(o)
	if err != nil {
		return nil, err
	}
	b := &builder{o: o, valid: valid}
	parts := strings.Split(valid, ".")
	b.header, b.payload, b.sig = parts[0], parts[1], parts[2]
	b.noneCases()
	b.confusionCases()
	b.keyHeaderCases()
	b.strippingCases()
	b.claimCases()
	b.duplicateCases()
	b.encodingCases()
	b.sizeCases()
	return b.cases, b.err
}

// builder accumulates cases; the first error sticks.
type builder struct {
	o                    Options
	layer                Layer // stamped on the cases added next
	valid                string
	header, payload, sig string
	cases                []Case
	err                  error
}

func (b *builder) add(name, ref, token string, signed bool) {
	layer := b.layer
	if layer == "" {
		layer = LayerToken
	}
	b.cases = append(b.cases, Case{Name: name, Ref: ref, Token: token, Signed: signed, Layer: layer})
}

// signed adds a case signed with the service's key from raw JSON.
func (b *builder) signed(name, ref string, header, payload []byte) {
	tok, err := SignRaw(b.o, header, payload)
	if err != nil {
		b.err = errors.Join(b.err, fmt.Errorf("%s: %w", name, err))
		return
	}
	b.add(name, ref, tok, true)
}

// withClaims adds a signed case whose claims are the control claims
// changed by edit (which may delete keys).
func (b *builder) withClaims(name, ref string, edit func(c map[string]any)) {
	c := Claims(b.o)
	edit(c)
	p, err := json.Marshal(c)
	if err != nil {
		b.err = errors.Join(b.err, fmt.Errorf("%s: %w", name, err))
		return
	}
	b.signed(name, ref, b.headerJSON(nil), p)
}

// withRawClaim adds a signed case whose payload is the control claims with
// claim set to the raw JSON text raw.
func (b *builder) withRawClaim(name, ref, claim, raw string) {
	c := Claims(b.o)
	delete(c, claim)
	p, _ := json.Marshal(c)
	p = append(p[:len(p)-1], []byte(fmt.Sprintf(",%q:%s}", claim, raw))...)
	b.signed(name, ref, b.headerJSON(nil), p)
}

// headerJSON is the service's header plus extra fields.
func (b *builder) headerJSON(extra map[string]any) []byte {
	h := map[string]any{"alg": b.o.Alg, "typ": "JWT"}
	for k, v := range extra {
		h[k] = v
	}
	out, _ := json.Marshal(h)
	return out
}

// forged adds a case signed by the attacker: with alg under key.
func (b *builder) forged(name, ref string, header map[string]any, alg string, key any) {
	h, _ := json.Marshal(header)
	tok, err := signWith(alg, key, h, b.payloadJSON())
	if err != nil {
		b.err = errors.Join(b.err, fmt.Errorf("%s: %w", name, err))
		return
	}
	b.add(name, ref, tok, false)
}

func (b *builder) payloadJSON() []byte {
	p, _ := base64.RawURLEncoding.DecodeString(b.payload)
	return p
}

// noneCases: alg "none" in all 16 casings, with an empty signature, plus
// variants keeping the real signature or dropping the last dot.
func (b *builder) noneCases() {
	const ref = "RFC 8725 §2.1, §3.1 (alg none)"
	for mask := range 16 {
		var alg []byte
		for i, ch := range []byte("none") {
			if mask&(1<<i) != 0 {
				ch -= 'a' - 'A'
			}
			alg = append(alg, ch)
		}
		h := b64([]byte(fmt.Sprintf(`{"alg":%q,"typ":"JWT"}`, alg)))
		b.add(fmt.Sprintf("alg %s, empty signature", alg), ref, h+"."+b.payload+".", false)
	}
	h := b64([]byte(`{"alg":"none","typ":"JWT"}`))
	b.add("alg none, real signature kept", ref, h+"."+b.payload+"."+b.sig, false)
	b.add("alg none, two segments", ref, h+"."+b.payload, false)
	b.add("alg none without typ", ref, b64([]byte(`{"alg":"none"}`))+"."+b.payload+".", false)
	b.add("alg missing", ref, b64([]byte(`{"typ":"JWT"}`))+"."+b.payload+".", false)
	b.add("alg empty", ref, b64([]byte(`{"alg":"","typ":"JWT"}`))+"."+b.payload+".", false)
	b.add("alg null", ref, b64([]byte(`{"alg":null,"typ":"JWT"}`))+"."+b.payload+".", false)
	b.add("alg as a list", ref, b64([]byte(`{"alg":["none","`+b.o.Alg+`"],"typ":"JWT"}`))+"."+b.payload+"."+b.sig, false)
}

// confusionCases: a token signed with another algorithm than the
// service's, most importantly HMAC keyed with the public key (RFC 8725
// §2.1, the HS/RS confusion).
func (b *builder) confusionCases() {
	const ref = "RFC 8725 §2.1, §3.1 (algorithm confusion)"
	if !isHMAC(b.o.Alg) {
		pub, err := publicPEM(b.o)
		if err != nil {
			b.err = errors.Join(b.err, err)
			return
		}
		trimmed := []byte(strings.TrimSpace(string(pub)))
		blk, _ := pem.Decode(pub)
		for _, alg := range []string{"HS256", "HS384", "HS512"} {
			hdr := map[string]any{"alg": alg, "typ": "JWT"}
			b.forged(alg+" keyed with the public key PEM", ref, hdr, alg, pub)
			b.forged(alg+" keyed with the public key PEM without trailing newline", ref, hdr, alg, trimmed)
			if blk != nil {
				b.forged(alg+" keyed with the public key DER", ref, hdr, alg, blk.Bytes)
			}
		}
	} else {
		// The service's own secret under a stronger or weaker HMAC: the
		// algorithm must be the configured one, not the header's choice.
		for _, alg := range []string{"HS256", "HS384", "HS512"} {
			if alg != b.o.Alg {
				b.forged(alg+" with the service's secret (not its algorithm)", ref, map[string]any{"alg": alg, "typ": "JWT"}, alg, b.o.SigningKey)
			}
		}
	}
	b.forged("ES256 with the attacker's key", ref, map[string]any{"alg": "ES256", "typ": "JWT"}, "ES256", attacker.ec)
	b.forged("EdDSA with the attacker's key", ref, map[string]any{"alg": "EdDSA", "typ": "JWT"}, "EdDSA", attacker.ed)
	b.forged("service alg, attacker's HMAC secret", ref, map[string]any{"alg": "HS256", "typ": "JWT"}, "HS256", []byte("secret"))
}

// keyHeaderCases: headers that tell a naive verifier where to find the key
// (kid, jku, x5u, jwk, x5c). jwtd must ignore them for key selection and
// never fetch a URL.
func (b *builder) keyHeaderCases() {
	const kidRef = "OWASP JWT cheat sheet (kid injection); RFC 8725 §3.10"
	kids := []struct{ name, kid, secret string }{
		{"kid path traversal to /dev/null, empty HMAC key", "../../../../../../../../dev/null", ""},
		{"kid path traversal to /etc/passwd", "../../../../../../../../etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"},
		{"kid absolute path", "/proc/self/environ", ""},
		{"kid SQL injection returning a known key", "x' UNION SELECT 'secret' --", "secret"},
		{"kid SQL tautology", "' OR '1'='1", "secret"},
		{"kid command injection", "key|/usr/bin/id", "secret"},
		{"kid NUL byte", "key\x00../../etc/passwd", "secret"},
	}
	for _, k := range kids {
		hdr := map[string]any{"alg": "HS256", "typ": "JWT", "kid": k.kid}
		// An empty HMAC key is refused by golang-jwt; sign by hand.
		b.hmacForged(k.name, kidRef, hdr, []byte(k.secret))
		hdr = map[string]any{"alg": b.o.Alg, "typ": "JWT", "kid": k.kid}
		b.add(k.name+", real signature of other header", kidRef, b64(mustJSON(hdr))+"."+b.payload+"."+b.sig, false)
	}
	const urlRef = "RFC 8725 §3.10; OWASP JWT cheat sheet (jku/x5u/jwk header injection)"
	jwk := map[string]any{
		"kty": "EC", "crv": "P-256",
		"x": b64(padTo32(attacker.ec.X.Bytes())), "y": b64(padTo32(attacker.ec.Y.Bytes())),
	}
	b.forged("jku header pointing at the attacker's JWKS", urlRef, map[string]any{"alg": "ES256", "typ": "JWT", "jku": b.o.CanaryURL, "kid": "attacker"}, "ES256", attacker.ec)
	b.forged("x5u header pointing at the attacker's certificate", urlRef, map[string]any{"alg": "ES256", "typ": "JWT", "x5u": b.o.CanaryURL}, "ES256", attacker.ec)
	b.forged("jwk header embedding the attacker's key", urlRef, map[string]any{"alg": "ES256", "typ": "JWT", "jwk": jwk}, "ES256", attacker.ec)
	b.forged("x5c header with the attacker's self-signed certificate", urlRef, map[string]any{"alg": "ES256", "typ": "JWT", "x5c": []string{base64.StdEncoding.EncodeToString(attacker.cert)}}, "ES256", attacker.ec)
	b.forged("jku header with the service alg and the attacker's HMAC secret", urlRef, map[string]any{"alg": "HS256", "typ": "JWT", "jku": b.o.CanaryURL}, "HS256", []byte("attacker-secret-attacker-secret!"))
	// A critical extension the service does not understand must be refused
	// even when the signature is right (RFC 7515 §4.1.11).
	b.signed("crit header naming an unknown extension", "RFC 7515 §4.1.11 (crit)", b.headerJSON(map[string]any{"crit": []string{"urn:attacker:ext"}, "urn:attacker:ext": true}), b.payloadJSON())
	b.signed("crit b64=false (unencoded payload)", "RFC 7797 §6, RFC 7515 §4.1.11", b.headerJSON(map[string]any{"crit": []string{"b64"}, "b64": false}), b.payloadJSON())
}

// hmacForged signs with HMAC by hand, so that an empty key works.
func (b *builder) hmacForged(name, ref string, header map[string]any, key []byte) {
	input := b64(mustJSON(header)) + "." + b.payload
	sum := hmacSHA256(key, []byte(input))
	b.add(name, ref, input+"."+b64(sum), false)
}

// strippingCases: the right header and claims with the signature removed,
// truncated, altered or taken from another token.
func (b *builder) strippingCases() {
	const ref = "RFC 8725 §3.1; OWASP (signature stripping)"
	body := b.header + "." + b.payload
	b.add("signature stripped, trailing dot kept", ref, body+".", false)
	b.add("signature stripped, two segments", ref, body, false)
	b.add("signature truncated by one character", ref, body+"."+b.sig[:len(b.sig)-1], false)
	b.add("signature with one bit flipped", ref, body+"."+flipBit(b.sig), false)
	b.add("signature doubled", ref, body+"."+b.sig+b.sig, false)
	// Another user's claims under the control token's signature.
	c := Claims(b.o)
	c[b.o.UserIDClaim] = b.o.UserID + "0"
	b.add("claims changed, signature kept", ref, b.header+"."+b64(mustJSON(c))+"."+b.sig, false)
	b.add("empty token", ref, "", false)
	b.add("only dots", ref, "..", false)
}

// claimCases: correctly signed tokens whose claims are wrong: expired, not
// yet valid, wrong type, or of the wrong JSON type.
func (b *builder) claimCases() {
	o := b.o
	now := o.Now
	const timeRef = "RFC 7519 §4.1.4-4.1.5 (exp, nbf)"
	b.withClaims("expired an hour ago", timeRef, func(c map[string]any) { c["exp"] = now.Add(-time.Hour).Unix() })
	b.withClaims("expired one second ago", timeRef, func(c map[string]any) { c["exp"] = now.Add(-time.Second).Unix() })
	b.withClaims("exp at the epoch", timeRef, func(c map[string]any) { c["exp"] = 0 })
	b.withClaims("exp negative", timeRef, func(c map[string]any) { c["exp"] = -1 })
	b.withClaims("nbf in the future", timeRef, func(c map[string]any) { c["nbf"] = now.Add(time.Hour).Unix() })
	b.withClaims("exp missing", timeRef, func(c map[string]any) { delete(c, "exp") })

	const typeRef = "RFC 8725 §3.11, §2.8 (token type confusion)"
	b.layer = LayerType
	for _, tt := range []string{"access", "refresh", "sliding", "id"} {
		if tt != o.TokenType {
			b.withClaims("wrong token type "+tt, typeRef, func(c map[string]any) { c[o.TokenTypeClaim] = tt })
		}
	}
	b.withClaims("token type missing", typeRef, func(c map[string]any) { delete(c, o.TokenTypeClaim) })
	b.withClaims("token type empty", typeRef, func(c map[string]any) { c[o.TokenTypeClaim] = "" })
	b.withClaims("token type in other case", typeRef, func(c map[string]any) { c[o.TokenTypeClaim] = strings.ToUpper(o.TokenType) })
	b.withRawClaim("token type as a list", typeRef, o.TokenTypeClaim, fmt.Sprintf("[%q]", o.TokenType))
	b.withRawClaim("token type as an object", typeRef, o.TokenTypeClaim, fmt.Sprintf(`{"type":%q}`, o.TokenType))

	const jsonRef = "RFC 7519 §2 (NumericDate), §4.1; OWASP (claim type confusion)"
	b.layer = LayerToken
	b.withRawClaim("exp as a string", jsonRef, "exp", fmt.Sprintf("%q", fmt.Sprint(now.Add(time.Hour).Unix())))
	b.withRawClaim("exp as 1e400", jsonRef, "exp", "1e400")
	b.withRawClaim("exp as -1e400", jsonRef, "exp", "-1e400")
	b.withRawClaim("exp as a bool", jsonRef, "exp", "true")
	b.withRawClaim("exp as null", jsonRef, "exp", "null")
	b.withRawClaim("exp as an object", jsonRef, "exp", `{"$gt":0}`)
	b.withRawClaim("exp as a list", jsonRef, "exp", fmt.Sprintf("[%d]", now.Add(time.Hour).Unix()))
	b.withRawClaim("exp as NaN text", jsonRef, "exp", `"NaN"`)
	b.withRawClaim("nbf as a string", jsonRef, "nbf", `"0"`)
	b.layer = LayerUserClaim
	b.withRawClaim("user id as an object", jsonRef, o.UserIDClaim, `{"$ne":null}`)
	b.withRawClaim("user id as a list", jsonRef, o.UserIDClaim, fmt.Sprintf("[%q]", o.UserID))
	b.withRawClaim("user id as true", jsonRef, o.UserIDClaim, "true")
	b.withRawClaim("user id as false", jsonRef, o.UserIDClaim, "false")
	b.withRawClaim("user id as 2^80", jsonRef, o.UserIDClaim, "1208925819614629174706176")
	b.withRawClaim("user id as 1e400", jsonRef, o.UserIDClaim, "1e400")
	b.withRawClaim("user id as a float", jsonRef, o.UserIDClaim, o.UserID+".5")
	b.withRawClaim("user id as null", jsonRef, o.UserIDClaim, "null")
	b.layer = LayerUserLookup
	b.withRawClaim("user id empty", jsonRef, o.UserIDClaim, `""`)
	b.withRawClaim("user id with a NUL byte", jsonRef, o.UserIDClaim, fmt.Sprintf(`"%s\u0000"`, o.UserID))
	b.withRawClaim("user id SQL text", jsonRef, o.UserIDClaim, `"1 OR 1=1"`)
	b.layer = LayerJTI
	b.withRawClaim("jti as an object", jsonRef, o.JTIClaim, `{"$ne":null}`)
	b.withRawClaim("jti as a number", jsonRef, o.JTIClaim, `1`)
	b.layer = LayerToken

	const shapeRef = "RFC 7519 §7.2 (the claims must be a JSON object)"
	for _, p := range []struct{ name, raw string }{
		{"payload a JSON list", `[]`},
		{"payload a JSON string", `"claims"`},
		{"payload JSON null", `null`},
		{"payload a number", `1`},
		{"payload empty", ``},
		{"payload not JSON", `{"user_id":`},
		{"payload with trailing garbage", string(mustJSON(Claims(o))) + `x`},
		{"payload two objects", string(mustJSON(Claims(o))) + `{}`},
		{"payload with a raw NUL byte", strings.Replace(string(mustJSON(Claims(o))), `"`+o.UserID+`"`, "\"\x00\"", 1)},
		{"payload invalid UTF-8", strings.Replace(string(mustJSON(Claims(o))), `"`+o.UserID+`"`, "\"\xff\xfe\"", 1)},
		{"payload deeply nested", deepClaims(o, 100_000)},
	} {
		b.signed(p.name, shapeRef, b.headerJSON(nil), []byte(p.raw))
	}
	b.signed("header a JSON list", shapeRef, []byte(`["`+o.Alg+`"]`), b.payloadJSON())
	b.signed("header not JSON", shapeRef, []byte(`{"alg":"`+o.Alg+`"`), b.payloadJSON())
}

// deepClaims is the control claims plus a claim nested depth levels deep.
func deepClaims(o Options, depth int) string {
	c := string(mustJSON(Claims(o)))
	return c[:len(c)-1] + `,"deep":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + "}"
}

// duplicateCases: JSON with a key twice, where the last value is hostile
// and the first harmless, so a verifier that keeps the first value (a
// parser differential) or one that keeps the last both refuse only if
// they also validate; rejecting duplicates outright is the safe choice
// (RFC 7515 §5.2, RFC 8725 §3.9 on parser differentials).
func (b *builder) duplicateCases() {
	o := b.o
	const ref = "RFC 7515 §5.2, RFC 7519 §4 (duplicate member names)"
	base := string(mustJSON(Claims(o)))
	dup := func(name, claim, raw string) {
		b.signed(name, ref, b.headerJSON(nil), []byte(base[:len(base)-1]+fmt.Sprintf(",%q:%s}", claim, raw)))
	}
	dup("duplicate exp, last one expired", "exp", fmt.Sprint(o.Now.Add(-time.Hour).Unix()))
	other := "refresh"
	if o.TokenType == "refresh" {
		other = "access"
	}
	b.layer = LayerType
	dup("duplicate token type, last one wrong", o.TokenTypeClaim, fmt.Sprintf("%q", other))
	b.layer = LayerUserClaim
	dup("duplicate user id, last one an object", o.UserIDClaim, `{"$ne":null}`)
	b.layer = LayerToken
	hdr := fmt.Sprintf(`{"alg":%q,"typ":"JWT","alg":"none"}`, o.Alg)
	b.add("duplicate alg in header, last one none", ref, b64([]byte(hdr))+"."+b.payload+".", false)
	hdr = fmt.Sprintf(`{"alg":"none","typ":"JWT","alg":%q}`, o.Alg)
	b.add("duplicate alg in header, first one none, no signature", ref, b64([]byte(hdr))+"."+b.payload+".", false)
}

// encodingCases: base64url deviations (padding, the standard alphabet,
// whitespace, percent-encoding) and the wrong number of segments.
func (b *builder) encodingCases() {
	const ref = "RFC 7515 §2 (base64url without padding), §7.1 (three segments)"
	pad := func(s string) string {
		if n := len(s) % 4; n != 0 {
			return s + strings.Repeat("=", 4-n)
		}
		return s + "===="
	}
	std := func(s string) string { return strings.NewReplacer("-", "+", "_", "/").Replace(s) }
	v := b.valid
	b.add("padding on the header", ref, pad(b.header)+"."+b.payload+"."+b.sig, false)
	b.add("padding on the payload", ref, b.header+"."+pad(b.payload)+"."+b.sig, false)
	b.add("padding on the signature", ref, b.header+"."+b.payload+"."+pad(b.sig), false)
	b.add("standard base64 alphabet in the signature", ref, b.header+"."+b.payload+"."+std(b.sig)+"+/", false)
	b.add("space inside the payload", ref, b.header+"."+b.payload[:4]+" "+b.payload[4:]+"."+b.sig, false)
	// Go's and Python's base64 decoders skip CR and LF, so this one still
	// verifies under a lenient decoder (Signed); a strict base64url reading
	// refuses it, as RFC 7515 requires.
	b.add("newline inside the signature", ref, b.header+"."+b.payload+"."+b.sig[:4]+"\n"+b.sig[4:], true)
	b.add("percent-encoded dot", ref, strings.Replace(v, ".", "%2E", 1), false)
	b.add("non-ASCII character", ref, v[:10]+"é"+v[10:], false)
	b.add("NUL byte between segments", ref, b.header+".\x00"+b.payload+"."+b.sig, false)
	b.add("NUL byte after the token", ref, v+"\x00", false)
	b.add("four segments", ref, v+".e30", false)
	b.add("four segments, empty fourth", ref, v+".", false)
	b.add("five segments (JWE shape)", ref, v+"."+b.sig+"."+b.sig, false)
	jwe := b64([]byte(`{"alg":"dir","enc":"A128GCM"}`))
	b.add("JWE with alg dir", ref, jwe+"..AAAAAAAAAAAAAAAA."+b.payload+".AAAAAAAAAAAAAAAAAAAAAA", false)
	b.add("one segment", ref, b.payload, false)
}

// sizeCases: oversized tokens that must be refused without parsing cost
// growing beyond reason.
func (b *builder) sizeCases() {
	const ref = "OWASP (denial of service by size)"
	big := b64(make([]byte, 3<<18)) // 1 MiB of base64url
	b.add("1 MB payload", ref, b.header+"."+big+"."+b.sig, false)
	huge := fmt.Sprintf(`{"alg":%q,"typ":"JWT","x":%q}`, b.o.Alg, strings.Repeat("A", 64<<10))
	b.add("64 KB header", ref, b64([]byte(huge))+"."+b.payload+"."+b.sig, false)
	b.add("1 MB signature", ref, b.header+"."+b.payload+"."+big, false)
	b.add("1 MB of dots", ref, strings.Repeat(".", 1<<20), false)
}

func mustJSON(v any) []byte {
	out, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("attacks: %v", err)) // only called with plain maps
	}
	return out
}

func padTo32(b []byte) []byte {
	if len(b) >= 32 {
		return b
	}
	return append(make([]byte, 32-len(b)), b...)
}

// flipBit flips the low bit of the first signature byte's encoding.
func flipBit(sig string) string {
	raw, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || len(raw) == 0 {
		return sig + "A"
	}
	raw[0] ^= 1
	return b64(raw)
}
