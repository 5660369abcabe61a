package core

import (
	"bytes"
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// KeyState is where a key of the ring is in its life. A rotation moves the
// signing key to KeyVerify (its tokens keep working) and, once they have
// expired, to KeyRetired or out of the config.
type KeyState string

// The states of a ring key.
const (
	// KeySigning signs every issued token and verifies. Exactly one key of
	// a ring is in this state.
	KeySigning KeyState = "signing"
	// KeyVerify verifies the tokens that name it by kid and signs nothing:
	// a key rotated out whose tokens may still be live.
	KeyVerify KeyState = "verify"
	// KeyRetired verifies nothing: a token naming it is refused, and it is
	// not published.
	KeyRetired KeyState = "retired"
)

// Key is one key of the ring (a [[tokens.keys]] table in jwtd.toml).
// Tokens name the key that signed them in the "kid" header; a token with
// no kid, or one naming no key of the ring (Simple JWT's tokens carry none),
// is verified with the signing key.
type Key struct {
	// ID is the kid. Empty: the RFC 7638 thumbprint of the public key
	// (asymmetric), or a digest of the secret (HMAC) that reveals nothing a
	// signed token does not.
	ID string
	// Algorithm is the key's algorithm, pinned: a token naming this key must
	// carry exactly this "alg". Empty: Settings.Algorithm.
	Algorithm string
	// State is KeySigning, KeyVerify or KeyRetired; it must be set.
	State KeyState
	// SigningKey is the HMAC secret, or the private PEM of an asymmetric key
	// (needed for the signing key only). A retired key with an ID needs no
	// material at all.
	SigningKey string
	// VerifyingKey is the public PEM of an asymmetric key (always needed,
	// as for Settings.VerifyingKey); ignored for HMAC.
	VerifyingKey string
	// RetireAfter, when set, retires a KeyVerify key at that instant: from
	// then on it is refused and unpublished as if KeyRetired, without a
	// reload. The signing key cannot have one (its own tokens would be
	// refused as soon as they were issued).
	RetireAfter time.Time
}

// ringKey is a parsed Key.
type ringKey struct {
	kid         string
	alg         *algorithm
	sign        any // nil unless the key can sign
	verify      any // nil for a signing key verified only through JWK_URL
	retired     bool
	retireAfter time.Time      // zero: never
	jwk         map[string]any // the public JWK; nil for HMAC
}

// inUse reports whether the key still verifies at now.
func (k *ringKey) inUse(now time.Time) bool {
	return !k.retired && (k.retireAfter.IsZero() || now.Before(k.retireAfter))
}

// keySet is the parsed key ring of a Service.
type keySet struct {
	method *algorithm // the signing key's algorithm
	sign   any        // []byte, *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey; nil in a Verifier
	verify any        // the signing key's verifying half; nil with JWK_URL only
	kid    string     // the signing key's kid, written in issued tokens
	byKID  map[string]*ringKey
	ring   []*ringKey // config order
}

var (
	errKeyRetired = errors.New("the token's kid names a retired key")
	errNoKey      = errors.New("the token names no key and there is no signing key")
)

// hmacKID is the default kid of an HMAC key: a keyed digest of a fixed
// label, so the kid is stable across restarts and hosts sharing the secret,
// and tells an attacker nothing a token signed with the key does not.
func hmacKID(secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("jwtd key id"))
	return b64.EncodeToString(m.Sum(nil)[:12])
}

// parseKeys parses the ring: Settings.Keys, or the one key that
// signing_key/verifying_key/algorithm describe. verifyOnly (a Verifier)
// needs no private key and no signing key.
func parseKeys(s Settings, verifyOnly bool) (*keySet, error) {
	keys := s.Keys
	legacy := len(keys) == 0
	if legacy {
		keys = []Key{{Algorithm: s.Algorithm, State: KeySigning, SigningKey: s.SigningKey, VerifyingKey: s.VerifyingKey}}
	} else if s.SigningKey != "" || s.VerifyingKey != "" {
		return nil, refuse("signing_key", "cannot be combined with [[tokens.keys]]: put the key in the ring")
	}
	ks := &keySet{byKID: make(map[string]*ringKey, len(keys))}
	where := map[string]int{}
	for i, k := range keys {
		name := func(field string) string {
			if legacy {
				return field
			}
			return fmt.Sprintf("keys[%d].%s", i, field)
		}
		if k.Algorithm == "" {
			k.Algorithm = s.Algorithm
		}
		rk, err := parseKey(k, name, verifyOnly || k.State != KeySigning, s.JWKURL != "" && k.State == KeySigning)
		if err != nil {
			if !legacy && k.ID != "" {
				var se *SettingError
				if errors.As(err, &se) {
					se.Reason = fmt.Sprintf("kid %q: %s", k.ID, se.Reason)
				}
			}
			return nil, err
		}
		if j, dup := where[rk.kid]; dup {
			return nil, refuse(name("kid"), "%q is also the kid of keys[%d]: a token could not say which key signed it", rk.kid, j)
		}
		where[rk.kid] = i
		ks.byKID[rk.kid] = rk
		ks.ring = append(ks.ring, rk)
		if k.State == KeySigning {
			if ks.method != nil {
				return nil, refuse(name("state"), "kid %q: a second signing key (keys[%d] signs); exactly one key signs", rk.kid, where[ks.kid])
			}
			ks.method, ks.sign, ks.verify, ks.kid = rk.alg, rk.sign, rk.verify, rk.kid
		}
	}
	if ks.method == nil {
		if !verifyOnly {
			return nil, refuse("keys", "no key is in state %q: exactly one key signs", KeySigning)
		}
		ks.method = ks.ring[0].alg
	}
	return ks, nil
}

// parseKey checks and parses one ring key; name gives the setting a
// refusal names. noPrivate: the key need not be able to sign. jwkURL: the
// verifying half may be absent (JWK_URL supplies it).
func parseKey(k Key, name func(string) string, noPrivate, jwkURL bool) (*ringKey, error) {
	alg, ok := algorithms[k.Algorithm]
	if !ok {
		return nil, refuse(name("algorithm"), "unknown algorithm %q (supported: %s)", k.Algorithm, strings.Join(Algorithms(), ", "))
	}
	switch k.State {
	case KeySigning, KeyVerify, KeyRetired:
	default:
		return nil, refuse(name("state"), "must be %q, %q or %q, got %q", KeySigning, KeyVerify, KeyRetired, k.State)
	}
	if k.State == KeySigning && !k.RetireAfter.IsZero() {
		return nil, refuse(name("retire_after"), "the signing key cannot retire: rotate it to %q first", KeyVerify)
	}
	rk := &ringKey{kid: k.ID, alg: alg, retired: k.State == KeyRetired, retireAfter: k.RetireAfter}
	if rk.retired && rk.kid != "" && k.SigningKey == "" && k.VerifyingKey == "" {
		// A retired key verifies nothing: its kid alone is enough to refuse
		// its tokens, and its material can be destroyed.
		return rk, nil
	}
	if alg.symmetric {
		if k.SigningKey == "" {
			return nil, refuse(name("signing_key"), "must be set")
		}
		if len(k.SigningKey) < minHMACKeyBytes {
			return nil, refuse(name("signing_key"), "HMAC key is %d bytes; %s needs at least %d", len(k.SigningKey), alg.name, minHMACKeyBytes)
		}
		if strings.Contains(k.SigningKey, "-----BEGIN") {
			return nil, refuse(name("signing_key"), "is a PEM key, which does not fit the HMAC algorithm %s", alg.name)
		}
		rk.sign = []byte(k.SigningKey)
		rk.verify = rk.sign
		if rk.kid == "" {
			rk.kid = hmacKID(rk.sign.([]byte))
		}
		return rk, nil
	}
	if k.SigningKey == "" && !noPrivate {
		return nil, refuse(name("signing_key"), "must be set")
	}
	if k.SigningKey != "" {
		priv, err := parsePrivatePEM([]byte(k.SigningKey))
		if err != nil {
			return nil, refuse(name("signing_key"), "%v", err)
		}
		if err := keyFits(alg, priv); err != nil {
			return nil, refuse(name("signing_key"), "%v", err)
		}
		rk.sign = priv
	}
	if k.VerifyingKey == "" {
		if !jwkURL {
			return nil, refuse(name("verifying_key"), "must be set for the asymmetric algorithm %s (or set jwk_url)", alg.name)
		}
		if rk.kid == "" && rk.sign != nil {
			// The JWK URL's set names this key by its thumbprint.
			if _, kid, err := publicJWK(alg, rk.sign.(crypto.Signer).Public()); err == nil {
				rk.kid = kid
			}
		}
		return rk, nil
	}
	pub, err := parsePublicPEM([]byte(k.VerifyingKey))
	if err != nil {
		return nil, refuse(name("verifying_key"), "%v", err)
	}
	if err := keyFits(alg, pub); err != nil {
		return nil, refuse(name("verifying_key"), "%v", err)
	}
	if signer, ok := rk.sign.(crypto.Signer); ok {
		if eq, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool }); ok && !eq.Equal(pub) {
			return nil, refuse(name("verifying_key"), "is not the public half of signing_key: issued tokens would not verify")
		}
	}
	rk.verify = pub
	jwk, thumb, err := publicJWK(alg, pub)
	if err != nil {
		return nil, refuse(name("verifying_key"), "%v", err)
	}
	if rk.kid == "" {
		rk.kid = thumb
	}
	jwk["kid"] = rk.kid
	rk.jwk = jwk
	return rk, nil
}

// verifyKey picks the algorithm and key a token's header asks for: the
// ring key its kid names, or the signing key for a token without a kid or
// with a kid the ring does not hold (as PyJWT ignores kid without JWK_URL;
// the signature must then verify under the signing key, so nothing a
// retired key signed can pass that way).
func (ks *keySet) verifyKey(h header, now func() time.Time) (*algorithm, any, error) {
	if h.kid != nil {
		var rk *ringKey
		if inner := h.kid[1 : len(h.kid)-1]; bytes.IndexByte(inner, '\\') < 0 {
			rk = ks.byKID[string(inner)] // no copy: the hot path, every jwtd token has a kid
		} else if kid, ok := jsonString(h.kid); ok {
			rk = ks.byKID[kid]
		}
		if rk != nil {
			if rk.retired || (!rk.retireAfter.IsZero() && !now().Before(rk.retireAfter)) {
				return nil, nil, errKeyRetired
			}
			return rk.alg, rk.verify, nil
		}
	}
	if ks.verify == nil {
		return nil, nil, errNoKey
	}
	return ks.method, ks.verify, nil
}

// PublishedKeys are the public keys a Service publishes at one moment.
type PublishedKeys struct {
	// JWKS is the JWK Set document ({"keys": [...]}, each with kid, alg and
	// use) of every asymmetric key still in use: the signing key and the
	// verify-only keys not yet retired. Nil when there is none (HMAC keys
	// are never published).
	JWKS []byte
	// Algorithms are the published keys' algorithms, each once, in ring
	// order.
	Algorithms []string
	// Until is when the set next changes by itself (the earliest
	// retire_after among published keys); zero when nothing is scheduled.
	// Caches should not keep the set past it.
	Until time.Time
}

// PublishedKeys returns the public keys in use now.
func (s *Service) PublishedKeys() PublishedKeys {
	now := s.now()
	var p PublishedKeys
	var jwks []any
	for _, k := range s.c.keys.ring {
		if k.jwk == nil || !k.inUse(now) {
			continue
		}
		jwks = append(jwks, k.jwk)
		if !slices.Contains(p.Algorithms, k.alg.name) {
			p.Algorithms = append(p.Algorithms, k.alg.name)
		}
		if !k.retireAfter.IsZero() && (p.Until.IsZero() || k.retireAfter.Before(p.Until)) {
			p.Until = k.retireAfter
		}
	}
	if len(jwks) > 0 {
		p.JWKS, _ = json.Marshal(map[string]any{"keys": jwks})
	}
	return p
}

// JWKS returns PublishedKeys().JWKS: the public keys in use as a JWK Set
// document, or nil when there is none (HMAC, or JWK_URL only).
func (s *Service) JWKS() []byte { return s.PublishedKeys().JWKS }
