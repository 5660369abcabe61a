package daemon

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/host/config"
	"github.com/jwtd/jwtd/host/throttle"
)

// loginThrottle builds the [server.throttle] middleware for logins (obtain
// and sliding obtain, the requests that run the password hasher): the
// concurrency gate always, the rate limits when configured.
func loginThrottle(ctx context.Context, cfg *config.Config, svc *core.Service) (func(http.Handler) http.Handler, error) {
	t := cfg.Server.Throttle
	prefix := cfg.Server.Prefix
	isLogin := func(r *http.Request) bool {
		if r.Method != http.MethodPost {
			return false
		}
		p := strings.TrimSuffix(r.URL.Path, "/")
		return p == prefix || p == prefix+"/sliding"
	}
	gate, err := throttle.NewGate(t.LoginConcurrency, t.LoginMaxWait)
	if err != nil {
		return nil, err
	}
	var limiter *throttle.Limiter
	if t.LoginRatePerAddr > 0 || t.LoginRatePerUsername > 0 {
		tc := throttle.Config{}
		if t.LoginRatePerAddr > 0 {
			tc.PerAddr = throttle.PerMinute(t.LoginRatePerAddr, t.LoginBurst)
		}
		if t.LoginRatePerUsername > 0 {
			tc.PerUsername = throttle.PerMinute(t.LoginRatePerUsername, t.LoginBurst)
		}
		if limiter, err = throttle.New(tc); err != nil {
			return nil, err
		}
	}
	res := throttle.AddrResolver{TrustedProxies: t.TrustedProxies, ProxyHeader: t.ProxyHeader}
	userField := &loginField{svc: svc}
	return func(next http.Handler) http.Handler {
		h := gate.Middleware(isLogin, next)
		if limiter != nil {
			// Rate limits outside the gate: a refused attempt never waits
			// for a hashing slot.
			h = limiter.LoginMiddleware(res, isLogin, userField.get, h)
		}
		return h
	}, nil
}

// loginField is the login field that names the account (the first one
// that is not the password), for the per-username limit. It asks the user
// store until it has an answer: a store that is down at start must not
// turn the per-username limit off until the next reload.
type loginField struct {
	svc  *core.Service
	name atomic.Pointer[string]
}

func (f *loginField) get(ctx context.Context) string {
	if p := f.name.Load(); p != nil {
		return *p
	}
	fields, err := f.svc.LoginFields(ctx)
	if err != nil {
		return "username" // the common case; asked again next time
	}
	name := "username"
	for _, fl := range fields {
		if fl != "password" {
			name = fl
			break
		}
	}
	f.name.Store(&name)
	return name
}
