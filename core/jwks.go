package core

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"
	"time"
)

// JWKSFetcher fetches the JWK Set document at JWK_URL. The core imports no
// HTTP package: the host passes one (see package core/jwkshttp) with
// WithJWKSFetcher.
type JWKSFetcher func(ctx context.Context) ([]byte, error)

// Defaults of the JWK Set cache; see WithJWKSCache.
const (
	DefaultJWKSCacheTTL      = 5 * time.Minute
	DefaultJWKSRefetchPeriod = 10 * time.Second
)

var errUnknownKid = errors.New("no JWK Set key has the token's kid")

// jwksSnapshot is one successfully fetched key set.
type jwksSnapshot struct {
	keys      map[string]any // kid → public key fitting the algorithm
	fetchedAt time.Time
}

// jwksCache keeps the keys of JWK_URL. Verification reads an atomic
// snapshot without locks; a fetch happens when the snapshot is older than
// the TTL or lacks the token's kid, at most once per minInterval, and by one
// goroutine at a time. A failed fetch keeps the old snapshot (stale keys are
// served while the URL is down).
type jwksCache struct {
	fetch       JWKSFetcher
	alg         *algorithm
	ttl         time.Duration
	minInterval time.Duration
	now         func() time.Time

	snap    atomic.Pointer[jwksSnapshot]
	fetchMu sync.Mutex
	lastTry time.Time // guarded by fetchMu
}

func (c *jwksCache) key(ctx context.Context, kid string) (any, error) {
	snap := c.snap.Load()
	if snap != nil {
		k, ok := snap.keys[kid]
		if ok && c.now().Sub(snap.fetchedAt) < c.ttl {
			return k, nil
		}
		if ok && !c.fetchMu.TryLock() {
			return k, nil // another goroutine is refreshing; serve what we have
		}
		if ok {
			c.refreshLocked(ctx)
			c.fetchMu.Unlock()
			return c.lookup(kid, k)
		}
	}
	if snap == nil {
		c.fetchMu.Lock() // the first fetch: every request needs it
	} else if !c.fetchMu.TryLock() {
		// An unknown kid never queues behind a fetch in flight: anyone can
		// send tokens with random kids, and each would otherwise wait out
		// the JWK URL. The fetch under way serves the next request.
		return nil, errUnknownKid
	}
	// Another goroutine may have fetched while this one waited.
	if s2 := c.snap.Load(); s2 != snap {
		if k, ok := s2.keys[kid]; ok {
			c.fetchMu.Unlock()
			return k, nil
		}
	}
	c.refreshLocked(ctx)
	c.fetchMu.Unlock()
	return c.lookup(kid, nil)
}

func (c *jwksCache) lookup(kid string, fallback any) (any, error) {
	if s := c.snap.Load(); s != nil {
		if k, ok := s.keys[kid]; ok {
			return k, nil
		}
	}
	if fallback != nil {
		return fallback, nil
	}
	return nil, errUnknownKid
}

// refreshLocked fetches unless the last attempt was under minInterval ago.
// The caller holds fetchMu.
func (c *jwksCache) refreshLocked(ctx context.Context) {
	now := c.now()
	if !c.lastTry.IsZero() && now.Sub(c.lastTry) < c.minInterval {
		return
	}
	c.lastTry = now
	doc, err := c.fetch(ctx)
	if err != nil {
		return
	}
	keys, err := parseJWKS(doc, c.alg)
	if err != nil {
		return
	}
	c.snap.Store(&jwksSnapshot{keys: keys, fetchedAt: now})
}

// jwk is the subset of RFC 7517/7518/8037 members the core reads.
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// parseJWKS returns the keys of doc that fit alg, by kid. Keys for other
// algorithms, for encryption, or too weak are skipped; a document without
// any usable key is an error so a broken fetch does not replace good keys.
func parseJWKS(doc []byte, alg *algorithm) (map[string]any, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		return nil, fmt.Errorf("JWK Set: %w", err)
	}
	keys := map[string]any{}
	for _, raw := range set.Keys {
		var k jwk
		if json.Unmarshal(raw, &k) != nil {
			continue
		}
		if (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != alg.name) {
			continue
		}
		pub, err := k.publicKey()
		if err != nil || keyFits(alg, pub) != nil {
			continue
		}
		if _, dup := keys[k.Kid]; dup {
			// Two keys under one kid: which one verifies is ambiguous, so
			// neither is used.
			keys[k.Kid] = nil
			continue
		}
		keys[k.Kid] = pub
	}
	for kid, k := range keys {
		if k == nil {
			delete(keys, kid)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("JWK Set has no key usable with " + alg.name)
	}
	return keys, nil
}

func (k jwk) publicKey() (any, error) {
	switch k.Kty {
	case "RSA":
		n, err1 := b64.DecodeString(k.N)
		e, err2 := b64.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(n) == 0 || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("bad RSA JWK")
		}
		exp := new(big.Int).SetBytes(e).Int64()
		if exp < 3 || exp%2 == 0 {
			return nil, errors.New("bad RSA exponent")
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(exp)}, nil
	case "EC":
		var curve elliptic.Curve
		switch k.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, errors.New("unsupported EC curve")
		}
		size := (curve.Params().BitSize + 7) / 8
		x, err1 := b64.DecodeString(k.X)
		y, err2 := b64.DecodeString(k.Y)
		if err1 != nil || err2 != nil || len(x) != size || len(y) != size {
			return nil, errors.New("bad EC JWK")
		}
		point := append(append([]byte{4}, x...), y...)
		return ecdsa.ParseUncompressedPublicKey(curve, point)
	case "OKP":
		x, err := b64.DecodeString(k.X)
		if k.Crv != "Ed25519" || err != nil || len(x) != ed25519.PublicKeySize {
			return nil, errors.New("bad OKP JWK")
		}
		return ed25519.PublicKey(x), nil
	}
	return nil, errors.New("unsupported kty")
}
