package memory

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// BlacklistStore is an in-memory sdk.BlacklistStore. Blacklist is atomic
// under one mutex, so of concurrent calls with one JTI exactly one adds it.
// It is safe for concurrent use within one process (it cannot be shared
// across processes). Its embedded LoginFailureStore gives it the
// sdk.LoginFailureStore capability, its embedded SessionStore the
// sdk.SessionStore one.
type BlacklistStore struct {
	*LoginFailureStore
	*SessionStore

	mu          sync.Mutex
	outstanding map[string]sdk.TokenRecord
	blacklisted map[string]sdk.TokenRecord
}

// NewBlacklistStore returns an empty store.
func NewBlacklistStore() *BlacklistStore {
	return &BlacklistStore{
		LoginFailureStore: NewLoginFailureStore(0, nil),
		SessionStore:      NewSessionStore(),
		outstanding:       map[string]sdk.TokenRecord{},
		blacklisted:       map[string]sdk.TokenRecord{},
	}
}

func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: %v", sdk.ErrUnavailable, err)
	}
	return nil
}

// AddOutstanding records t; recording a JTI twice keeps the first record.
func (b *BlacklistStore) AddOutstanding(ctx context.Context, t sdk.TokenRecord) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.outstanding[t.JTI]; !ok {
		b.outstanding[t.JTI] = t
	}
	return nil
}

// Blacklist adds t.JTI unless present; it reports whether this call added it.
func (b *BlacklistStore) Blacklist(ctx context.Context, t sdk.TokenRecord) (bool, error) {
	if err := ctxErr(ctx); err != nil {
		return false, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.blacklisted[t.JTI]; ok {
		return false, nil
	}
	b.blacklisted[t.JTI] = t
	return true, nil
}

// IsBlacklisted reports whether jti is blacklisted.
func (b *BlacklistStore) IsBlacklisted(ctx context.Context, jti string) (bool, error) {
	if err := ctxErr(ctx); err != nil {
		return false, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.blacklisted[jti]
	return ok, nil
}

// FlushExpired drops entries whose ExpiresAt is before now.
func (b *BlacklistStore) FlushExpired(ctx context.Context, now time.Time) (int, error) {
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, m := range []map[string]sdk.TokenRecord{b.outstanding, b.blacklisted} {
		for k, r := range m {
			if r.ExpiresAt.Before(now) {
				delete(m, k)
				n++
			}
		}
	}
	return n + b.SessionStore.flushExpired(now), nil
}

// Outstanding returns the outstanding record for jti, if any (for tests).
func (b *BlacklistStore) Outstanding(jti string) (sdk.TokenRecord, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, ok := b.outstanding[jti]
	return r, ok
}

// Counts returns how many outstanding and blacklisted records the store
// holds, so tests can prove a refused request wrote nothing.
func (b *BlacklistStore) Counts() (outstanding, blacklisted int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.outstanding), len(b.blacklisted)
}

// Interface guards.
var (
	_ sdk.BlacklistStore    = (*BlacklistStore)(nil)
	_ sdk.LoginFailureStore = (*BlacklistStore)(nil)
	_ sdk.SessionStore      = (*BlacklistStore)(nil)
)
