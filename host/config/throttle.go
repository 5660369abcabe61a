package config

import (
	"fmt"
	"net/netip"
	"runtime"
	"time"
)

// Throttle is [server.throttle]: limits on login attempts (obtain and
// sliding obtain), the requests that run the password hasher.
type Throttle struct {
	// LoginRatePerAddr is login attempts per minute allowed per client
	// address (IPv6 by /64); 0 (default) means no per-address limit, as in
	// Simple JWT, which has none.
	LoginRatePerAddr float64
	// LoginRatePerUsername is login attempts per minute per username from
	// any address; 0 (default) means no limit.
	LoginRatePerUsername float64
	// LoginBurst is how many attempts may come at once before the rates
	// apply (default 10).
	LoginBurst int
	// TrustedProxies are reverse proxies whose ProxyHeader names the client;
	// empty (default) means the TCP peer is the client.
	TrustedProxies []netip.Prefix
	// ProxyHeader is the header trusted proxies write (default
	// X-Forwarded-For).
	ProxyHeader string
	// LoginConcurrency bounds logins hashing at once (default: the number of
	// CPUs), so a burst cannot exhaust memory with argon2; excess logins
	// wait up to LoginMaxWait (default 5s), then get 429.
	LoginConcurrency int
	LoginMaxWait     time.Duration
}

type rawThrottle struct {
	LoginRatePerAddr     *float64 `toml:"login_rate_per_addr"`
	LoginRatePerUsername *float64 `toml:"login_rate_per_username"`
	LoginBurst           *int64   `toml:"login_burst"`
	TrustedProxies       []string `toml:"trusted_proxies"`
	ProxyHeader          *string  `toml:"proxy_header"`
	LoginConcurrency     *int64   `toml:"login_concurrency"`
	LoginMaxWait         *string  `toml:"login_max_wait"`
}

// DefaultThrottle returns the [server.throttle] defaults.
func DefaultThrottle() Throttle {
	return Throttle{LoginBurst: 10, LoginConcurrency: runtime.NumCPU(), LoginMaxWait: 5 * time.Second}
}

func (r rawThrottle) build() (Throttle, error) {
	t := DefaultThrottle()
	for _, f := range []struct {
		key string
		v   *float64
		dst *float64
	}{
		{"server.throttle.login_rate_per_addr", r.LoginRatePerAddr, &t.LoginRatePerAddr},
		{"server.throttle.login_rate_per_username", r.LoginRatePerUsername, &t.LoginRatePerUsername},
	} {
		if f.v == nil {
			continue
		}
		if *f.v < 0 {
			return t, invalid(f.key, "must not be negative")
		}
		*f.dst = *f.v
	}
	if r.LoginBurst != nil {
		if *r.LoginBurst < 1 || *r.LoginBurst > 1<<20 {
			return t, invalid("server.throttle.login_burst", "must be between 1 and %d", 1<<20)
		}
		t.LoginBurst = int(*r.LoginBurst)
	}
	for i, p := range r.TrustedProxies {
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return t, invalid(fmt.Sprintf("server.throttle.trusted_proxies[%d]", i), "%q is not an address or CIDR network", p)
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		t.TrustedProxies = append(t.TrustedProxies, prefix.Masked())
	}
	if r.ProxyHeader != nil {
		h, err := HeaderName(*r.ProxyHeader)
		if err != nil {
			return t, invalid("server.throttle.proxy_header", "%v", err)
		}
		t.ProxyHeader = h
	}
	if r.LoginConcurrency != nil {
		if *r.LoginConcurrency < 1 || *r.LoginConcurrency > 1<<16 {
			return t, invalid("server.throttle.login_concurrency", "must be between 1 and %d", 1<<16)
		}
		t.LoginConcurrency = int(*r.LoginConcurrency)
	}
	if r.LoginMaxWait != nil {
		d, err := time.ParseDuration(*r.LoginMaxWait)
		if err != nil || d < 0 {
			return t, invalid("server.throttle.login_max_wait", "%q is not a non-negative duration", *r.LoginMaxWait)
		}
		t.LoginMaxWait = d
	}
	return t, nil
}
