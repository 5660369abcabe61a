package memory

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// SessionStore is an in-memory sdk.SessionStore for one process: every
// method runs under one mutex, which makes each atomic. BlacklistStore
// embeds one, so the in-memory blacklist store has the capability.
type SessionStore struct {
	mu        sync.Mutex
	sessions  map[string]*memSession // by session id
	notBefore map[string]time.Time   // by user id
}

type memSession struct {
	s        sdk.Session
	current  string
	consumed map[string]consumption // parent jti → its rotation
}

type consumption struct {
	child string
	at    time.Time
}

// NewSessionStore returns an empty store.
func NewSessionStore() *SessionStore {
	return &SessionStore{sessions: map[string]*memSession{}, notBefore: map[string]time.Time{}}
}

// CreateSession records s with first as its current token.
func (m *SessionStore) CreateSession(ctx context.Context, s sdk.Session, first string) error {
	if err := ctxErr(ctx); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s.Revoked = false
	m.sessions[s.ID] = &memSession{s: s, current: first, consumed: map[string]consumption{}}
	return nil
}

// RotateSession consumes parent and makes child current when the session
// is live and parent is current.
func (m *SessionStore) RotateSession(ctx context.Context, userID, id, parent, child string, now time.Time) (sdk.Rotation, error) {
	if err := ctxErr(ctx); err != nil {
		return sdk.Rotation{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ms, ok := m.sessions[id]
	if !ok || ms.s.UserID != userID || ms.s.Revoked || !now.Before(ms.s.ExpiresAt) {
		return sdk.Rotation{Outcome: sdk.Refused}, nil
	}
	if c, used := ms.consumed[parent]; used {
		_, childUsed := ms.consumed[c.child]
		return sdk.Rotation{Outcome: sdk.Reused, ConsumedAt: c.at, Child: c.child, ChildConsumed: childUsed}, nil
	}
	if parent != ms.current {
		return sdk.Rotation{Outcome: sdk.Refused}, nil
	}
	ms.consumed[parent] = consumption{child: child, at: now}
	ms.current = child
	ms.s.LastUsedAt = now
	return sdk.Rotation{Outcome: sdk.Rotated}, nil
}

// RevokeSession revokes one session; true when this call did.
func (m *SessionStore) RevokeSession(ctx context.Context, userID, id string) (bool, error) {
	if err := ctxErr(ctx); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ms, ok := m.sessions[id]
	if !ok || ms.s.UserID != userID || ms.s.Revoked {
		return false, nil
	}
	ms.s.Revoked = true
	return true, nil
}

// RevokeUserSessions revokes every session of userID and moves its
// NotBefore forward to notBefore.
func (m *SessionStore) RevokeUserSessions(ctx context.Context, userID string, notBefore time.Time) (int, error) {
	if err := ctxErr(ctx); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, ms := range m.sessions {
		if ms.s.UserID == userID && !ms.s.Revoked {
			ms.s.Revoked = true
			n++
		}
	}
	if notBefore.After(m.notBefore[userID]) {
		m.notBefore[userID] = notBefore
	}
	return n, nil
}

// Sessions lists live sessions of userID ("" for all), oldest first.
func (m *SessionStore) Sessions(ctx context.Context, userID string, now time.Time) ([]sdk.Session, error) {
	if err := ctxErr(ctx); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []sdk.Session
	for _, ms := range m.sessions {
		if (userID == "" || ms.s.UserID == userID) && !ms.s.Revoked && now.Before(ms.s.ExpiresAt) {
			out = append(out, ms.s)
		}
	}
	slices.SortFunc(out, func(a, b sdk.Session) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return compareStrings(a.ID, b.ID)
	})
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// SessionState reports whether session id is revoked (or unknown, or
// expired) and userID's NotBefore.
func (m *SessionStore) SessionState(ctx context.Context, userID, id string, now time.Time) (sdk.SessionState, error) {
	if err := ctxErr(ctx); err != nil {
		return sdk.SessionState{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	st := sdk.SessionState{NotBefore: m.notBefore[userID]}
	if id != "" {
		ms, ok := m.sessions[id]
		st.Revoked = !ok || ms.s.UserID != userID || ms.s.Revoked || !now.Before(ms.s.ExpiresAt)
	}
	return st, nil
}

// flushExpired drops sessions past their ExpiresAt and returns how many.
func (m *SessionStore) flushExpired(now time.Time) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for id, ms := range m.sessions {
		if ms.s.ExpiresAt.Before(now) {
			delete(m.sessions, id)
			n++
		}
	}
	return n
}

var _ sdk.SessionStore = (*SessionStore)(nil)
