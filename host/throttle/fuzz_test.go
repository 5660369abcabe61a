package throttle_test

import (
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/jwtd/jwtd/host/throttle"
)

// FuzzClientAddr: whatever the peer address and forwarding header hold,
// ClientAddr never panics, never returns "" for a non-empty peer, and never
// takes the header's word when the peer is not a trusted proxy.
func FuzzClientAddr(f *testing.F) {
	f.Add("192.0.2.1:1234", "203.0.113.9")
	f.Add("10.0.0.1:80", "6.6.6.6, 203.0.113.9, 10.0.0.5")
	f.Add("[::1]:80", "2001:db8::1,garbage")
	f.Add("[fe80::1%eth0]:1", "::ffff:1.2.3.4")
	res := throttle.AddrResolver{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Forwarded-For", xff)
		got := res.ClientAddr(r)
		if remote != "" && got == "" {
			t.Fatalf("ClientAddr(%q, %q) is empty", remote, xff)
		}
		plain := throttle.AddrResolver{}.ClientAddr(r)
		if peer, err := netip.ParseAddrPort(remote); err == nil && !res.TrustedProxies[0].Contains(peer.Addr().Unmap()) &&
			!res.TrustedProxies[1].Contains(peer.Addr().Unmap()) && got != plain {
			t.Fatalf("untrusted peer %q: header %q changed the key to %q (without: %q)", remote, xff, got, plain)
		}
	})
}
