package throttle

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
)

// RetryAfterSeconds is d in whole seconds, rounded up and at least 1, as
// DRF's Throttled exception and the Retry-After header carry it.
func RetryAfterSeconds(d time.Duration) int {
	s := math.Ceil(d.Seconds())
	if s < 1 {
		return 1
	}
	if s > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(s)
}

// AddrResolver derives the client address a request is throttled under.
//
// By default it is the host part of http.Request.RemoteAddr: the peer of the
// TCP connection, which a client cannot forge. Only when the peer is one of
// TrustedProxies does it read ProxyHeader (default X-Forwarded-For) and take
// the right-most address in it that is not itself a trusted proxy: entries to
// the left of that were written by the client and could be anything.
//
// IPv6 addresses are grouped by their /IPv6PrefixLen network (default 64),
// because one host usually holds a whole /64 and could otherwise rotate
// through addresses to dodge the per-address limit.
type AddrResolver struct {
	// TrustedProxies are the networks of reverse proxies in front of jwtd.
	// Empty (the default) means the forwarding header is never read.
	TrustedProxies []netip.Prefix
	// ProxyHeader is the header a trusted proxy writes the client address
	// to; empty means "X-Forwarded-For". A comma-separated list is allowed.
	ProxyHeader string
	// IPv6PrefixLen is the prefix length IPv6 clients are grouped by; zero
	// means 64, 128 keeps whole addresses.
	IPv6PrefixLen int
}

// ClientAddr returns the throttling key for r's client: a canonical address
// or IPv6 network in text form. When RemoteAddr cannot be parsed (a test
// request, a unix socket) it is returned as it is, so such clients still
// share one bucket rather than escaping the limit.
func (a AddrResolver) ClientAddr(r *http.Request) string {
	peer, ok := parseAddr(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr
	}
	if a.trusted(peer) {
		header := a.ProxyHeader
		if header == "" {
			header = "X-Forwarded-For"
		}
		var hops []string
		for _, v := range r.Header.Values(header) {
			hops = append(hops, strings.Split(v, ",")...)
		}
		for i := len(hops) - 1; i >= 0; i-- {
			hop, ok := parseAddr(strings.TrimSpace(hops[i]))
			if !ok {
				break // garbage from here leftwards: keep the last good hop
			}
			peer = hop
			if !a.trusted(hop) {
				break
			}
		}
	}
	return a.key(peer)
}

func (a AddrResolver) trusted(ip netip.Addr) bool {
	for _, p := range a.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func (a AddrResolver) key(ip netip.Addr) string {
	if ip.Is4() {
		return ip.String()
	}
	bits := a.IPv6PrefixLen
	if bits <= 0 || bits > 128 {
		bits = 64
	}
	p, err := ip.Prefix(bits)
	if err != nil {
		return ip.String()
	}
	return p.String()
}

// parseAddr accepts "host:port", "[v6]:port" or a bare address, and maps
// IPv4-in-IPv6 to IPv4 so one client has one key.
func parseAddr(s string) (netip.Addr, bool) {
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip.Unmap().WithZone(""), true
}
