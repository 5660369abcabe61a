// Package usercache is an opt-in, short-lived cache of UserStore.LookupUser
// results in front of a user store ([plugins.user_store] cache_ttl).
//
// Why: request authentication (GET /api/token/authenticate/, core
// Authenticate) looks the token's user up on every request. With an
// out-of-process user store that is one gRPC round trip per request, which
// bounds the request rate; a cache of a few seconds removes it for a user
// that makes repeated requests.
//
// The trade-off: with a TTL of T, a deactivation, deletion or password
// change (CHECK_REVOKE_TOKEN) made in the store behind jwtd's back — another
// process writing the database, or the jwtd CLI run as a separate process —
// takes up to T to reach request authentication. Changes made through the
// wrapper's own UserAdmin methods drop that user's entries at once.
//
// Only lookups whose context is marked with [Cacheable] are answered from
// the cache; jwtd marks only the authenticate endpoint's. Refresh's user
// re-check, obtain, the CLI and every other caller reach the store every
// time, and their successful results refresh the cache (a miss drops it).
// Only successes are cached: ErrUserNotFound, ErrUnavailable and every other
// error are not, so a newly created user works at once and an outage is not
// remembered. Authenticate, LoginFields and RecordLogin pass through.
package usercache

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"sync"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// DefaultSize is the entry bound when Options.Size is 0.
const DefaultSize = 10000

// Options configure New.
type Options struct {
	// TTL is how long a looked-up user is served from the cache. It must be
	// positive; a zero TTL means no cache, and New returns the store as it is.
	TTL time.Duration
	// Size bounds the number of entries (default DefaultSize); the least
	// recently used entry is evicted first.
	Size int
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
}

type cacheableKey struct{}

// Cacheable marks ctx so that LookupUser calls made with it may be answered
// from the cache. Without the mark the store is always asked.
func Cacheable(ctx context.Context) context.Context {
	return context.WithValue(ctx, cacheableKey{}, true)
}

func cacheable(ctx context.Context) bool {
	v, _ := ctx.Value(cacheableKey{}).(bool)
	return v
}

type key struct{ field, value string }

type entry struct {
	key     key
	user    sdk.User
	expires time.Time
}

// Store is the caching wrapper. New returns it combined with whichever of
// sdk.UserAdmin, sdk.Pinger and io.Closer the wrapped store implements.
type Store struct {
	next sdk.UserStore
	ttl  time.Duration
	size int
	now  func() time.Time

	mu    sync.Mutex
	lru   *list.List // of *entry, most recently used at the front
	items map[key]*list.Element
	// gen counts invalidations: a lookup started before one must not store
	// what it read, which may predate the change.
	gen uint64
}

// New wraps next in a LookupUser cache. With o.TTL == 0 it returns next
// unchanged. The result implements sdk.UserAdmin, sdk.Pinger and io.Closer
// exactly when next does.
func New(next sdk.UserStore, o Options) (sdk.UserStore, error) {
	if next == nil {
		return nil, errors.New("usercache: nil user store")
	}
	if o.TTL == 0 {
		return next, nil
	}
	if o.TTL < 0 {
		return nil, fmt.Errorf("usercache: negative TTL %v", o.TTL)
	}
	if o.Size < 0 {
		return nil, fmt.Errorf("usercache: negative size %d", o.Size)
	}
	if o.Size == 0 {
		o.Size = DefaultSize
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Store{next: next, ttl: o.TTL, size: o.Size, now: o.Now, lru: list.New(), items: map[key]*list.Element{}}
	return s.withOptional(), nil
}

// withOptional re-exposes exactly the optional interfaces of the wrapped
// store, since callers discover abilities by type assertion.
func (s *Store) withOptional() sdk.UserStore {
	p, isPinger := s.next.(sdk.Pinger)
	c, isCloser := s.next.(io.Closer)
	if _, isAdmin := s.next.(sdk.UserAdmin); isAdmin {
		a := &admin{s}
		switch {
		case isPinger && isCloser:
			return struct {
				*admin
				sdk.Pinger
				io.Closer
			}{a, p, c}
		case isPinger:
			return struct {
				*admin
				sdk.Pinger
			}{a, p}
		case isCloser:
			return struct {
				*admin
				io.Closer
			}{a, c}
		default:
			return a
		}
	}
	switch {
	case isPinger && isCloser:
		return struct {
			*Store
			sdk.Pinger
			io.Closer
		}{s, p, c}
	case isPinger:
		return struct {
			*Store
			sdk.Pinger
		}{s, p}
	case isCloser:
		return struct {
			*Store
			io.Closer
		}{s, c}
	default:
		return s
	}
}

// LoginFields passes through.
func (s *Store) LoginFields(ctx context.Context) ([]string, error) { return s.next.LoginFields(ctx) }

// Authenticate passes through: credentials are always checked by the store.
func (s *Store) Authenticate(ctx context.Context, creds sdk.Credentials) (sdk.User, error) {
	return s.next.Authenticate(ctx, creds)
}

// RecordLogin passes through.
func (s *Store) RecordLogin(ctx context.Context, userID string, at time.Time) error {
	return s.next.RecordLogin(ctx, userID, at)
}

// LookupUser answers from the cache when ctx is [Cacheable] and a fresh
// entry exists; otherwise it asks the store and caches a success.
func (s *Store) LookupUser(ctx context.Context, field, value string) (sdk.User, error) {
	k := key{field, value}
	s.mu.Lock()
	if cacheable(ctx) {
		if el, ok := s.items[k]; ok {
			e := el.Value.(*entry)
			if s.now().Before(e.expires) {
				s.lru.MoveToFront(el)
				u := e.user
				s.mu.Unlock()
				return clone(u), nil
			}
			s.remove(el)
		}
	}
	gen := s.gen
	s.mu.Unlock()

	u, err := s.next.LookupUser(ctx, field, value)

	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err == nil && gen == s.gen:
		s.put(k, clone(u))
	case errors.Is(err, sdk.ErrUserNotFound):
		// The store says the user is gone: forget it for everyone.
		if el, ok := s.items[k]; ok {
			s.remove(el)
		}
	}
	return u, err
}

// Len reports the number of cached entries, expired ones included. Every
// wrapper New returns for a positive TTL has it (interface{ Len() int }).
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.Len()
}

func (s *Store) put(k key, u sdk.User) {
	exp := s.now().Add(s.ttl)
	if el, ok := s.items[k]; ok {
		e := el.Value.(*entry)
		e.user, e.expires = u, exp
		s.lru.MoveToFront(el)
		return
	}
	s.items[k] = s.lru.PushFront(&entry{key: k, user: u, expires: exp})
	for s.lru.Len() > s.size {
		s.remove(s.lru.Back())
	}
}

func (s *Store) remove(el *list.Element) {
	delete(s.items, el.Value.(*entry).key)
	s.lru.Remove(el)
}

// invalidate drops every entry of the user with this username (whatever
// field it was looked up by) and stops in-flight lookups from storing.
func (s *Store) invalidate(username string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	for el := s.lru.Front(); el != nil; {
		next := el.Next()
		if el.Value.(*entry).user.Username == username {
			s.remove(el)
		}
		el = next
	}
}

// clone copies the attribute map so that a caller changing the returned
// user cannot change the cached one.
func clone(u sdk.User) sdk.User {
	u.Attributes = maps.Clone(u.Attributes)
	return u
}

// admin adds sdk.UserAdmin to Store, for wrapped stores that have it.
type admin struct{ *Store }

// CreateUser passes through and drops any entry under the username, in
// case a user of that name was deleted behind jwtd's back.
func (a *admin) CreateUser(ctx context.Context, u sdk.NewUser) (sdk.User, error) {
	defer a.invalidate(u.Username)
	return a.next.(sdk.UserAdmin).CreateUser(ctx, u)
}

// SetPassword passes through and drops the user's entries, so that
// CHECK_REVOKE_TOKEN refuses its old tokens at once.
func (a *admin) SetPassword(ctx context.Context, username, password string) error {
	defer a.invalidate(username)
	return a.next.(sdk.UserAdmin).SetPassword(ctx, username, password)
}

// SetActive passes through and drops the user's entries, so that a
// deactivation takes effect at once.
func (a *admin) SetActive(ctx context.Context, username string, active bool) error {
	defer a.invalidate(username)
	return a.next.(sdk.UserAdmin).SetActive(ctx, username, active)
}
