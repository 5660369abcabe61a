package daemon

import (
	"log/slog"
	"net/http"

	"github.com/jwtd/jwtd/host/config"
	"github.com/jwtd/jwtd/host/metrics"
	"github.com/jwtd/jwtd/host/throttle"
	"github.com/jwtd/jwtd/sdk"
)

// loginGuard builds what admits logins from [server.throttle] and
// [server.brute_force]: the rate limits when configured, the brute-force
// counters (on by default) and the concurrency gate. The counters go to
// the blacklist store when it can share them (sdk.LoginFailureStore),
// else to local, the process's own memory, kept across reloads.
func loginGuard(cfg *config.Config, blacklist sdk.BlacklistStore, local sdk.LoginFailureStore, m *metrics.Metrics, logger *slog.Logger) (*throttle.Login, error) {
	t := cfg.Server.Throttle
	l := &throttle.Login{
		Addr:      throttle.AddrResolver{TrustedProxies: t.TrustedProxies, ProxyHeader: t.ProxyHeader},
		OnRefused: m.LoginThrottled,
	}
	var err error
	if l.Gate, err = throttle.NewGate(t.LoginConcurrency, t.LoginMaxWait); err != nil {
		return nil, err
	}
	if t.LoginRatePerAddr > 0 || t.LoginRatePerUsername > 0 {
		tc := throttle.Config{}
		if t.LoginRatePerAddr > 0 {
			tc.PerAddr = throttle.PerMinute(t.LoginRatePerAddr, t.LoginBurst)
		}
		if t.LoginRatePerUsername > 0 {
			tc.PerUsername = throttle.PerMinute(t.LoginRatePerUsername, t.LoginBurst)
		}
		if l.Limiter, err = throttle.New(tc); err != nil {
			return nil, err
		}
	}
	bf := cfg.Server.BruteForce
	if !bf.Enabled {
		return l, nil
	}
	store, shared := sdk.As[sdk.LoginFailureStore](blacklist)
	if shared {
		logger.Info("brute-force protection: failed logins counted in the blacklist store, shared by every instance on it")
	} else {
		store = local
		logger.Warn("brute-force protection: the blacklist store cannot share failed-login counters (sdk.LoginFailureStore); each jwtd instance counts in its own memory")
	}
	l.BruteForce, err = throttle.NewBruteForce(store, throttle.BruteForceConfig{
		Window:                bf.Window,
		MaxFailures:           bf.MaxFailures,
		MaxFailuresPerAccount: bf.MaxFailuresPerAccount,
		MaxFailuresPerAddr:    bf.MaxFailuresPerAddress,
		OnLock:                m.LoginLocked,
	})
	return l, err
}

// sessionClientAddr is the client address kept with a session: resolved
// through the trusted proxies as the login throttle resolves it, but the
// whole IPv6 address (the throttle groups by /64).
func sessionClientAddr(cfg *config.Config) func(*http.Request) string {
	t := cfg.Server.Throttle
	return throttle.AddrResolver{TrustedProxies: t.TrustedProxies, ProxyHeader: t.ProxyHeader, IPv6PrefixLen: 128}.ClientAddr
}
