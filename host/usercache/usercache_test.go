package usercache_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/usercache"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
	"github.com/jwtd/jwtd/sdk/sdktest"
	"github.com/jwtd/jwtd/sdk/wire"
)

// counting is a real in-memory store that counts LookupUser calls and can
// be made to fail them.
type counting struct {
	*memory.UserStore
	lookups atomic.Int64
	fail    atomic.Pointer[error]
}

func (c *counting) LookupUser(ctx context.Context, field, value string) (sdk.User, error) {
	c.lookups.Add(1)
	if e := c.fail.Load(); e != nil {
		return sdk.User{}, *e
	}
	return c.UserStore.LookupUser(ctx, field, value)
}

// clock is an injectable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func setup(t *testing.T, users int, o usercache.Options) (*counting, sdk.UserStore, *clock) {
	t.Helper()
	ctx := context.Background()
	c := &counting{UserStore: memory.NewUserStore()}
	for i := range users {
		if _, err := c.CreateUser(ctx, sdk.NewUser{Username: fmt.Sprintf("u%d", i), Password: "pw-123456", IsActive: true,
			Attributes: map[string]any{"email": fmt.Sprintf("u%d@example.com", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	o.Now = clk.now
	return c, wrap(t, c, o), clk
}

// caches remembers each wrapped store's cache, for size.
var caches sync.Map // sdk.UserStore → *usercache.Cache

// wrap serves store in process behind a cache, as the daemon does.
func wrap(t testing.TB, store sdk.UserStore, o usercache.Options) sdk.UserStore {
	t.Helper()
	cache, err := usercache.New(o)
	if err != nil {
		t.Fatal(err)
	}
	e, err := wire.Local(wire.KindUserStore, store)
	if err != nil {
		t.Fatal(err)
	}
	s := wire.UserStore(cache.Wrap(e))
	caches.Store(s, cache)
	return s
}

// size is the cache's entry count.
func size(s sdk.UserStore) int {
	c, _ := caches.Load(s)
	return c.(*usercache.Cache).Len()
}

var cached = usercache.Cacheable(context.Background())

func lookup(t *testing.T, s sdk.UserStore, ctx context.Context, id string) sdk.User {
	t.Helper()
	u, err := s.LookupUser(ctx, "id", id)
	if err != nil {
		t.Fatalf("LookupUser(%s): %v", id, err)
	}
	return u
}

// TestHitsMissesAndExpiry: within the TTL a marked lookup is served from
// the cache; at the TTL it reaches the store again; unmarked lookups always
// reach the store.
func TestHitsMissesAndExpiry(t *testing.T) {
	type step struct {
		advance   time.Duration
		marked    bool
		wantCalls int64 // store lookups so far
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"repeat within ttl hits", []step{{0, true, 1}, {time.Second, true, 1}, {999 * time.Millisecond, true, 1}}},
		{"expires at ttl", []step{{0, true, 1}, {2 * time.Second, true, 2}, {time.Second, true, 2}}},
		{"unmarked always asks", []step{{0, false, 1}, {0, false, 2}, {0, true, 2}, {0, false, 3}}},
		{"unmarked refreshes entry", []step{{0, true, 1}, {1500 * time.Millisecond, false, 2}, {1500 * time.Millisecond, true, 2}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, s, clk := setup(t, 1, usercache.Options{TTL: 2 * time.Second})
			want := lookup(t, c.UserStore, context.Background(), "1")
			for i, st := range tc.steps {
				clk.add(st.advance)
				ctx := context.Background()
				if st.marked {
					ctx = cached
				}
				if got := lookup(t, s, ctx, "1"); got.Username != want.Username || got.ID != want.ID {
					t.Fatalf("step %d: user %+v, want %+v", i, got, want)
				}
				if n := c.lookups.Load(); n != st.wantCalls {
					t.Fatalf("step %d: store lookups = %d, want %d", i, n, st.wantCalls)
				}
			}
		})
	}
}

// TestCachedUserIsACopy: a caller changing a returned user's attributes
// does not change what the next caller gets.
func TestCachedUserIsACopy(t *testing.T) {
	_, s, _ := setup(t, 1, usercache.Options{TTL: time.Minute})
	u := lookup(t, s, cached, "1")
	u.Attributes["email"] = "evil@example.com"
	if got := lookup(t, s, cached, "1").Attributes["email"]; got != "u0@example.com" {
		t.Fatalf("cached email = %v after a caller changed its copy", got)
	}
}

// TestErrorsNotCached: misses and failures reach the store every time, so
// a new user works at once and an outage is not remembered.
func TestErrorsNotCached(t *testing.T) {
	cases := []struct {
		name string
		err  error
	}{
		{"unavailable", sdk.ErrUnavailable},
		{"other error", errors.New("boom")},
		{"not found", sdk.ErrUserNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, s, _ := setup(t, 1, usercache.Options{TTL: time.Minute})
			c.fail.Store(&tc.err)
			for i := range 3 {
				// A plain error arrives as the plugin's message (it crossed
				// the adapters); a sentinel still matches.
				if _, err := s.LookupUser(cached, "id", "1"); err == nil || !strings.Contains(err.Error(), tc.err.Error()) ||
					tc.name != "other error" && !errors.Is(err, tc.err) {
					t.Fatalf("call %d: err = %v, want %v", i, err, tc.err)
				}
			}
			if n := c.lookups.Load(); n != 3 {
				t.Fatalf("store lookups = %d, want 3: an error was cached", n)
			}
			c.fail.Store(nil)
			lookup(t, s, cached, "1")
		})
	}
}

// TestNewUserFoundAtOnce: a lookup of a missing id, then the user created
// behind the cache's back, is found on the next lookup.
func TestNewUserFoundAtOnce(t *testing.T) {
	c, s, _ := setup(t, 1, usercache.Options{TTL: time.Minute})
	if _, err := s.LookupUser(cached, "id", "2"); !errors.Is(err, sdk.ErrUserNotFound) {
		t.Fatalf("err = %v, want ErrUserNotFound", err)
	}
	if _, err := c.CreateUser(context.Background(), sdk.NewUser{Username: "new", Password: "pw-123456", IsActive: true}); err != nil {
		t.Fatal(err)
	}
	if u := lookup(t, s, cached, "2"); u.Username != "new" {
		t.Fatalf("user = %+v", u)
	}
}

// TestNotFoundDropsEntry: an unmarked lookup that finds the user gone
// drops the cached entry for marked lookups too.
func TestNotFoundDropsEntry(t *testing.T) {
	c, s, _ := setup(t, 1, usercache.Options{TTL: time.Minute})
	lookup(t, s, cached, "1")
	if err := c.DeleteUser(context.Background(), "u0"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LookupUser(cached, "id", "1"); err != nil {
		t.Fatalf("within TTL the deleted user should still be served (documented trade-off), got %v", err)
	}
	if _, err := s.LookupUser(context.Background(), "id", "1"); !errors.Is(err, sdk.ErrUserNotFound) {
		t.Fatalf("unmarked err = %v", err)
	}
	if _, err := s.LookupUser(cached, "id", "1"); !errors.Is(err, sdk.ErrUserNotFound) {
		t.Fatalf("marked err after drop = %v", err)
	}
}

// TestSizeBound: the cache never holds more than Size entries and evicts
// the least recently used.
func TestSizeBound(t *testing.T) {
	c, s, _ := setup(t, 10, usercache.Options{TTL: time.Minute, Size: 3})
	for i := 1; i <= 10; i++ {
		lookup(t, s, cached, strconv.Itoa(i))
		if n := size(s); n > 3 {
			t.Fatalf("after %d users the cache holds %d entries", i, n)
		}
	}
	// 8, 9, 10 are cached; touching 8 makes 9 the oldest.
	before := c.lookups.Load()
	lookup(t, s, cached, "8")
	lookup(t, s, cached, "10")
	if n := c.lookups.Load() - before; n != 0 {
		t.Fatalf("recent users were evicted: %d store lookups", n)
	}
	lookup(t, s, cached, "1") // evicts 9
	before = c.lookups.Load()
	lookup(t, s, cached, "8")
	lookup(t, s, cached, "9")
	if n := c.lookups.Load() - before; n != 1 {
		t.Fatalf("store lookups = %d, want 1 (only the evicted least recently used user)", n)
	}
}

// TestAdminInvalidates: a change made through the wrapper's UserAdmin is
// seen by the next marked lookup, whatever field the user was cached by.
func TestAdminInvalidates(t *testing.T) {
	cases := []struct {
		name   string
		change func(a sdk.UserAdmin) error
		check  func(u sdk.User) bool
	}{
		{"deactivate", func(a sdk.UserAdmin) error { return a.SetActive(context.Background(), "u0", false) },
			func(u sdk.User) bool { return !u.IsActive }},
		{"password", func(a sdk.UserAdmin) error { return a.SetPassword(context.Background(), "u0", "new-pw-123") },
			nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, s, _ := setup(t, 1, usercache.Options{TTL: time.Minute})
			byID := lookup(t, s, cached, "1")
			if _, err := s.LookupUser(cached, "username", "u0"); err != nil {
				t.Fatal(err)
			}
			a, ok := sdk.As[sdk.UserAdmin](s)
			if !ok {
				t.Fatal("wrapper lost UserAdmin")
			}
			if err := tc.change(a); err != nil {
				t.Fatal(err)
			}
			for _, f := range []struct{ field, value string }{{"id", "1"}, {"username", "u0"}} {
				u, err := s.LookupUser(cached, f.field, f.value)
				if err != nil {
					t.Fatal(err)
				}
				if tc.check != nil && !tc.check(u) {
					t.Fatalf("by %s: stale user %+v", f.field, u)
				}
				if tc.check == nil && u.PasswordHash == byID.PasswordHash {
					t.Fatalf("by %s: stale password hash", f.field)
				}
			}
		})
	}
}

// TestConcurrent: many goroutines looking up, expiring and changing users
// at once; run with -race.
func TestConcurrent(t *testing.T) {
	_, s, clk := setup(t, 20, usercache.Options{TTL: time.Second, Size: 8})
	a := sdktest.Admin(t, s)
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				id := strconv.Itoa(1 + (g*7+i)%20)
				u, err := s.LookupUser(cached, "id", id)
				if err != nil {
					errc <- err
					return
				}
				if u.ID != id {
					errc <- fmt.Errorf("asked %s, got %s", id, u.ID)
					return
				}
				switch i % 50 {
				case 0:
					clk.add(300 * time.Millisecond)
				case 25:
					if err := a.SetActive(context.Background(), u.Username, i%100 == 25); err != nil {
						errc <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	if n := size(s); n > 8 {
		t.Fatalf("cache holds %d entries, bound is 8", n)
	}
}

// TestNewOptions: bad options are refused (no TTL means no cache, which
// the daemon decides by not making one).
func TestNewOptions(t *testing.T) {
	cases := []struct {
		name    string
		o       usercache.Options
		wantErr bool
	}{
		{"on", usercache.Options{TTL: time.Second}, false},
		{"zero ttl", usercache.Options{}, true},
		{"negative ttl", usercache.Options{TTL: -time.Second}, true},
		{"negative size", usercache.Options{TTL: time.Second, Size: -1}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := usercache.New(tc.o); (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
		})
	}
}

// TestPassThrough: Authenticate, LoginFields and RecordLogin always reach
// the store.
func TestPassThrough(t *testing.T) {
	c, s, _ := setup(t, 1, usercache.Options{TTL: time.Minute})
	ctx := usercache.Cacheable(context.Background())
	for range 2 {
		if _, err := s.Authenticate(ctx, sdk.Credentials{"username": "u0", "password": "wrong"}); !errors.Is(err, sdk.ErrInvalidCredentials) {
			t.Fatalf("wrong password: %v", err)
		}
	}
	if err := c.SetPassword(context.Background(), "u0", "changed-pw"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, sdk.Credentials{"username": "u0", "password": "changed-pw"}); err != nil {
		t.Fatalf("new password refused: %v", err)
	}
	at := time.Unix(1_900_000_000, 0).UTC()
	if err := s.RecordLogin(ctx, "1", at); err != nil {
		t.Fatal(err)
	}
	if u := lookup(t, c.UserStore, context.Background(), "1"); !u.LastLogin.Equal(at) {
		t.Fatalf("LastLogin = %v, want %v", u.LastLogin, at)
	}
	if f, err := s.LoginFields(ctx); err != nil || len(f) == 0 {
		t.Fatalf("LoginFields = %v, %v", f, err)
	}
}

// BenchmarkLookupHit is the cost of a cached lookup, to set against one
// out-of-process LookupUser (host/pluginhost BenchmarkCall).
func BenchmarkLookupHit(b *testing.B) {
	m := memory.NewUserStore()
	if _, err := m.CreateUser(context.Background(), sdk.NewUser{Username: "alice", Password: "pw-123456", IsActive: true,
		Attributes: map[string]any{"email": "a@example.com"}}); err != nil {
		b.Fatal(err)
	}
	s := wrap(b, m, usercache.Options{TTL: time.Minute})
	for b.Loop() {
		if _, err := s.LookupUser(cached, "id", "1"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFeedHooks: with Live set the cache answers only while it reports
// true; InvalidateID drops a user's entries whatever field looked them up,
// Clear drops all.
func TestFeedHooks(t *testing.T) {
	ctx := usercache.Cacheable(context.Background())
	var live atomic.Bool
	c, us, _ := setup(t, 3, usercache.Options{TTL: time.Minute, Live: live.Load})
	v, _ := caches.Load(us)
	cache := v.(*usercache.Cache)
	u0, err := c.LookupUser(context.Background(), "username", "u0")
	if err != nil {
		t.Fatal(err)
	}
	lookups := func(fn func()) int64 {
		before := c.lookups.Load()
		fn()
		return c.lookups.Load() - before
	}
	get := func(field, value string) {
		if _, err := us.LookupUser(ctx, field, value); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name  string
		live  bool
		setup func()
		want  int64 // store lookups of the two gets
	}{
		{"not live: every lookup asks", false, func() {}, 2},
		{"live: cached", true, func() {}, 0},
		{"InvalidateID drops the id and the username entries", true, func() { cache.InvalidateID(u0.ID) }, 2},
		{"cached again", true, func() {}, 0},
		{"Clear drops all", true, cache.Clear, 2},
		{"lagging again: asks", false, func() {}, 2},
	} {
		live.Store(tc.live)
		tc.setup()
		if n := lookups(func() { get("id", u0.ID); get("username", "u0") }); n != tc.want {
			t.Errorf("%s: %d store lookups, want %d", tc.name, n, tc.want)
		}
	}
	// Another user's invalidation leaves u0 cached.
	live.Store(true)
	cache.InvalidateID("no-such-id")
	if n := lookups(func() { get("id", u0.ID) }); n != 0 {
		t.Errorf("an unrelated invalidation dropped u0 (%d lookups)", n)
	}
}

// rehashing is a store that re-hashes the password on every successful
// login behind the cache's back, as the SQL stores' rehash_on_login does.
type rehashing struct {
	*memory.UserStore
}

func (r rehashing) Authenticate(ctx context.Context, creds sdk.Credentials) (sdk.User, error) {
	u, err := r.UserStore.Authenticate(ctx, creds)
	if err != nil {
		return u, err
	}
	if err := r.UserStore.SetPassword(ctx, u.Username, creds["password"]); err != nil {
		return sdk.User{}, err
	}
	return r.UserStore.LookupUser(ctx, "id", u.ID)
}

// TestLoginRehashInvalidates: a login whose store re-hashed the password
// drops the cached user, so the new tokens' revoke claim matches at once.
func TestLoginRehashInvalidates(t *testing.T) {
	ctx := context.Background()
	store := rehashing{memory.NewUserStore()}
	if _, err := store.CreateUser(ctx, sdk.NewUser{Username: "u0", Password: "pw-123456", IsActive: true}); err != nil {
		t.Fatal(err)
	}
	s := wrap(t, store, usercache.Options{TTL: time.Minute})
	before := lookup(t, s, cached, "1")
	after, err := s.Authenticate(ctx, sdk.Credentials{"username": "u0", "password": "pw-123456"})
	if err != nil {
		t.Fatal(err)
	}
	if after.PasswordHash == before.PasswordHash {
		t.Fatal("the test store did not re-hash")
	}
	if got := lookup(t, s, cached, "1"); got.PasswordHash != after.PasswordHash {
		t.Fatalf("cached hash after a re-hashing login is the old one")
	}
}
