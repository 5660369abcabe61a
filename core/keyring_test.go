package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtd/jwtd/core"
)

// hmacSecret2 is a second HMAC secret of the ring tests.
const hmacSecret2 = "a-second-hmac-secret-of-more-than-32-bytes"

// ringKey is a ring Key made from a vector key file.
func ringKey(t testing.TB, kid, alg, key string, state core.KeyState) core.Key {
	t.Helper()
	k := core.Key{ID: kid, Algorithm: alg, State: state}
	if key == "hmac" {
		k.SigningKey = readKey(t, "hmac.txt")
		return k
	}
	if state == core.KeySigning {
		k.SigningKey = readKey(t, key+".pem")
	}
	k.VerifyingKey = readKey(t, key+".pub.pem")
	return k
}

// TestKeyRingRotation walks a rotation for each key family: tokens of the
// old signing key keep working once it is verify-only, new tokens name the
// new key, and after the old key's retire_after its tokens are refused,
// also when the kid is stripped or replaced.
func TestKeyRingRotation(t *testing.T) {
	ctx := context.Background()
	for _, ak := range []struct{ alg, key, newAlg, newKey string }{
		{"HS256", "hmac", "HS256", "hmac2"},
		{"RS256", "rsa2048", "ES256", "ecp256"},
		{"EdDSA", "ed25519", "RS256", "rsa2048"},
	} {
		t.Run(ak.alg+"→"+ak.newAlg, func(t *testing.T) {
			oldS := keySettings(t, ak.alg, ak.key)
			old := newEnv(t, oldS, envOpt{})
			oldPair, err := old.svc.IssueFor(ctx, old.alice)
			if err != nil {
				t.Fatal(err)
			}
			oldKid, _ := headerOf(t, oldPair.Access)["kid"].(string)
			if oldKid == "" {
				t.Fatalf("token of the one-key ring carries no kid: %v", headerOf(t, oldPair.Access))
			}

			retire := time.Unix(testNow, 0).Add(time.Hour)
			prev := core.Key{Algorithm: ak.alg, State: core.KeyVerify, SigningKey: oldS.SigningKey, RetireAfter: retire}
			if ak.key != "hmac" {
				prev.SigningKey, prev.VerifyingKey = "", oldS.VerifyingKey
			}
			next := core.Key{ID: "next", Algorithm: "HS256", State: core.KeySigning, SigningKey: hmacSecret2}
			if ak.newKey != "hmac2" {
				next = ringKey(t, "next", ak.newAlg, ak.newKey, core.KeySigning)
			}
			s := core.DefaultSettings()
			s.Keys = []core.Key{next, prev}
			e := newEnv(t, s, envOpt{})

			if _, _, err := e.svc.Authenticate(ctx, "Bearer "+oldPair.Access); err != nil {
				t.Fatalf("old key's token after rotation: %v", err)
			}
			if _, err := e.svc.Refresh(ctx, oldPair.Refresh); err != nil {
				t.Fatalf("refresh with the old key's token: %v", err)
			}
			pair, err := e.svc.IssueFor(ctx, e.alice)
			if err != nil {
				t.Fatal(err)
			}
			if h := headerOf(t, pair.Access); h["kid"] != "next" || h["alg"] != ak.newAlg {
				t.Fatalf("new token header %v, want kid next, alg %s", h, ak.newAlg)
			}
			if _, _, err := e.svc.Authenticate(ctx, "Bearer "+pair.Access); err != nil {
				t.Fatalf("new key's token: %v", err)
			}
			// The old key cannot be reached without its own kid.
			stripped := resign(t, old, oldPair.Access, nil)
			mustIs(t, e.svc.Verify(ctx, stripped), core.ErrTokenInvalid)
			renamed := resign(t, old, oldPair.Access, map[string]any{"kid": "next"})
			mustIs(t, e.svc.Verify(ctx, renamed), core.ErrTokenInvalid)

			e.clk.Advance(time.Hour)
			// The refresh token (24h) is unexpired: only retirement refuses it.
			mustIs(t, e.svc.Verify(ctx, oldPair.Refresh), core.ErrTokenInvalid)
			if _, err := e.svc.Refresh(ctx, oldPair.Refresh); !errors.Is(err, core.ErrTokenInvalid) {
				t.Fatalf("refresh with a retired key's token: %v", err)
			}
			if pair, err = e.svc.IssueFor(ctx, e.alice); err != nil {
				t.Fatal(err)
			}
			if _, _, err := e.svc.Authenticate(ctx, "Bearer "+pair.Access); err != nil {
				t.Fatalf("new key's token after the old one retired: %v", err)
			}
		})
	}
}

// resign re-signs token's claims with e's signing key (the old service),
// with header members replaced by hdr (kid absent when hdr is nil).
func resign(t *testing.T, e *env, token string, hdr map[string]any) string {
	t.Helper()
	h := headerOf(t, token)
	delete(h, "kid")
	for k, v := range hdr {
		h[k] = v
	}
	s := e.svc.Settings()
	var key any
	if strings.HasPrefix(s.Algorithm, "HS") {
		key = []byte(s.SigningKey)
	} else {
		key = attackSigningKey(t, s.Algorithm, map[string]string{"RS256": "rsa2048", "EdDSA": "ed25519"}[s.Algorithm])
	}
	tok := jwt.NewWithClaims(jwt.GetSigningMethod(s.Algorithm), jwt.MapClaims(claimsOf(t, token)))
	tok.Header = h
	out, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKeyRingPinsAlgorithmByKid: the kid chooses the key and with it the
// one algorithm a token may carry, so a token cannot switch a ring's RSA
// key to HMAC (signing with the public PEM as the secret) or name an EC
// key with an RSA signature.
func TestKeyRingPinsAlgorithmByKid(t *testing.T) {
	ctx := context.Background()
	s := core.DefaultSettings()
	s.Keys = []core.Key{
		ringKey(t, "hs", "HS256", "hmac", core.KeySigning),
		ringKey(t, "rsa", "RS256", "rsa2048", core.KeyVerify),
		ringKey(t, "ec", "ES256", "ecp256", core.KeyVerify),
		{ID: "gone", Algorithm: "HS256", State: core.KeyRetired}, // material destroyed
	}
	e := newEnv(t, s, envOpt{})
	claims := jwt.MapClaims{"token_type": "access", "exp": testNow + 300, "jti": "j", "user_id": "1"}
	sign := func(m jwt.SigningMethod, kid string, key any) string {
		tok := jwt.NewWithClaims(m, claims)
		tok.Header["kid"] = kid
		out, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	rsaPriv := attackSigningKey(t, "RS256", "rsa2048")
	cases := []struct {
		name, token string
		ok          bool
	}{
		{"rsa key, RS256", sign(jwt.SigningMethodRS256, "rsa", rsaPriv), true},
		{"rsa key, HS256 with the public PEM as secret", sign(jwt.SigningMethodHS256, "rsa", []byte(readKey(t, "rsa2048.pub.pem"))), false},
		{"rsa key, PS256 (same key type)", sign(jwt.SigningMethodPS256, "rsa", rsaPriv), false},
		{"ec key, RS256 signature", sign(jwt.SigningMethodRS256, "ec", rsaPriv), false},
		{"unknown kid, HS256 with the signing key", sign(jwt.SigningMethodHS256, "nope", []byte(readKey(t, "hmac.txt"))), true},
		{"unknown kid, RS256", sign(jwt.SigningMethodRS256, "nope", rsaPriv), false},
		{"retired kid, even signed with the signing key", sign(jwt.SigningMethodHS256, "gone", []byte(readKey(t, "hmac.txt"))), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := e.svc.Verify(ctx, c.token)
			if c.ok && err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !c.ok {
				mustIs(t, err, core.ErrTokenInvalid)
			}
		})
	}
}

// TestKeyRingValidate: each refusal names the key's setting and kid.
func TestKeyRingValidate(t *testing.T) {
	hs := func(kid string, st core.KeyState) core.Key {
		return core.Key{ID: kid, Algorithm: "HS256", State: st, SigningKey: readKey(t, "hmac.txt")}
	}
	past := time.Unix(testNow, 0)
	cases := []struct {
		name    string
		edit    func(s *core.Settings)
		setting string
		reason  string
	}{
		{"no signing key", func(s *core.Settings) { s.Keys = []core.Key{hs("a", core.KeyVerify)} }, "keys", "exactly one key signs"},
		{"two signing keys", func(s *core.Settings) {
			s.Keys = []core.Key{hs("a", core.KeySigning), {ID: "b", Algorithm: "HS512", State: core.KeySigning, SigningKey: hmacSecret2}}
		}, "keys[1].state", `kid "b"`},
		{"duplicate kid", func(s *core.Settings) {
			s.Keys = []core.Key{hs("a", core.KeySigning), {ID: "a", State: core.KeyVerify, Algorithm: "HS256", SigningKey: hmacSecret2}}
		}, "keys[1].kid", "also the kid of keys[0]"},
		{"state missing", func(s *core.Settings) { s.Keys = []core.Key{hs("a", "")} }, "keys[0].state", `kid "a"`},
		{"signing key retires", func(s *core.Settings) {
			k := hs("a", core.KeySigning)
			k.RetireAfter = past
			s.Keys = []core.Key{k}
		}, "keys[0].retire_after", "cannot retire"},
		{"weak HMAC verify key", func(s *core.Settings) {
			s.Keys = []core.Key{hs("a", core.KeySigning), {ID: "old", Algorithm: "HS256", State: core.KeyVerify, SigningKey: "short"}}
		}, "keys[1].signing_key", `kid "old": HMAC key is 5 bytes`},
		{"RSA verify key without public key", func(s *core.Settings) {
			s.Keys = []core.Key{hs("a", core.KeySigning), {ID: "r", Algorithm: "RS256", State: core.KeyVerify}}
		}, "keys[1].verifying_key", `kid "r": must be set`},
		{"unknown algorithm", func(s *core.Settings) {
			s.Keys = []core.Key{hs("a", core.KeySigning), {ID: "x", Algorithm: "none", State: core.KeyVerify}}
		}, "keys[1].algorithm", "unknown algorithm"},
		{"ring beside signing_key", func(s *core.Settings) {
			s.SigningKey = readKey(t, "hmac.txt")
			s.Keys = []core.Key{hs("a", core.KeySigning)}
		}, "signing_key", "[[tokens.keys]]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := core.DefaultSettings()
			c.edit(&s)
			var se *core.SettingError
			if err := s.Validate(); !errors.As(err, &se) {
				t.Fatalf("Validate = %v, want a *SettingError", err)
			}
			if se.Setting != c.setting || !strings.Contains(se.Reason, c.reason) {
				t.Fatalf("refusal %q, want setting %q with %q", se.Error(), c.setting, c.reason)
			}
		})
	}
}

// TestPublishedKeys: the JWK Set holds every asymmetric key in use (the
// signing key and verify-only keys before their retire_after), never an
// HMAC key or a retired one, and says when it next changes.
func TestPublishedKeys(t *testing.T) {
	retire := time.Unix(testNow, 0).Add(30 * time.Minute)
	ec := ringKey(t, "ec-old", "ES256", "ecp256", core.KeyVerify)
	ec.RetireAfter = retire
	s := core.DefaultSettings()
	s.Keys = []core.Key{
		ringKey(t, "rsa-now", "RS256", "rsa2048", core.KeySigning),
		ec,
		ringKey(t, "ed-gone", "EdDSA", "ed25519", core.KeyRetired),
		ringKey(t, "hs-shared", "HS256", "hmac", core.KeyVerify),
	}
	e := newEnv(t, s, envOpt{})
	kids := func() []string {
		var set struct {
			Keys []map[string]any `json:"keys"`
		}
		if err := json.Unmarshal(e.svc.PublishedKeys().JWKS, &set); err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range set.Keys {
			if _, secret := k["k"]; secret || k["kty"] == "oct" {
				t.Fatalf("symmetric key published: %v", k)
			}
			if _, private := k["d"]; private {
				t.Fatalf("private key published: %v", k)
			}
			out = append(out, k["kid"].(string)+"/"+k["alg"].(string))
		}
		return out
	}
	p := e.svc.PublishedKeys()
	if got := strings.Join(kids(), ","); got != "rsa-now/RS256,ec-old/ES256" {
		t.Fatalf("published %s", got)
	}
	if strings.Join(p.Algorithms, ",") != "RS256,ES256" || !p.Until.Equal(retire) {
		t.Fatalf("algorithms %v, until %v", p.Algorithms, p.Until)
	}
	e.clk.Advance(30 * time.Minute)
	if got := strings.Join(kids(), ","); got != "rsa-now/RS256" {
		t.Fatalf("after retire_after: published %s", got)
	}
	if p := e.svc.PublishedKeys(); !p.Until.IsZero() {
		t.Fatalf("until %v after the last retirement", p.Until)
	}
	// An HMAC-only ring publishes nothing.
	if newEnv(t, hsSettings(t), envOpt{}).svc.PublishedKeys().JWKS != nil {
		t.Fatal("HMAC ring published a JWK Set")
	}
}

// TestVerifierNeedsNoPrivateKey: a Verifier with only the public key accepts
// the Service's tokens, with the user id and claims, and refuses the
// Service's refusals with the same errors.
func TestVerifierNeedsNoPrivateKey(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, keySettings(t, "ES256", "ecp256"), envOpt{})
	vs := core.DefaultSettings()
	vs.Algorithm = "ES256"
	vs.VerifyingKey = readKey(t, "ecp256.pub.pem")
	v, err := core.NewVerifier(vs, core.WithClock(e.clk.Now))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := core.New(vs, core.Plugins{Users: e.users}); err == nil {
		t.Fatal("New accepted settings without a signing key")
	}
	pair, err := e.svc.IssueFor(ctx, e.alice)
	if err != nil {
		t.Fatal(err)
	}
	u, err := v.Authenticate(ctx, "Bearer "+pair.Access)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != e.alice.ID || u.Token.Type != core.TypeAccess || u.Token.Claims["jti"] != claimsOf(t, pair.Access)["jti"] {
		t.Fatalf("user %+v", u)
	}
	_, err = v.Authenticate(ctx, "Bearer "+pair.Refresh)
	mustIs(t, err, core.ErrNoValidTokenType)
	_, err = v.Authenticate(ctx, "")
	mustIs(t, err, core.ErrNotAuthenticated)
}
