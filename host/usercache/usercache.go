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
// remembered. A successful Authenticate drops that user's entries (the store
// may have re-hashed the password); LoginFields and RecordLogin pass through.
//
// The cache wraps a user store's endpoint (its connection), not the store's
// methods: it answers LookupUser replies and watches the admin requests by
// their wire messages, so it works the same in process and out of process
// and needs no wrapper type per combination of optional interfaces.
package usercache

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/jwtd/jwtd/sdk"
	userstorev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/userstore/v1"
	"github.com/jwtd/jwtd/sdk/wire"
)

// DefaultSize is the entry bound when Options.Size is 0.
const DefaultSize = 10000

// Options configure New.
type Options struct {
	// TTL is how long a looked-up user is served from the cache. It must be
	// positive.
	TTL time.Duration
	// Size bounds the number of entries (default DefaultSize); the least
	// recently used entry is evicted first.
	Size int
	// Now is the clock (default time.Now); tests inject one.
	Now func() time.Time
	// Live, when set, gates every answer from the cache: the user store's
	// change feed (host/feed) is synchronised and recent, so InvalidateID
	// and Clear have told the cache every change up to a bounded lag. While
	// it reports false every lookup asks the store.
	Live func() bool
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
	reply   *userstorev1.UserResponse
	expires time.Time
}

// Cache is a LookupUser cache for one user store endpoint.
type Cache struct {
	ttl  time.Duration
	size int
	now  func() time.Time
	live func() bool

	mu    sync.Mutex
	lru   *list.List // of *entry, most recently used at the front
	items map[key]*list.Element
	// gen counts invalidations: a lookup started before one must not store
	// what it read, which may predate the change.
	gen uint64
	// byOther counts entries looked up by a field other than "id", which
	// InvalidateID must search for; with none it drops one key.
	byOther int
}

// New returns a cache with options o; o.TTL must be positive.
func New(o Options) (*Cache, error) {
	if o.TTL <= 0 {
		return nil, fmt.Errorf("usercache: TTL must be positive, got %v", o.TTL)
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
	return &Cache{ttl: o.TTL, size: o.Size, now: o.Now, live: o.Live, lru: list.New(), items: map[key]*list.Element{}}, nil
}

// Wrap returns the user store endpoint e with the cache in front of its
// LookupUser calls. The admin calls (CreateUser, SetPassword, SetActive)
// drop the named user's entries.
func (c *Cache) Wrap(e wire.Endpoint) wire.Endpoint {
	return e.With(c.intercept)
}

func (c *Cache) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoke grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	call := func(ctx context.Context) error { return invoke(ctx, method, req, reply, cc, opts...) }
	switch r := req.(type) {
	case *userstorev1.LookupUserRequest:
		return c.lookup(ctx, key{r.GetField(), r.GetValue()}, reply.(*userstorev1.UserResponse), call)
	case *userstorev1.CreateUserRequest:
		// Drops any entry under the username, in case a user of that name
		// was deleted behind jwtd's back.
		defer c.invalidate(r.GetUsername())
	case *userstorev1.SetPasswordRequest:
		// So that CHECK_REVOKE_TOKEN refuses the old tokens at once.
		defer c.invalidate(r.GetUsername())
	case *userstorev1.SetActiveRequest:
		// So that a deactivation takes effect at once.
		defer c.invalidate(r.GetUsername())
	case *userstorev1.AuthenticateRequest:
		// A store may re-hash the password on a successful login (Django's
		// check_password upgrade, rehash_on_login): the tokens issued now
		// carry the revoke claim of the new hash, so a cached copy of the
		// old hash would refuse them under CHECK_REVOKE_TOKEN.
		err := call(ctx)
		if err == nil {
			c.InvalidateID(reply.(*userstorev1.UserResponse).GetUser().GetId())
		}
		return err
	}
	return call(ctx)
}

// lookup answers from the cache when ctx is [Cacheable] and a fresh entry
// exists; otherwise it asks the store and caches a success.
func (c *Cache) lookup(ctx context.Context, k key, reply *userstorev1.UserResponse, call func(context.Context) error) error {
	c.mu.Lock()
	if cacheable(ctx) && (c.live == nil || c.live()) {
		if el, ok := c.items[k]; ok {
			e := el.Value.(*entry)
			if c.now().Before(e.expires) {
				c.lru.MoveToFront(el)
				// A copy: the caller decodes its own user from it.
				proto.Merge(reply, e.reply)
				c.mu.Unlock()
				return nil
			}
			c.remove(el)
		}
	}
	gen := c.gen
	c.mu.Unlock()

	err := call(ctx)

	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err == nil && gen == c.gen:
		c.put(k, proto.Clone(reply).(*userstorev1.UserResponse))
	case errors.Is(err, sdk.ErrUserNotFound):
		// The store says the user is gone: forget it for everyone.
		if el, ok := c.items[k]; ok {
			c.remove(el)
		}
	}
	return err
}

// Len reports the number of cached entries, expired ones included.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

func (c *Cache) put(k key, r *userstorev1.UserResponse) {
	exp := c.now().Add(c.ttl)
	if el, ok := c.items[k]; ok {
		e := el.Value.(*entry)
		e.reply, e.expires = r, exp
		c.lru.MoveToFront(el)
		return
	}
	c.items[k] = c.lru.PushFront(&entry{key: k, reply: r, expires: exp})
	if k.field != "id" {
		c.byOther++
	}
	for c.lru.Len() > c.size {
		c.remove(c.lru.Back())
	}
}

func (c *Cache) remove(el *list.Element) {
	k := el.Value.(*entry).key
	if k.field != "id" {
		c.byOther--
	}
	delete(c.items, k)
	c.lru.Remove(el)
}

// invalidate drops every entry of the user with this username (whatever
// field it was looked up by) and stops in-flight lookups from storing.
func (c *Cache) invalidate(username string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for el := c.lru.Front(); el != nil; {
		next := el.Next()
		if el.Value.(*entry).reply.GetUser().GetUsername() == username {
			c.remove(el)
		}
		el = next
	}
}

// InvalidateID drops every entry of the user with this id (a change feed's
// ChangeUser) and stops in-flight lookups from storing what they read.
func (c *Cache) InvalidateID(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if el, ok := c.items[key{"id", id}]; ok {
		c.remove(el)
	}
	if c.byOther == 0 {
		// Every entry is keyed by id (USER_ID_FIELD "id", the default):
		// that was the only one.
		return
	}
	for el := c.lru.Front(); el != nil; {
		next := el.Next()
		if el.Value.(*entry).reply.GetUser().GetId() == id {
			c.remove(el)
		}
		el = next
	}
}

// Clear drops every entry (a change feed's resynchronisation).
func (c *Cache) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.lru.Init()
	clear(c.items)
	c.byOther = 0
}
