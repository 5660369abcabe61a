// Package throttle limits login attempts per client address and per
// username, the way DRF's throttling classes would guard an obtain view, with
// bounded memory so that an attacker spraying addresses or usernames cannot
// grow it without limit.
//
// Each key (an address or a username) gets a token bucket
// (golang.org/x/time/rate). Every attempt takes one token from the address
// bucket and one from the username bucket; an attempt is allowed only when
// both have a token, and a refused attempt takes nothing, so a throttled
// client does not push its own wait further out by retrying.
//
// The buckets of each key kind live in an LRU of at most Config.MaxKeys
// entries. Evicting the least recently used key forgets its bucket, which
// only loses state when that key is still being throttled; MaxKeys should
// therefore be far above the number of keys active within one refill period
// (the default, 100 000 per kind, costs a few MB at most: keys are stored
// as 64-bit hashes, never as the attacker-chosen strings).
//
// Wiring for jwtd: the HTTP layer parses a login's credentials once and
// asks Login.Admit with the account it will authenticate, so every limit
// keys on exactly what the user store is asked about. Admit applies the
// Limiter's rates, BruteForce's failed-login locks (counters in an
// sdk.LoginFailureStore, shared across instances when the blacklist store
// is), and a Gate of about one slot per CPU, held until the store has
// answered, so that a distributed burst (or clients hanging up) cannot run
// unboundedly many 100 MiB argon2id checks at once.
package throttle

import (
	"container/list"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// DefaultMaxKeys is the number of keys of each kind kept when
// Config.MaxKeys is zero.
const DefaultMaxKeys = 100_000

// Limit is one token bucket: Rate attempts per second on average, with
// bursts of up to Burst attempts. The zero Limit means "no limit" for that
// key kind.
type Limit struct {
	// Rate is the sustained number of attempts per second (for example
	// 10.0/60 for ten a minute). It must be positive when Burst is.
	Rate float64
	// Burst is how many attempts a fresh key may make at once. Zero
	// disables limiting for this key kind.
	Burst int
}

// PerMinute is n attempts a minute with bursts of burst.
func PerMinute(n float64, burst int) Limit { return Limit{Rate: n / 60, Burst: burst} }

// enabled reports whether the limit applies at all.
func (l Limit) enabled() bool { return l.Burst > 0 }

func (l Limit) validate(name string) error {
	switch {
	case l.Burst < 0:
		return fmt.Errorf("throttle: %s burst %d is negative", name, l.Burst)
	case l.Burst == 0 && l.Rate != 0:
		return fmt.Errorf("throttle: %s rate %v needs a positive burst", name, l.Rate)
	case l.Burst > 0 && !(l.Rate > 0) || math.IsInf(l.Rate, 0):
		return fmt.Errorf("throttle: %s rate %v must be a positive finite number", name, l.Rate)
	}
	return nil
}

// Config configures a Limiter.
type Config struct {
	// PerAddr limits attempts per client address (see ClientAddr for how
	// the address is derived). Zero: no per-address limit.
	PerAddr Limit
	// PerUsername limits attempts per username, whatever address they come
	// from, which slows a distributed guess at one account. Zero: no
	// per-username limit. An empty username is not limited by this bucket.
	PerUsername Limit
	// MaxKeys bounds the number of buckets kept per key kind (addresses and
	// usernames each). Zero means DefaultMaxKeys; it must not be negative.
	MaxKeys int
	// Now reads the clock; nil means time.Now. Tests inject a fake clock.
	Now func() time.Time
}

// Limiter decides whether a login attempt may go ahead. It is safe for
// concurrent use.
type Limiter struct {
	addr, user *bucketSet
	now        func() time.Time
	seed       maphash.Seed
	mu         sync.Mutex // guards both bucket sets: an attempt takes from both at once
}

// New validates cfg and returns a Limiter.
func New(cfg Config) (*Limiter, error) {
	if err := errors.Join(cfg.PerAddr.validate("per-address"), cfg.PerUsername.validate("per-username")); err != nil {
		return nil, err
	}
	if cfg.MaxKeys < 0 {
		return nil, fmt.Errorf("throttle: MaxKeys %d is negative", cfg.MaxKeys)
	}
	if cfg.MaxKeys == 0 {
		cfg.MaxKeys = DefaultMaxKeys
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Limiter{
		addr: newBucketSet(cfg.PerAddr, cfg.MaxKeys),
		user: newBucketSet(cfg.PerUsername, cfg.MaxKeys),
		now:  now,
		seed: maphash.MakeSeed(),
	}, nil
}

// Allow records one attempt from addr for username and reports whether it
// may go ahead. When it may not, retryAfter is how long until it would be
// allowed (always positive). An empty addr or username skips that bucket.
func (l *Limiter) Allow(addr, username string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var ra, ru *rate.Reservation
	if addr != "" {
		ra = l.addr.reserve(maphash.String(l.seed, addr), now)
	}
	if username != "" {
		ru = l.user.reserve(maphash.String(l.seed, username), now)
	}
	var wait time.Duration
	for _, r := range []*rate.Reservation{ra, ru} {
		if r != nil {
			wait = max(wait, r.DelayFrom(now))
		}
	}
	if wait == 0 {
		return true, 0
	}
	// Refused: give back what was taken so retrying while throttled does not
	// extend the wait.
	for _, r := range []*rate.Reservation{ra, ru} {
		if r != nil {
			r.CancelAt(now)
		}
	}
	return false, wait
}

// Len reports how many address and username buckets are held now.
func (l *Limiter) Len() (addrs, usernames int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.addr.lru.Len(), l.user.lru.Len()
}

// bucketSet is an LRU of token buckets keyed by a hash of the key.
type bucketSet struct {
	limit Limit
	max   int
	lru   *list.List // of *entry, most recently used at the front
	byKey map[uint64]*list.Element
}

type entry struct {
	key uint64
	lim *rate.Limiter
}

func newBucketSet(l Limit, maxKeys int) *bucketSet {
	return &bucketSet{limit: l, max: maxKeys, lru: list.New(), byKey: make(map[uint64]*list.Element)}
}

// reserve takes one token from key's bucket, creating it (and evicting the
// least recently used bucket if full). It returns nil when the kind is not
// limited.
func (s *bucketSet) reserve(key uint64, now time.Time) *rate.Reservation {
	if !s.limit.enabled() {
		return nil
	}
	var lim *rate.Limiter
	if el, ok := s.byKey[key]; ok {
		s.lru.MoveToFront(el)
		lim = el.Value.(*entry).lim
	} else {
		if s.lru.Len() >= s.max {
			oldest := s.lru.Back()
			s.lru.Remove(oldest)
			delete(s.byKey, oldest.Value.(*entry).key)
		}
		lim = rate.NewLimiter(rate.Limit(s.limit.Rate), s.limit.Burst)
		s.byKey[key] = s.lru.PushFront(&entry{key: key, lim: lim})
	}
	return lim.ReserveN(now, 1)
}
