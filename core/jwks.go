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
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// JWKSFetcher fetches the JWK Set document at JWK_URL. The core imports no
// HTTP package: the host passes one (see package core/jwkshttp) with
// WithJWKSFetcher.
type JWKSFetcher func(ctx context.Context) ([]byte, error)

// Defaults of the JWK Set cache; see WithJWKSCache and
// Settings.JWKMaxStale.
const (
	DefaultJWKSCacheTTL      = 5 * time.Minute
	DefaultJWKSRefetchPeriod = 10 * time.Second
	DefaultJWKSMaxStale      = time.Hour
)

// jwksFetchTimeout bounds one fetch of JWK_URL. The fetch runs detached from
// the request that triggered it, so this is what ends a hanging URL.
const jwksFetchTimeout = 10 * time.Second

// jwksRetryBackoff is the least time between a failed fetch and the next
// one (or the refetch period, when shorter). A failure does not count as a
// fetch for the refetch period: the keys must be refreshed as soon as the
// URL answers again, not one period later.
const jwksRetryBackoff = time.Second

var (
	errUnknownKid = errors.New("no JWK Set key has the token's kid")
	errJWKSStale  = errors.New("JWK Set keys are older than the stale limit and JWK_URL cannot be fetched")
)

// jwksSnapshot is one successfully fetched key set.
type jwksSnapshot struct {
	keys      map[string]any // kid → public key fitting the algorithm
	fetchedAt time.Time
}

// jwksCache keeps the keys of JWK_URL. Verification reads an atomic
// snapshot without locks. A fetch happens when the snapshot is older than
// the TTL or lacks the token's kid: at most one at a time, at most once per
// minInterval after a success and once per jwksRetryBackoff after a
// failure. It runs on a context detached from the request that triggered
// it, with its own timeout, so a client hanging up can neither fail the
// fetch nor make it count; the triggering request waits for it only as long
// as its own context lives. A failed fetch keeps the old snapshot: its keys
// are served while the URL is down, but never beyond maxStale after they
// were fetched, so a key removed from the set (compromised) stops being
// trusted at the latest then.
type jwksCache struct {
	fetch       JWKSFetcher
	alg         *algorithm
	ttl         time.Duration
	minInterval time.Duration
	maxStale    time.Duration
	now         func() time.Time

	snap atomic.Pointer[jwksSnapshot]

	mu          sync.Mutex
	inflight    chan struct{} // closed when the fetch under way ends; nil when none
	lastSuccess time.Time     // start of the last successful fetch
	lastFailure time.Time     // end of the last failed fetch, zero after a success
}

func (c *jwksCache) key(ctx context.Context, kid string) (any, error) {
	snap := c.snap.Load()
	if snap != nil {
		k, ok := snap.keys[kid]
		age := c.now().Sub(snap.fetchedAt)
		if ok && age < c.ttl {
			return k, nil
		}
		if ok && age < c.maxStale {
			// Stale but servable: refresh, and serve what we have unless
			// the refresh answers in time (when this request started it).
			if done, started := c.startFetch(); started {
				c.wait(ctx, done)
			}
			if c.snap.Load() != snap {
				// A fresh set without this kid has removed the key.
				return c.lookup(kid)
			}
			return k, nil
		}
		// An unknown kid, or a key past the stale limit: only a fetch helps.
		// An unknown kid never queues behind a fetch in flight: anyone can
		// send tokens with random kids, and each would otherwise wait out
		// the JWK URL. The fetch under way serves the next request.
		done, started := c.startFetch()
		if done == nil || (!started && !ok) {
			return c.lookup(kid)
		}
		c.wait(ctx, done)
		return c.lookup(kid)
	}
	// No keys yet: every request needs the first fetch, and waits for it.
	if done, _ := c.startFetch(); done != nil {
		c.wait(ctx, done)
	}
	return c.lookup(kid)
}

// wait blocks until the fetch done belongs to has ended or ctx ends.
func (c *jwksCache) wait(ctx context.Context, done <-chan struct{}) {
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// lookup finds kid in the current snapshot, unless the snapshot is past
// the stale limit.
func (c *jwksCache) lookup(kid string) (any, error) {
	if s := c.snap.Load(); s != nil {
		if k, ok := s.keys[kid]; ok {
			if c.now().Sub(s.fetchedAt) >= c.maxStale {
				return nil, errJWKSStale
			}
			return k, nil
		}
	}
	return nil, errUnknownKid
}

// CheckJWKURL reports whether rawURL may be fetched for JWK_URL, for the
// first request and for every redirect: https only, since whoever can
// change the document over plain HTTP chooses the keys tokens are verified
// with. allowHTTP (Settings.UnsafeJWKURLAllowHTTP, for tests against a
// local server) also admits http:// to a loopback host (localhost,
// 127.0.0.0/8, ::1), and nowhere else.
func CheckJWKURL(rawURL string, allowHTTP bool) error {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", rawURL)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if !allowHTTP {
			return fmt.Errorf("%q is plain http: the JWK Set must come over https", rawURL)
		}
		if !loopbackHost(u.Hostname()) {
			return fmt.Errorf("%q is plain http to a host that is not loopback: unsafe_jwk_url_allow_http admits loopback hosts only", rawURL)
		}
		return nil
	}
	return fmt.Errorf("%q is not an https URL", rawURL)
}

// loopbackHost reports whether host (no port) names this machine.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// startFetch returns the channel closed when the fetch under way ends,
// starting one when none is and the rate limits allow; started tells
// whether this call started it. done is nil when no fetch is under way and
// none may start yet.
func (c *jwksCache) startFetch() (done <-chan struct{}, started bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inflight != nil {
		return c.inflight, false
	}
	now := c.now()
	if !c.lastSuccess.IsZero() && now.Sub(c.lastSuccess) < c.minInterval {
		return nil, false
	}
	if !c.lastFailure.IsZero() && now.Sub(c.lastFailure) < min(jwksRetryBackoff, c.minInterval) {
		return nil, false
	}
	ch := make(chan struct{})
	c.inflight = ch
	go c.run(ch, now)
	return ch, true
}

// run does one fetch, detached from any request, and publishes its result.
func (c *jwksCache) run(done chan struct{}, started time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), jwksFetchTimeout)
	defer cancel()
	doc, err := c.fetch(ctx)
	var keys map[string]any
	if err == nil {
		keys, err = parseJWKS(doc, c.alg)
	}
	c.mu.Lock()
	if err == nil {
		c.snap.Store(&jwksSnapshot{keys: keys, fetchedAt: started})
		c.lastSuccess, c.lastFailure = started, time.Time{}
	} else {
		c.lastFailure = c.now()
	}
	c.inflight = nil
	c.mu.Unlock()
	close(done)
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
