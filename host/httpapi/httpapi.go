// Package httpapi is jwtd's HTTP API (docs/http-api.md): Simple JWT's token
// endpoints with its exact bodies, the authenticate endpoints, forward-auth
// for reverse proxies (forwardauth.go), the opt-in cookie transport for
// browser apps (cookies.go), and the operational endpoints. It knows HTTP
// only; every token rule is the core's.
// One function, writeError, turns any error into a status and body.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/internal/httpx"
	"github.com/jwtd/jwtd/sdk"
)

// Core is what the API needs of the token core; *core.Service implements it.
type Core interface {
	LoginFields(ctx context.Context) ([]string, error)
	Obtain(ctx context.Context, creds sdk.Credentials) (core.Issued, error)
	ObtainSliding(ctx context.Context, creds sdk.Credentials) (core.Issued, error)
	Refresh(ctx context.Context, refresh string) (core.Issued, error)
	RefreshSliding(ctx context.Context, token string) (core.Issued, error)
	Verify(ctx context.Context, token string) error
	Blacklist(ctx context.Context, token string) error
	Authenticate(ctx context.Context, header string) (sdk.User, *core.Token, error)
	AuthenticateStateless(ctx context.Context, header string) (map[string]any, *core.Token, error)
	PublishedKeys() core.PublishedKeys
	Settings() core.Settings
}

var _ Core = (*core.Service)(nil)

// Check is one dependency's readiness, for /readyz.
type Check struct {
	Name string
	Err  error
	// State, when set and Err is nil, is shown in the detail instead of
	// "ok": a state that does not make jwtd unready (a change feed that is
	// down, with every call going to the store).
	State string
}

// Options tune the API. The zero value of every field has a safe default.
type Options struct {
	// Prefix is the token endpoints' prefix (default "/api/token").
	Prefix string
	// MaxBodyBytes caps a request body (default 1 MiB); more is 413.
	MaxBodyBytes int64
	// MaxHeaderBytes caps the request line and headers (default 64 KiB);
	// more is 431 with a JSON body. The http.Server's own MaxHeaderBytes
	// must be set above it (ServerMaxHeaderBytes), or Go answers first
	// with a plain-text 431 a DRF client cannot parse.
	MaxHeaderBytes int
	// MaxJSONDepth caps JSON nesting (default 32).
	MaxJSONDepth int
	// MaxFieldChars caps each login field, the password included (default
	// 4096 characters): DRF's max_length message above it.
	MaxFieldChars int
	// Logger receives one line per request and every 5xx cause. Nil means
	// slog.Default().
	Logger *slog.Logger
	// Ready reports each plugin's readiness for /readyz; nil means ready.
	Ready func(ctx context.Context) []Check
	// Metrics, when set, is served at GET /metrics by OpsHandler, and by
	// the API itself only with PublicOps.
	Metrics http.Handler
	// Observer, when set, is told of every API request once answered
	// (the request metrics), from the same wrapper as the access log.
	Observer RequestObserver
	// PublicOps serves /metrics and /readyz's per-plugin detail on the API
	// itself. Off by default: they tell an attacker which stores are down
	// and how the service is loaded, so they belong on a private listener
	// (OpsHandler); the API's /readyz then answers the status alone.
	PublicOps bool
	// Login, when set, admits each login (obtain, sliding obtain) with its
	// parsed account before the password is checked: rate limits,
	// brute-force locks and the hashing concurrency gate.
	Login LoginGuard
	// LoginTimeout bounds a login's user store call (default
	// DefaultLoginTimeout). The call does not end when the client hangs up,
	// so that the concurrency slot stays held while the store hashes.
	LoginTimeout time.Duration
	// Middleware, when set, wraps the API's handler inside request logging
	// and panic recovery (tests; logins are throttled through Login).
	Middleware func(http.Handler) http.Handler
	// ForwardAuth configures /api/forward-auth/; zero fields take
	// DefaultForwardAuth's values.
	ForwardAuth ForwardAuth
	// Cookies configures the opt-in cookie transport for browser apps.
	Cookies Cookies
	// ClientAddr names a request's client for the session a login starts
	// (nil: the host part of RemoteAddr); the daemon resolves trusted
	// proxies as the login throttle does.
	ClientAddr func(r *http.Request) string
}

// API is the HTTP handler.
type API struct {
	core Core
	opts Options
	log  *slog.Logger
	// routes serve the API listener, opsRoutes the operational one
	// (OpsHandler); both are built from the one endpoint table.
	routes, opsRoutes map[string]*route
	// realm is the WWW-Authenticate value every 401 carries.
	realm      string
	headerName string
	// headerType is the first auth header type ("Bearer"), for tokens
	// read from a cookie.
	headerType string
	handler    http.Handler
	forward    ForwardAuth
	cookies    Cookies

	fieldsMu    sync.Mutex
	loginFields []string
}

// New builds the API over c.
func New(c Core, opts Options) *API {
	opts.Prefix = httpx.TokenPrefix(opts.Prefix)
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.MaxJSONDepth <= 0 {
		opts.MaxJSONDepth = 32
	}
	if opts.MaxHeaderBytes <= 0 {
		opts.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if opts.MaxFieldChars <= 0 {
		opts.MaxFieldChars = 4096
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.LoginTimeout <= 0 {
		opts.LoginTimeout = DefaultLoginTimeout
	}
	a := &API{core: c, opts: opts, log: opts.Logger}
	st := c.Settings()
	typ := "Bearer"
	if len(st.AuthHeaderTypes) > 0 {
		typ = st.AuthHeaderTypes[0]
	}
	a.realm = typ + ` realm="api"`
	a.headerType = typ
	a.headerName = st.AuthHeaderName
	if a.headerName == "" {
		a.headerName = "Authorization"
	}
	a.cookies = opts.Cookies.withDefaults(opts.Prefix)
	a.forward = opts.ForwardAuth.withDefaults(a.cookies)
	a.routes, a.opsRoutes = a.buildRoutes(false), a.buildRoutes(true)
	var h http.Handler = a.dispatch(a.routes)
	if opts.Middleware != nil {
		h = opts.Middleware(h)
	}
	a.handler = a.logRequests(a.recoverPanics(a.capHeaders(h)))
	return a
}

// DefaultMaxHeaderBytes is Options.MaxHeaderBytes's default.
const DefaultMaxHeaderBytes = 64 << 10

// ServerMaxHeaderBytes is the http.Server MaxHeaderBytes to pair with an
// API cap of apiCap bytes: comfortably above it (four times the cap, and at
// least Go's own default of 1 MiB, plus 64 KiB), so that oversized headers
// up to that reach the API and get its JSON 431. Only beyond it does Go
// answer with its own plain-text 431.
func ServerMaxHeaderBytes(apiCap int) int {
	if apiCap <= 0 {
		apiCap = DefaultMaxHeaderBytes
	}
	return max(4*apiCap, http.DefaultMaxHeaderBytes) + 64<<10
}

// errHeaderTooLarge is the 431 body.
var errHeaderTooLarge = &httpError{http.StatusRequestHeaderFieldsTooLarge, "Request header fields too large."}

// capHeaders answers 431 to a request whose request line and headers,
// counted as on the wire, exceed the cap.
func (a *API) capHeaders(next http.Handler) http.Handler {
	limit := a.opts.MaxHeaderBytes
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4 + len("Host: ") + len(r.Host) + 2
		for k, vs := range r.Header {
			for _, v := range vs {
				n += len(k) + len(v) + 4 // ": " and CRLF
			}
		}
		if n > limit {
			// The rest of the request is not read; the connection closes.
			w.Header().Set("Connection", "close")
			a.writeError(w, r, errHeaderTooLarge)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ServeHTTP serves the API.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }

// options answers OPTIONS as DRF's metadata does, in brief.
func (a *API) options(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, object{
		{"renders", []string{"application/json"}},
		{"parses", []string{"application/json", "application/x-www-form-urlencoded", "multipart/form-data"}},
	})
}
