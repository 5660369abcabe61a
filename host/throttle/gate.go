package throttle

import (
	"context"
	"fmt"
	"time"
)

// Gate bounds how many requests run at once through it. Its use is the
// password hash: one argon2id check with Django's parameters takes 100 MiB
// and a core's worth of CPU for a few hundred milliseconds, so a burst of
// logins from many addresses (which the per-address and per-username
// limits do not stop) would otherwise exhaust memory and push every check
// past the plugin call timeout. Behind a Gate of about one slot per core,
// excess logins wait in line, briefly, and are then refused (429).
type Gate struct {
	slots   chan struct{}
	maxWait time.Duration
}

// NewGate admits at most inFlight requests at once; a request that finds
// no free slot waits up to maxWait for one. inFlight must be positive and
// maxWait not negative.
func NewGate(inFlight int, maxWait time.Duration) (*Gate, error) {
	if inFlight < 1 {
		return nil, fmt.Errorf("throttle: gate size %d must be at least 1", inFlight)
	}
	if maxWait < 0 {
		return nil, fmt.Errorf("throttle: gate wait %v is negative", maxWait)
	}
	return &Gate{slots: make(chan struct{}, inFlight), maxWait: maxWait}, nil
}

// Enter takes a slot, waiting up to the gate's maxWait or until ctx ends.
// On success the caller must call the returned release exactly once.
func (g *Gate) Enter(ctx context.Context) (release func(), ok bool) {
	release = func() { <-g.slots }
	select {
	case g.slots <- struct{}{}:
		return release, true
	default:
	}
	if g.maxWait == 0 {
		return nil, false
	}
	t := time.NewTimer(g.maxWait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return release, true
	case <-t.C:
		return nil, false
	case <-ctx.Done():
		return nil, false
	}
}
