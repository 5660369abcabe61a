// Package resource is net/http middleware for resource servers that trust
// jwtd's tokens: it verifies them locally, with exactly the rules of jwtd's
// token core (core.Verifier: the algorithm pinned by the key, strict
// decoding, leeway, audience and issuer, token types, header types and
// name, the user id claim's type), with keys from jwtd's JWK Set URL or a
// configured key, and puts the token's user in the request context.
// Refusals are jwtd's own: Simple JWT's 401 bodies with WWW-Authenticate.
// Optionally it also asks jwtd whether a token was revoked
// (WithOnlineCheck).
//
//	v, err := resource.New(resource.WithJWKS("https://auth.example.com/.well-known/jwks.json", "ES256"))
//	...
//	http.Handle("/api/", v.Middleware(api))
//	// in api: u, _ := resource.UserFrom(r.Context())
//
// It imports jwtd's core and nothing of the daemon.
package resource

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/core/jwkshttp"
)

// DefaultTimeout bounds one request to jwtd (JWKS, online check) when no
// client is given.
const DefaultTimeout = 5 * time.Second

// Verifier verifies jwtd's tokens for a resource server. It is safe for
// concurrent use; build one and share it.
type Verifier struct {
	core       *core.Verifier
	headerName string
	realm      string // WWW-Authenticate of every 401
	online     *onlineCheck
	errHandler func(http.ResponseWriter, *http.Request, error)
}

// New builds a Verifier. One key source is required: WithKey, WithJWKS or
// WithSettings holding one. A setting that cannot work is refused with a
// *core.SettingError naming it.
func New(opts ...Option) (*Verifier, error) {
	o := options{settings: core.DefaultSettings()}
	for _, opt := range opts {
		opt(&o)
	}
	if o.client == nil {
		o.client = &http.Client{Timeout: DefaultTimeout}
	}
	s := o.settings
	s.AuthHeaderName = headerName(s.AuthHeaderName)
	var copts []core.Option
	if o.now != nil {
		copts = append(copts, core.WithClock(o.now))
	}
	if s.JWKURL != "" {
		var fo []jwkshttp.Option
		if s.UnsafeJWKURLAllowHTTP {
			fo = append(fo, jwkshttp.UnsafeAllowHTTP())
		}
		copts = append(copts, core.WithJWKSFetcher(jwkshttp.Fetcher(s.JWKURL, o.client, fo...)), core.WithJWKSCache(o.jwksTTL, o.jwksMin))
	}
	cv, err := core.NewVerifier(s, copts...)
	if err != nil {
		return nil, err
	}
	v := &Verifier{core: cv, headerName: s.AuthHeaderName, realm: s.AuthHeaderTypes[0] + ` realm="api"`, errHandler: o.errHandler}
	if o.onlineURL != "" {
		if v.online, err = newOnlineCheck(o.onlineURL, o.onlineTTL, o.client, s.AuthHeaderName, o.now); err != nil {
			return nil, err
		}
	}
	if v.errHandler == nil {
		v.errHandler = v.WriteError
	}
	return v, nil
}

// headerName turns Django's META form ("HTTP_X_ACCESS_TOKEN") into the
// header name, as jwtd's config does; "" is Authorization.
func headerName(n string) string {
	n = strings.TrimSpace(n)
	if strings.HasPrefix(n, "HTTP_") {
		n = strings.ReplaceAll(strings.TrimPrefix(n, "HTTP_"), "_", "-")
	}
	if n == "" {
		n = "Authorization"
	}
	return http.CanonicalHeaderKey(n)
}

// User is the user a verified token names.
type User struct {
	// ID is the user id claim (USER_ID_CLAIM): a string claim as it is, an
	// integer one (Simple JWT 5.2) in decimal.
	ID string
	// TokenType is the type the token was accepted as ("access", ...).
	TokenType string
	// Claims are all of the token's claims as encoding/json decodes them
	// (numbers are float64).
	Claims map[string]any
}

type userKey struct{}

// NewContext returns ctx carrying u, as the middleware passes it on
// (handler tests can build requests with it).
func NewContext(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFrom returns the user the middleware put in ctx; ok is false when
// the request did not pass through it.
func UserFrom(ctx context.Context) (u *User, ok bool) {
	u, ok = ctx.Value(userKey{}).(*User)
	return u, ok && u != nil
}

// Authenticate verifies the token r carries: locally, then with jwtd when
// WithOnlineCheck is set. Errors are *core.Error (ErrNotAuthenticated,
// ErrBadAuthHeader, ErrNoValidTokenType, ErrNoUserClaim, or ErrUnavailable
// when jwtd cannot be asked) or a *Rejection from jwtd.
func (v *Verifier) Authenticate(r *http.Request) (*User, error) {
	header := r.Header.Get(v.headerName)
	tu, err := v.core.Authenticate(r.Context(), header)
	if err != nil {
		return nil, err
	}
	if v.online != nil {
		if err := v.online.check(r.Context(), header); err != nil {
			return nil, err
		}
	}
	return &User{ID: tu.ID, TokenType: tu.Token.Type, Claims: tu.Token.Claims}, nil
}

// Middleware passes requests with a good token to next, with the User in
// the context (UserFrom), and refuses the others as jwtd does.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := v.Authenticate(r)
		if err != nil {
			v.errHandler(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), u)))
	})
}

// Rejection is jwtd's refusal of a token in the online check: its status
// (401) and body, passed on as they are.
type Rejection struct {
	Status int
	Body   []byte
}

// Error returns jwtd's body.
func (e *Rejection) Error() string { return "jwtd refused the token: " + string(e.Body) }

// errorBody is a refusal as Simple JWT words it; the members jwtd's
// httpapi writes, in its order.
type errorBody struct {
	Detail   string              `json:"detail"`
	Code     string              `json:"code,omitempty"`
	Messages []core.TokenMessage `json:"messages,omitempty"`
}

// WriteError answers err as jwtd's authenticate endpoint does: 401 with
// Simple JWT's body and WWW-Authenticate for token and credential
// failures, jwtd's own answer for a Rejection, and 503 with jwtd's
// plugin_unavailable body for anything else (fail closed).
func (v *Verifier) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var rej *Rejection
	if errors.As(err, &rej) {
		w.Header().Set("WWW-Authenticate", v.realm)
		writeBody(w, rej.Status, rej.Body)
		return
	}
	status, body := http.StatusServiceUnavailable, errorBody{Detail: core.ErrUnavailable.Detail, Code: core.ErrUnavailable.Code}
	var ce *core.Error
	if errors.As(err, &ce) {
		switch ce.Kind {
		case core.KindTokenNotValid:
			status, body = http.StatusUnauthorized, errorBody{Detail: ce.Detail, Code: "token_not_valid", Messages: ce.Messages}
			if ce.Code != "" {
				body.Code = ce.Code
			}
		case core.KindAuthenticationFailed, core.KindNotAuthenticated:
			status, body = http.StatusUnauthorized, errorBody{Detail: ce.Detail, Code: ce.Code}
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", v.realm)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // as DRF's renderer
	if enc.Encode(body) != nil {
		b.Reset()
		b.WriteString(`{"detail":"Internal server error."}`)
	}
	writeBody(w, status, []byte(strings.TrimSuffix(b.String(), "\n")))
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(body)
}
