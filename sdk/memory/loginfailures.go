package memory

import (
	"container/list"
	"context"
	"sync"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// DefaultMaxLoginFailureKeys is how many counters NewBlacklistStore's
// LoginFailureStore keeps.
const DefaultMaxLoginFailureKeys = 100_000

// LoginFailureStore is an in-memory sdk.LoginFailureStore for one process,
// holding at most a fixed number of counters: when full, the counter used
// least recently is forgotten, so an attacker spraying usernames or
// addresses cannot grow it without bound (and can only push out counters
// that are not being hit, which matter least). It is safe for concurrent
// use. jwtd itself counts in one when the blacklist store cannot share
// counters.
type LoginFailureStore struct {
	mu    sync.Mutex
	max   int
	lru   *list.List // of *failureEntry, most recently used at the front
	byKey map[string]*list.Element
	now   func() time.Time
}

type failureEntry struct {
	key   string
	count int
	ends  time.Time
}

// NewLoginFailureStore keeps at most maxKeys counters (DefaultMaxLoginFailureKeys
// when maxKeys is not positive) and reads the clock with now (time.Now when
// nil; tests pass a fake clock).
func NewLoginFailureStore(maxKeys int, now func() time.Time) *LoginFailureStore {
	if maxKeys <= 0 {
		maxKeys = DefaultMaxLoginFailureKeys
	}
	if now == nil {
		now = time.Now
	}
	return &LoginFailureStore{max: maxKeys, lru: list.New(), byKey: map[string]*list.Element{}, now: now}
}

// live returns key's counter when its window has not passed, dropping it
// otherwise. The caller holds mu.
func (s *LoginFailureStore) live(key string, now time.Time) *failureEntry {
	el, ok := s.byKey[key]
	if !ok {
		return nil
	}
	e := el.Value.(*failureEntry)
	if !now.Before(e.ends) {
		s.lru.Remove(el)
		delete(s.byKey, key)
		return nil
	}
	s.lru.MoveToFront(el)
	return e
}

func (e *failureEntry) snapshot(now time.Time) sdk.LoginFailureCount {
	if e == nil {
		return sdk.LoginFailureCount{}
	}
	return sdk.LoginFailureCount{Count: e.count, ResetIn: e.ends.Sub(now)}
}

// AddLoginFailure counts one failure on key; a new counter ends window from
// now, and a live one keeps its end.
func (s *LoginFailureStore) AddLoginFailure(ctx context.Context, key string, window time.Duration) (sdk.LoginFailureCount, error) {
	if err := ctxErr(ctx); err != nil {
		return sdk.LoginFailureCount{}, err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.live(key, now)
	if e == nil {
		if s.lru.Len() >= s.max {
			oldest := s.lru.Back()
			s.lru.Remove(oldest)
			delete(s.byKey, oldest.Value.(*failureEntry).key)
		}
		e = &failureEntry{key: key, ends: now.Add(window)}
		s.byKey[key] = s.lru.PushFront(e)
	}
	e.count++
	return e.snapshot(now), nil
}

// LoginFailures returns key's live counter.
func (s *LoginFailureStore) LoginFailures(ctx context.Context, key string) (sdk.LoginFailureCount, error) {
	if err := ctxErr(ctx); err != nil {
		return sdk.LoginFailureCount{}, err
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live(key, now).snapshot(now), nil
}

// ClearLoginFailures forgets key's counter.
func (s *LoginFailureStore) ClearLoginFailures(ctx context.Context, key string) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.byKey[key]; ok {
		s.lru.Remove(el)
		delete(s.byKey, key)
	}
	return nil
}

// Len reports how many counters are held, live or not yet dropped.
func (s *LoginFailureStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.Len()
}

// Interface guard.
var _ sdk.LoginFailureStore = (*LoginFailureStore)(nil)
