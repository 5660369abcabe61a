package sdk_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// revocations is a store's own record of what it blacklisted, with a
// channel on which it announces each new entry (a real store notices other
// processes' writes too: see the SQLite and Redis stores).
type revocations struct {
	current map[string]time.Time
	news    chan sdk.Change
}

// Watch implements sdk.ChangeFeed: reset, the state, synced; then each
// change, and a synced mark at least every sdk.SyncInterval.
func (r *revocations) Watch(ctx context.Context, send func(sdk.Change) error) error {
	if err := send(sdk.Change{Kind: sdk.ChangeReset}); err != nil {
		return err
	}
	for jti, exp := range r.current {
		if err := send(sdk.Change{Kind: sdk.ChangeBlacklisted, JTI: jti, ExpiresAt: exp}); err != nil {
			return err
		}
	}
	tick := time.NewTicker(sdk.SyncInterval / 2)
	defer tick.Stop()
	for {
		// Everything announced before now has been sent.
		if err := send(sdk.Change{Kind: sdk.ChangeSynced, At: time.Now()}); err != nil {
			return err
		}
		select {
		case c := <-r.news: // news first
			if err := send(c); err != nil {
				return err
			}
			continue
		default:
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case c := <-r.news:
			if err := send(c); err != nil {
				return err
			}
		case <-tick.C:
		}
	}
}

// A store's change feed: what jwtd receives through Watch.
func ExampleChangeFeed() {
	exp := time.Now().Add(time.Hour)
	r := &revocations{current: map[string]time.Time{"a1": exp}, news: make(chan sdk.Change, 1)}
	r.news <- sdk.Change{Kind: sdk.ChangeBlacklisted, JTI: "b2", ExpiresAt: exp}

	ctx, cancel := context.WithCancel(context.Background())
	var got []string
	err := r.Watch(ctx, func(c sdk.Change) error {
		got = append(got, strings.TrimSpace(c.Kind.String()+" "+c.JTI))
		if len(got) == 5 {
			cancel()
		}
		return nil
	})
	for _, g := range got {
		fmt.Println(g)
	}
	fmt.Println(err)
	// Output:
	// reset
	// blacklisted a1
	// synced
	// blacklisted b2
	// synced
	// context canceled
}

// sessionStore stands for a blacklist store whose feed reports every
// session revocation and not-before move (as the SQLite, Redis and
// PostgreSQL stores do).
type sessionStore struct{ revocations }

// SessionsInFeed implements sdk.SessionFeed.
func (*sessionStore) SessionsInFeed() bool { return true }

// A store says its feed carries sessions; only then does the host answer
// the session check of revoke_access_tokens from memory.
func ExampleSessionFeed() {
	var store any = &sessionStore{}
	sf, ok := store.(sdk.SessionFeed)
	fmt.Println(ok && sf.SessionsInFeed())
	var plain any = &revocations{}
	_, ok = plain.(sdk.SessionFeed)
	fmt.Println(ok)
	// Output:
	// true
	// false
}
