package resource

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/jwtd/jwtd/core"
)

// Option configures a Verifier. Options apply in order over Simple JWT's
// defaults (core.DefaultSettings); New refuses a combination that cannot
// work, naming the setting.
type Option func(*options)

type options struct {
	settings   core.Settings
	client     *http.Client
	jwksTTL    time.Duration
	jwksMin    time.Duration
	onlineURL  string
	onlineTTL  time.Duration
	now        func() time.Time
	errHandler func(http.ResponseWriter, *http.Request, error)
}

// WithSettings starts from jwtd's own [tokens] settings as core.Settings
// (audience, issuer, leeway, header types and name, claim names, token
// classes, custom token types, algorithm and keys), so a resource server
// configured from the same values applies exactly jwtd's rules. Later
// options override it. Private key material is never needed: an asymmetric
// key needs only VerifyingKey.
func WithSettings(s core.Settings) Option {
	return func(o *options) {
		s.Audience = slices.Clone(s.Audience)
		s.AuthHeaderTypes = slices.Clone(s.AuthHeaderTypes)
		s.AuthTokenClasses = slices.Clone(s.AuthTokenClasses)
		s.Keys = slices.Clone(s.Keys)
		o.settings = s
	}
}

// WithKey verifies with one configured key: for HS256/384/512 the shared
// secret jwtd signs with; otherwise jwtd's verifying key as PEM (PKIX,
// PKCS#1 or a certificate). alg is pinned: a token must carry exactly it.
func WithKey(alg string, key []byte) Option {
	return func(o *options) {
		o.settings.Algorithm = alg
		o.settings.Keys = nil
		o.settings.JWKURL = ""
		if strings.HasPrefix(alg, "HS") {
			o.settings.SigningKey, o.settings.VerifyingKey = string(key), ""
		} else {
			o.settings.SigningKey, o.settings.VerifyingKey = "", string(key)
		}
	}
}

// WithJWKS verifies with the keys of jwtd's JWK Set at url
// (https://jwtd.example.com/.well-known/jwks.json; https only, see
// UnsafeAllowHTTPJWKS), for the asymmetric algorithm alg, pinned. Keys are fetched on first use and cached; a token
// naming an unknown kid triggers a refetch (at most once per refetch
// period), and when the URL cannot be reached the keys already fetched keep
// serving (stale-if-error). Tokens must carry a kid, as jwtd's do.
func WithJWKS(url, alg string) Option {
	return func(o *options) {
		o.settings.Algorithm = alg
		o.settings.Keys = nil
		o.settings.JWKURL = url
		o.settings.SigningKey, o.settings.VerifyingKey = "", ""
	}
}

// UnsafeAllowHTTPJWKS admits an http:// JWK Set URL (and redirects to
// http://) when its host is loopback (localhost, 127.0.0.0/8, ::1): for
// tests and a jwtd on the same machine only. Otherwise the URL must be
// https, since whoever can change the document in transit chooses the keys
// tokens are verified with.
func UnsafeAllowHTTPJWKS() Option {
	return func(o *options) { o.settings.UnsafeJWKURLAllowHTTP = true }
}

// WithJWKSCache sets how long fetched keys count as fresh (default
// core.DefaultJWKSCacheTTL) and the least time between two fetches (default
// core.DefaultJWKSRefetchPeriod), which bounds what tokens with random kids
// can make the Verifier send to the JWKS URL.
func WithJWKSCache(ttl, minRefetch time.Duration) Option {
	return func(o *options) { o.jwksTTL, o.jwksMin = ttl, minRefetch }
}

// WithHTTPClient is the client for the JWKS URL and the online check
// (default: a client with a 5 second timeout).
func WithHTTPClient(c *http.Client) Option {
	return func(o *options) { o.client = c }
}

// WithAudience requires the token's aud to hold one of aud (AUDIENCE).
func WithAudience(aud ...string) Option {
	return func(o *options) { o.settings.Audience = slices.Clone(aud) }
}

// WithIssuer requires the token's iss to equal iss (ISSUER).
func WithIssuer(iss string) Option {
	return func(o *options) { o.settings.Issuer = iss }
}

// WithLeeway is the clock-skew margin for exp, nbf and iat (LEEWAY).
func WithLeeway(d time.Duration) Option {
	return func(o *options) { o.settings.Leeway = d }
}

// WithHeaderTypes are the accepted Authorization schemes, case-sensitive
// (AUTH_HEADER_TYPES, default "Bearer"); the first names the realm of
// WWW-Authenticate.
func WithHeaderTypes(types ...string) Option {
	return func(o *options) { o.settings.AuthHeaderTypes = slices.Clone(types) }
}

// WithHeaderName is the request header carrying the token
// (AUTH_HEADER_NAME, default "Authorization"; Django's "HTTP_X_TOKEN" form
// is accepted too).
func WithHeaderName(name string) Option {
	return func(o *options) { o.settings.AuthHeaderName = name }
}

// WithTokenTypes are the token types accepted, in order
// (AUTH_TOKEN_CLASSES, default "access").
func WithTokenTypes(types ...string) Option {
	return func(o *options) { o.settings.AuthTokenClasses = slices.Clone(types) }
}

// WithUserIDClaim names the claim holding the user id (USER_ID_CLAIM,
// default "user_id").
func WithUserIDClaim(claim string) Option {
	return func(o *options) { o.settings.UserIDClaim = claim }
}

// WithTokenTypeClaim names the claim holding the token type
// (TOKEN_TYPE_CLAIM, default "token_type").
func WithTokenTypeClaim(claim string) Option {
	return func(o *options) { o.settings.TokenTypeClaim = claim }
}

// WithOnlineCheck also asks jwtd whether each token is still good, by
// sending its header to jwtd's GET /api/authenticate/ at url: what local
// verification cannot see (a blacklisted session, a deactivated or deleted
// user, a changed password) is then refused too. jwtd's 401 is passed on
// as it is; any other failure (jwtd down, 5xx, a timeout) is 503: fail
// closed, never a success. Answers are cached for ttl per token (default
// 2 seconds, at most a minute), which bounds both the load on jwtd and how
// long a revocation takes to reach this server. The token is verified
// locally first, so forged tokens never reach jwtd.
func WithOnlineCheck(url string, ttl time.Duration) Option {
	return func(o *options) { o.onlineURL, o.onlineTTL = url, ttl }
}

// WithErrorHandler replaces the default refusal (Simple JWT's body and
// WWW-Authenticate, as jwtd answers). err is a *core.Error (errors.Is
// against core's sentinels; core.IsUnavailable for 503s) or a *Rejection
// from the online check.
func WithErrorHandler(h func(w http.ResponseWriter, r *http.Request, err error)) Option {
	return func(o *options) { o.errHandler = h }
}

// WithClock makes the Verifier read the time from now (tests).
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now = now }
}
