package throttle_test

import (
	"fmt"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/throttle"
)

// clock is a fake time source the tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_700_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type attempt struct {
	advance  time.Duration // move the clock first
	addr     string
	username string
	ok       bool
	wait     time.Duration // expected retryAfter when !ok
}

func TestAllow(t *testing.T) {
	perAddr := throttle.Limit{Rate: 1, Burst: 2}        // 1/s, burst 2
	perUser := throttle.Limit{Rate: 1.0 / 10, Burst: 3} // 1 per 10s, burst 3
	tests := []struct {
		name     string
		cfg      throttle.Config
		attempts []attempt
	}{
		{
			name: "address burst then refill",
			cfg:  throttle.Config{PerAddr: perAddr},
			attempts: []attempt{
				{addr: "10.0.0.1", username: "a", ok: true},
				{addr: "10.0.0.1", username: "b", ok: true},
				{addr: "10.0.0.1", username: "c", ok: false, wait: time.Second},
				{advance: 500 * time.Millisecond, addr: "10.0.0.1", ok: false, wait: 500 * time.Millisecond},
				{advance: 500 * time.Millisecond, addr: "10.0.0.1", ok: true},
				{addr: "10.0.0.2", ok: true}, // another address has its own bucket
			},
		},
		{
			name: "username limited across addresses",
			cfg:  throttle.Config{PerAddr: perAddr, PerUsername: perUser},
			attempts: []attempt{
				{addr: "10.0.0.1", username: "alice", ok: true},
				{addr: "10.0.0.2", username: "alice", ok: true},
				{addr: "10.0.0.3", username: "alice", ok: true},
				{addr: "10.0.0.4", username: "alice", ok: false, wait: 10 * time.Second},
				{addr: "10.0.0.4", username: "bob", ok: true}, // refused attempt took nothing from 10.0.0.4
				{addr: "10.0.0.4", username: "carol", ok: true},
				{addr: "10.0.0.4", username: "dave", ok: false, wait: time.Second},
			},
		},
		{
			name: "refused attempts do not extend the wait",
			cfg:  throttle.Config{PerUsername: throttle.Limit{Rate: 1, Burst: 1}},
			attempts: []attempt{
				{username: "alice", ok: true},
				{username: "alice", ok: false, wait: time.Second},
				{username: "alice", ok: false, wait: time.Second},
				{username: "alice", ok: false, wait: time.Second},
				{advance: time.Second, username: "alice", ok: true},
			},
		},
		{
			name: "longest wait wins when both are empty",
			cfg:  throttle.Config{PerAddr: throttle.Limit{Rate: 1, Burst: 1}, PerUsername: throttle.Limit{Rate: 0.25, Burst: 1}},
			attempts: []attempt{
				{addr: "a", username: "u", ok: true},
				{addr: "a", username: "u", ok: false, wait: 4 * time.Second},
				{advance: time.Second, addr: "a", username: "u", ok: false, wait: 3 * time.Second},
				{addr: "a", username: "v", ok: true},
			},
		},
		{
			name: "zero config limits nothing",
			cfg:  throttle.Config{},
			attempts: []attempt{
				{addr: "a", username: "u", ok: true},
				{addr: "a", username: "u", ok: true},
				{addr: "a", username: "u", ok: true},
			},
		},
		{
			name: "empty keys skip their bucket",
			cfg:  throttle.Config{PerAddr: throttle.Limit{Rate: 1, Burst: 1}, PerUsername: throttle.Limit{Rate: 1, Burst: 1}},
			attempts: []attempt{
				{addr: "", username: "", ok: true},
				{addr: "", username: "", ok: true},
				{addr: "a", username: "", ok: true},
				{addr: "a", username: "", ok: false, wait: time.Second},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			tt.cfg.Now = c.Now
			l, err := throttle.New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i, a := range tt.attempts {
				c.Advance(a.advance)
				ok, wait := l.Allow(a.addr, a.username)
				if ok != a.ok || wait != a.wait {
					t.Fatalf("attempt %d (%s/%s): got ok=%v wait=%v, want ok=%v wait=%v", i, a.addr, a.username, ok, wait, a.ok, a.wait)
				}
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  throttle.Config
	}{
		{"negative burst", throttle.Config{PerAddr: throttle.Limit{Rate: 1, Burst: -1}}},
		{"rate without burst", throttle.Config{PerUsername: throttle.Limit{Rate: 1}}},
		{"zero rate with burst", throttle.Config{PerAddr: throttle.Limit{Burst: 5}}},
		{"negative rate", throttle.Config{PerAddr: throttle.Limit{Rate: -1, Burst: 5}}},
		{"infinite rate", throttle.Config{PerUsername: throttle.Limit{Rate: inf(), Burst: 5}}},
		{"negative max keys", throttle.Config{MaxKeys: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := throttle.New(tt.cfg); err == nil {
				t.Fatal("New accepted a bad config")
			}
		})
	}
}

func inf() float64 { var zero float64; return 1 / zero }

// TestMemoryBound sprays many more usernames and addresses than MaxKeys and
// checks that the number of buckets never passes the bound, and that the
// most recent key is still remembered (so eviction is LRU, not "forget all").
func TestMemoryBound(t *testing.T) {
	const maxKeys = 1000
	c := newClock()
	l, err := throttle.New(throttle.Config{
		PerAddr:     throttle.Limit{Rate: 1, Burst: 1 << 20},
		PerUsername: throttle.Limit{Rate: 1, Burst: 1},
		MaxKeys:     maxKeys,
		Now:         c.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range 50 * maxKeys {
		l.Allow(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), fmt.Sprintf("user-%d-%s", i, longName))
		if a, u := l.Len(); a > maxKeys || u > maxKeys {
			t.Fatalf("after %d attempts: %d address and %d username buckets, bound %d", i+1, a, u, maxKeys)
		}
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// Keys are hashed: 50k distinct 1 KB usernames must not be retained.
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 4<<20 {
		t.Errorf("heap grew by %d bytes for %d buckets", grown, 2*maxKeys)
	}
	last := fmt.Sprintf("user-%d-%s", 50*maxKeys-1, longName)
	if ok, _ := l.Allow("192.0.2.1", last); ok {
		t.Error("the most recently used username bucket was evicted")
	}
}

var longName = string(make([]byte, 1024))

// TestConcurrent hammers one username from many goroutines: exactly Burst
// attempts may pass with the clock standing still. Run with -race.
func TestConcurrent(t *testing.T) {
	const burst = 25
	c := newClock()
	l, err := throttle.New(throttle.Config{
		PerAddr:     throttle.Limit{Rate: 1, Burst: 1000},
		PerUsername: throttle.Limit{Rate: 1, Burst: burst},
		MaxKeys:     64,
		Now:         c.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	var passed atomic.Int64
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 50 {
				if ok, _ := l.Allow(fmt.Sprintf("10.0.%d.%d", g, i%4), "alice"); ok {
					passed.Add(1)
				}
				// Other usernames churn the LRU concurrently.
				l.Allow("10.9.9.9", fmt.Sprintf("spray-%d-%d", g, i))
			}
		})
	}
	wg.Wait()
	if got := passed.Load(); got != burst {
		t.Fatalf("%d attempts passed for one username, want exactly %d", got, burst)
	}
}

func TestClientAddr(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	tests := []struct {
		name   string
		res    throttle.AddrResolver
		remote string
		xff    []string
		want   string
	}{
		{"ipv4 remote", throttle.AddrResolver{}, "192.0.2.7:5555", nil, "192.0.2.7"},
		{"header ignored without trusted proxies", throttle.AddrResolver{}, "192.0.2.7:5555", []string{"203.0.113.9"}, "192.0.2.7"},
		{"header ignored from untrusted peer", throttle.AddrResolver{TrustedProxies: proxies}, "192.0.2.7:5555", []string{"203.0.113.9"}, "192.0.2.7"},
		{"trusted proxy", throttle.AddrResolver{TrustedProxies: proxies}, "10.1.2.3:80", []string{"203.0.113.9"}, "203.0.113.9"},
		{"client-written hops are skipped", throttle.AddrResolver{TrustedProxies: proxies}, "10.1.2.3:80", []string{"6.6.6.6, 203.0.113.9, 10.0.0.5"}, "203.0.113.9"},
		{"several header lines", throttle.AddrResolver{TrustedProxies: proxies}, "10.1.2.3:80", []string{"6.6.6.6", "203.0.113.9"}, "203.0.113.9"},
		{"garbage hop keeps the last good one", throttle.AddrResolver{TrustedProxies: proxies}, "10.1.2.3:80", []string{"203.0.113.9, nonsense"}, "10.1.2.3"},
		{"custom header", throttle.AddrResolver{TrustedProxies: proxies, ProxyHeader: "X-Real-IP"}, "[::1]:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"ipv6 grouped by /64", throttle.AddrResolver{}, "[2001:db8:1:2:aaaa::1]:443", nil, "2001:db8:1:2::/64"},
		{"ipv6 custom prefix", throttle.AddrResolver{IPv6PrefixLen: 128}, "[2001:db8::1]:443", nil, "2001:db8::1/128"},
		{"mapped ipv4", throttle.AddrResolver{}, "[::ffff:192.0.2.7]:1", nil, "192.0.2.7"},
		{"unparseable remote kept", throttle.AddrResolver{}, "@", nil, "@"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/api/token/", nil)
			r.RemoteAddr = tt.remote
			header := tt.res.ProxyHeader
			if header == "" {
				header = "X-Forwarded-For"
			}
			for _, v := range tt.xff {
				r.Header.Add(header, v)
			}
			if got := tt.res.ClientAddr(r); got != tt.want {
				t.Errorf("ClientAddr = %q, want %q", got, tt.want)
			}
		})
	}
}

func ExampleLimiter_Allow() {
	limiter, err := throttle.New(throttle.Config{
		PerAddr:     throttle.PerMinute(20, 10),
		PerUsername: throttle.PerMinute(5, 5),
	})
	if err != nil {
		panic(err)
	}
	for range 6 {
		if ok, wait := limiter.Allow("192.0.2.1", throttle.AccountKey("Alice")); ok {
			fmt.Println("allowed")
		} else {
			fmt.Printf("refused: Retry-After %d\n", throttle.RetryAfterSeconds(wait))
		}
	}
	// Output:
	// allowed
	// allowed
	// allowed
	// allowed
	// allowed
	// refused: Retry-After 12
}
