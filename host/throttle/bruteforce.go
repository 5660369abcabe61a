package throttle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/jwtd/jwtd/sdk"
)

// Scopes of the failed-login counters, the values of BruteForce's lock
// callback and of the jwtd_login_lockouts_total metric's label.
const (
	ScopeAccountAddr = "account_address" // one account from one client address
	ScopeAccount     = "account"         // one account from anywhere
	ScopeAddr        = "address"         // one client address, any account
)

// BruteForceConfig sets how many failed logins BruteForce allows per
// window, in the manner of Authelia's regulation and django-axes: after the
// limit, the counter's scope is locked (429) until its window ends.
type BruteForceConfig struct {
	// Window is how long a counter lives from its first failure, and so the
	// longest a lock lasts: the counter is not pushed out by later failures,
	// and a locked attempt is refused before it could count.
	Window time.Duration
	// MaxFailures locks one account for one client address (django-axes's
	// username+address combination) after this many failures. It stops a
	// single source guessing one password quickly without locking the
	// account's owner out elsewhere. 0 disables this counter.
	MaxFailures int
	// MaxFailuresPerAccount locks the account for every address after this
	// many failures from anywhere: the guard against a distributed guess at
	// one password. Someone who only knows the username can lock the
	// account this way, for at most Window at a time; 0 disables it.
	MaxFailuresPerAccount int
	// MaxFailuresPerAddr locks a client address for every account after
	// this many failures: the guard against one source spraying many
	// usernames. 0 disables it.
	MaxFailuresPerAddr int
	// OnLock, when set, is called once each time a counter reaches its limit
	// (metrics).
	OnLock func(scope string)
}

// BruteForce counts failed logins in an sdk.LoginFailureStore, shared by
// every jwtd instance on the store when it is a shared one. Keys are
// SHA-256 hashes of the scope and the normalised account and address: the
// store never holds a raw username or address (a hash is a pseudonym, not
// a secret, against someone who can guess usernames).
type BruteForce struct {
	store sdk.LoginFailureStore
	cfg   BruteForceConfig
}

// NewBruteForce validates cfg and counts into store.
func NewBruteForce(store sdk.LoginFailureStore, cfg BruteForceConfig) (*BruteForce, error) {
	switch {
	case store == nil:
		return nil, errors.New("throttle: brute-force protection needs a counter store")
	case cfg.Window < time.Second:
		return nil, fmt.Errorf("throttle: brute-force window %v is under a second", cfg.Window)
	case cfg.MaxFailures < 0 || cfg.MaxFailuresPerAccount < 0 || cfg.MaxFailuresPerAddr < 0:
		return nil, errors.New("throttle: brute-force limits must not be negative")
	}
	return &BruteForce{store: store, cfg: cfg}, nil
}

// AccountKey is the form of an account name the limits key on: trimmed of
// white space (as the handler already trims it), Unicode NFKC and
// case-folded, so that the spellings a user store may take for one account
// ("Alice", "ａｌｉｃｅ") share one counter and one bucket. Folding can
// merge two distinct accounts' counters, which only makes the limits
// stricter.
func AccountKey(account string) string {
	return cases.Fold().String(norm.NFKC.String(strings.TrimSpace(account)))
}

// counter is one failed-login counter of an attempt.
type counter struct {
	scope string
	key   string // the store key
	limit int
}

// counters returns the enabled counters of an attempt by accountKey (see
// AccountKey) from addr.
func (b *BruteForce) counters(accountKey, addr string) []counter {
	all := []counter{
		{ScopeAccountAddr, storeKey("p", accountKey, addr), b.cfg.MaxFailures},
		{ScopeAccount, storeKey("u", accountKey), b.cfg.MaxFailuresPerAccount},
		{ScopeAddr, storeKey("a", addr), b.cfg.MaxFailuresPerAddr},
	}
	out := all[:0]
	for _, c := range all {
		if c.limit > 0 {
			out = append(out, c)
		}
	}
	return out
}

// storeKey hashes a scope's parts into an opaque store key (hex, no braces).
func storeKey(scope string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "jwtd-lf:" + scope + ":" + hex.EncodeToString(h.Sum(nil)[:16])
}

// check returns a *Throttled error when a counter of the attempt is at its
// limit (Retry-After: when the longest such lock ends), and reports
// whether any counter the account's success would clear is non-zero. A
// store error is returned wrapped in sdk.ErrUnavailable: the login is
// refused (503), never let through unchecked.
func (b *BruteForce) check(ctx context.Context, accountKey, addr string) (dirty bool, err error) {
	var wait time.Duration
	for _, c := range b.counters(accountKey, addr) {
		n, err := b.store.LoginFailures(ctx, c.key)
		if err != nil {
			return false, unavailable("read login failures", err)
		}
		if n.Count > 0 && c.scope != ScopeAddr {
			dirty = true
		}
		if n.Count >= c.limit {
			wait = max(wait, n.ResetIn, time.Second)
		}
	}
	if wait > 0 {
		return dirty, &Throttled{RetryAfter: wait, Reason: ReasonLocked}
	}
	return dirty, nil
}

// failed counts one failure on every counter of the attempt.
func (b *BruteForce) failed(ctx context.Context, accountKey, addr string) error {
	var errs []error
	for _, c := range b.counters(accountKey, addr) {
		n, err := b.store.AddLoginFailure(ctx, c.key, b.cfg.Window)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if n.Count == c.limit && b.cfg.OnLock != nil {
			b.cfg.OnLock(c.scope)
		}
	}
	if len(errs) > 0 {
		return unavailable("count a login failure", errors.Join(errs...))
	}
	return nil
}

// succeeded clears the account's counters; the address counter stays, so
// that logging in to one's own account does not wipe the failures one made
// against others.
func (b *BruteForce) succeeded(ctx context.Context, accountKey, addr string) error {
	for _, c := range b.counters(accountKey, addr) {
		if c.scope == ScopeAddr {
			continue
		}
		if err := b.store.ClearLoginFailures(ctx, c.key); err != nil {
			return unavailable("clear login failures", err)
		}
	}
	return nil
}

// unavailable wraps a counter store failure so that the HTTP layer answers
// 503, and errors.Is still finds the cause.
func unavailable(op string, err error) error {
	if errors.Is(err, sdk.ErrUnavailable) {
		return fmt.Errorf("throttle: %s: %w", op, err)
	}
	return fmt.Errorf("%w: throttle: %s: %w", sdk.ErrUnavailable, op, err)
}
