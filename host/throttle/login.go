package throttle

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Reasons a login attempt is refused, the values of Throttled.Reason and of
// the jwtd_login_throttled_total metric's label.
const (
	ReasonRate   = "rate"   // a per-address or per-username rate limit
	ReasonLocked = "locked" // a brute-force counter at its limit
	ReasonBusy   = "busy"   // no password-hashing slot within the wait
)

// Throttled is the error of a refused login attempt. The HTTP layer answers
// it 429 with Retry-After and DRF's Throttled body.
type Throttled struct {
	// RetryAfter is how long until an attempt may succeed (positive).
	RetryAfter time.Duration
	// Reason is one of the Reason constants.
	Reason string
}

func (e *Throttled) Error() string {
	return fmt.Sprintf("login throttled (%s): retry after %v", e.Reason, e.RetryAfter)
}

// Outcome is what became of an admitted login attempt.
type Outcome int

const (
	// Succeeded: the credentials were right; the account's failure counters
	// are cleared.
	Succeeded Outcome = iota
	// Failed: the credentials were wrong (or name no active account); the
	// failure is counted.
	Failed
	// Errored: neither (a store that could not answer, a bad request); nothing
	// is counted.
	Errored
)

// Login admits login attempts (the requests that run the password hasher)
// once the HTTP layer has parsed their credentials, so that every limit
// keys on exactly the account the user store is asked about, whatever the
// request's encoding. In order, an attempt must pass the rate limits, the
// brute-force locks, and then find a slot in the concurrency gate, which
// it holds until the user store has answered. Each part is optional.
type Login struct {
	// Limiter applies per-address and per-username rates; nil for none.
	Limiter *Limiter
	// BruteForce counts failures and locks; nil for none.
	BruteForce *BruteForce
	// Gate bounds concurrent password checks; nil for no bound.
	Gate *Gate
	// Addr derives the client address.
	Addr AddrResolver
	// OnRefused, when set, is called with the reason of each refused
	// attempt (metrics).
	OnRefused func(reason string)
}

// Done ends an admitted attempt: it records its outcome and then frees
// the attempt's gate slot. Call it exactly once, after the user store has
// answered. Its error (a counter store that could not answer) wraps
// sdk.ErrUnavailable.
type Done func(ctx context.Context, o Outcome) error

// Admit decides whether the attempt of r to log in to account (as the
// handler parsed it, trimmed) may check its password now. It returns a
// *Throttled error to refuse, an error wrapping sdk.ErrUnavailable when the
// brute-force counters cannot be read (fail closed), or the Done to call
// once the store has answered. ctx is the request's: a client that hangs up
// while waiting for a slot stops waiting.
func (l *Login) Admit(ctx context.Context, r *http.Request, account string) (Done, error) {
	addr := l.Addr.ClientAddr(r)
	key := AccountKey(account)
	if l.Limiter != nil {
		if ok, wait := l.Limiter.Allow(addr, key); !ok {
			return nil, l.refuse(&Throttled{RetryAfter: wait, Reason: ReasonRate})
		}
	}
	dirty, err := l.checkLocks(ctx, key, addr)
	if err != nil {
		return nil, err
	}
	release := func() {}
	if l.Gate != nil {
		var ok bool
		if release, ok = l.Gate.Enter(ctx); !ok {
			return nil, l.refuse(&Throttled{RetryAfter: time.Second, Reason: ReasonBusy})
		}
		// Failures counted while this attempt waited for its slot may have
		// reached a limit: ask again, so the overshoot stays within the
		// attempts hashing at once.
		if dirty, err = l.checkLocks(ctx, key, addr); err != nil {
			release()
			return nil, err
		}
	}
	return func(ctx context.Context, o Outcome) error {
		// The slot is freed only once the outcome is counted: the attempt
		// queued behind it re-checks the locks as it enters, and must see
		// this failure, or each slot lets one attempt too many through.
		defer release()
		if l.BruteForce == nil {
			return nil
		}
		switch o {
		case Failed:
			return l.BruteForce.failed(ctx, key, addr)
		case Succeeded:
			if dirty {
				return l.BruteForce.succeeded(ctx, key, addr)
			}
		}
		return nil
	}, nil
}

// checkLocks asks the brute-force counters, when there are any.
func (l *Login) checkLocks(ctx context.Context, key, addr string) (dirty bool, err error) {
	if l.BruteForce == nil {
		return false, nil
	}
	dirty, err = l.BruteForce.check(ctx, key, addr)
	var th *Throttled
	if errors.As(err, &th) {
		l.refuse(th)
	}
	return dirty, err
}

func (l *Login) refuse(th *Throttled) error {
	if l.OnRefused != nil {
		l.OnRefused(th.Reason)
	}
	return th
}
