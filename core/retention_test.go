package core_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
)

// recordingStore is a memory blacklist that remembers every record the
// core hands it, so tests can read the ExpiresAt the core decided.
type recordingStore struct {
	*memory.BlacklistStore
	mu      sync.Mutex
	records map[string]sdk.TokenRecord // "outstanding:"/"blacklist:" + jti
}

func (r *recordingStore) AddOutstanding(ctx context.Context, t sdk.TokenRecord) error {
	r.keep("outstanding:", t)
	return r.BlacklistStore.AddOutstanding(ctx, t)
}

func (r *recordingStore) Blacklist(ctx context.Context, t sdk.TokenRecord) (bool, error) {
	r.keep("blacklist:", t)
	return r.BlacklistStore.Blacklist(ctx, t)
}

func (r *recordingStore) keep(kind string, t sdk.TokenRecord) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records[kind+t.JTI] = t
}

func (r *recordingStore) record(t *testing.T, kind, jti string) sdk.TokenRecord {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	rec, ok := r.records[kind+jti]
	if !ok {
		t.Fatalf("no %s record for %s", kind, jti)
	}
	return rec
}

// TestRecordExpiresAt: the expiry the core hands every blacklist store
// covers the whole time some copy of the token can be accepted: exp +
// leeway (rounded up to whole seconds), and for a sliding token the
// freshest refreshed copy's exp + leeway, capped at the last second of year
// 9999.
func TestRecordExpiresAt(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		leeway time.Duration
	}{
		{"no leeway", 0},
		{"90 s", 90 * time.Second},
		{"fractional, rounded up", 1500 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := hsSettings(t)
			s.Leeway = c.leeway
			lw := int64((c.leeway + time.Second - 1) / time.Second)
			store := &recordingStore{BlacklistStore: memory.NewBlacklistStore(), records: map[string]sdk.TokenRecord{}}
			e := newEnv(t, hsSettings(t), envOpt{})
			svc, err := core.New(s, core.Plugins{Users: e.users, Blacklist: store}, core.WithClock(newClock(testNow).Now))
			if err != nil {
				t.Fatal(err)
			}
			check := func(what string, rec sdk.TokenRecord, want int64) {
				t.Helper()
				if got := rec.ExpiresAt.Unix(); got != want {
					t.Errorf("%s: ExpiresAt %d, want %d (%+d)", what, got, want, got-want)
				}
			}

			pair, err := svc.IssueFor(ctx, e.alice)
			if err != nil {
				t.Fatal(err)
			}
			rc := claimsOf(t, pair.Refresh)
			exp := asInt64(t, rc["exp"])
			check("outstanding refresh", store.record(t, "outstanding:", rc["jti"].(string)), exp+lw)
			if err := svc.Blacklist(ctx, pair.Refresh); err != nil {
				t.Fatal(err)
			}
			check("blacklisted refresh", store.record(t, "blacklist:", rc["jti"].(string)), exp+lw)

			sl, err := svc.IssueSlidingFor(ctx, e.alice)
			if err != nil {
				t.Fatal(err)
			}
			sc := claimsOf(t, sl.Token)
			last := asInt64(t, sc["refresh_exp"]) + int64(s.SlidingTokenLifetime/time.Second) + 2*lw
			check("outstanding sliding", store.record(t, "outstanding:", sc["jti"].(string)), last)
			if err := svc.BlacklistAny(ctx, sl.Token); err != nil {
				t.Fatal(err)
			}
			check("blacklisted sliding", store.record(t, "blacklist:", sc["jti"].(string)), last)

			// A refresh token expiring at the last representable second.
			edge := craft(t, jwtHS256, hs256, `{"token_type":"refresh","exp":253402300799,"jti":"edge","user_id":"1"}`)
			if err := svc.Blacklist(ctx, edge); err != nil {
				t.Fatal(err)
			}
			check("blacklisted at the end of year 9999", store.record(t, "blacklist:", "edge"), 253402300799)
		})
	}
}

func asInt64(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(interface{ Int64() (int64, error) })
	if !ok {
		t.Fatalf("%v is not a number", v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatal(err)
	}
	return i
}
