package core

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// Plugins are the implementations the core reaches users and storage
// through. Users is required; a nil Blacklist means no blacklist app (verify
// and refresh skip the checks, and blacklisting is refused); nil Rule and
// Claims mean Simple JWT's defaults (user is active, or anyone when
// CheckUserIsActive is off; no extra claims).
type Plugins struct {
	Users     sdk.UserStore
	Blacklist sdk.BlacklistStore
	Rule      sdk.AuthRule
	Claims    sdk.ClaimSerializer
}

// Option configures a Service beyond its Settings.
type Option func(*Service)

// WithClock makes the Service read the time from now (tests, vectors).
func WithClock(now func() time.Time) Option {
	return func(s *Service) {
		if now != nil {
			s.now = now
		}
	}
}

// WithJWKSFetcher gives the Service the way to fetch JWK_URL; New refuses a
// JWK_URL without one. The host uses jwkshttp.Fetcher.
func WithJWKSFetcher(f JWKSFetcher) Option {
	return func(s *Service) { s.fetcher = f }
}

// WithJWKSCache sets how long fetched JWK Set keys count as fresh (default
// DefaultJWKSCacheTTL) and the least time between a successful fetch and the
// next one (default DefaultJWKSRefetchPeriod), which bounds what tokens with
// unknown kids can make the core send to JWK_URL. A failed fetch is retried
// after a second (or the period, when shorter). How long keys are served
// while JWK_URL is down is Settings.JWKMaxStale. Non-positive values keep
// the defaults.
func WithJWKSCache(ttl, minRefetch time.Duration) Option {
	return func(s *Service) {
		if ttl > 0 {
			s.jwksTTL = ttl
		}
		if minRefetch > 0 {
			s.jwksMinRefetch = minRefetch
		}
	}
}

// Service is the token core: every Simple JWT operation, independent of
// transport. It is safe for concurrent use.
type Service struct {
	set Settings
	c   *compiled
	p   Plugins
	now func() time.Time
	hdr string // encoded JOSE header of issued tokens

	fetcher        JWKSFetcher
	jwksTTL        time.Duration
	jwksMinRefetch time.Duration
	jwks           *jwksCache

	sess    sdk.SessionStore // the blacklist store's, when Sessions is on
	onReuse func(context.Context, Reuse)
}

var errNoBlacklistStore = errors.New("no blacklist store is configured")

// New validates settings and builds a Service. A refused setting is a
// *SettingError.
func New(settings Settings, plugins Plugins, opts ...Option) (*Service, error) {
	if plugins.Users == nil || (settings.BlacklistAfterRotation && plugins.Blacklist == nil) {
		// Refused settings are reported first, as they always were.
		if _, err := settings.compile(false); err != nil {
			return nil, err
		}
		if plugins.Users == nil {
			return nil, errors.New("core: Plugins.Users is required")
		}
		// Without a store nothing can be blacklisted: a rotated refresh
		// token would stay usable while the operator believes it revoked.
		return nil, refuse("blacklist_after_rotation", "needs a blacklist store (configure [plugins.blacklist_store], or turn the setting off)")
	}
	return newService(settings, plugins, false, opts)
}

func newService(settings Settings, plugins Plugins, verifyOnly bool, opts []Option) (*Service, error) {
	c, err := settings.compile(verifyOnly)
	if err != nil {
		return nil, err
	}
	settings.Audience = slices.Clone(settings.Audience)
	settings.AuthHeaderTypes = slices.Clone(settings.AuthHeaderTypes)
	settings.AuthTokenClasses = slices.Clone(settings.AuthTokenClasses)
	settings.CustomTokenTypes = maps.Clone(settings.CustomTokenTypes)
	settings.Keys = slices.Clone(settings.Keys)
	// With a key ring, the algorithm in force is the signing key's.
	settings.Algorithm = c.keys.method.name
	s := &Service{
		set:            settings,
		c:              c,
		p:              plugins,
		now:            time.Now,
		jwksTTL:        DefaultJWKSCacheTTL,
		jwksMinRefetch: DefaultJWKSRefetchPeriod,
	}
	for _, o := range opts {
		o(s)
	}
	if settings.Sessions {
		ss, ok := sdk.As[sdk.SessionStore](plugins.Blacklist)
		if plugins.Blacklist == nil || !ok {
			// Fallback refused: without the store's sessions there are no
			// families to revoke, and an operator relying on reuse
			// detection must not get silent single-use tokens instead.
			return nil, refuse("sessions", "needs a blacklist store that keeps sessions (sdk.SessionStore)")
		}
		s.sess = ss
	}
	if settings.JWKURL != "" {
		if s.fetcher == nil {
			return nil, refuse("jwk_url", "is set but no JWKS fetcher was given (core.WithJWKSFetcher)")
		}
		maxStale := settings.JWKMaxStale
		if maxStale == 0 {
			maxStale = DefaultJWKSMaxStale
		}
		s.jwks = &jwksCache{fetch: s.fetcher, alg: c.keys.method, ttl: s.jwksTTL, minInterval: s.jwksMinRefetch, maxStale: maxStale, now: s.now}
	}
	s.hdr = encodedHeader(c.keys)
	return s, nil
}

// Issued is what an obtain or refresh hands back: the fields of the JSON
// response. Empty strings are left out of the response.
type Issued struct {
	Access  string         // "access"
	Refresh string         // "refresh"
	Token   string         // "token" (sliding)
	Extra   map[string]any // claim serializer's response fields (obtain only)
}

// Token is a decoded, verified token.
type Token struct {
	// Type is the token type it was accepted as ("access", "sliding", ...).
	Type string
	// Claims are the token's claims as encoding/json decodes them (numbers
	// are float64).
	Claims map[string]any
}

// pluginErr turns a plugin failure into ErrUnavailable: any error a plugin
// returns where the core expects none fails the request closed.
func pluginErr(err error) error {
	return ErrUnavailable.With(err)
}

// LoginFields are the request fields obtain needs, from the user store.
func (s *Service) LoginFields(ctx context.Context) ([]string, error) {
	f, err := s.p.Users.LoginFields(ctx)
	if err != nil {
		return nil, pluginErr(err)
	}
	return f, nil
}

// Settings returns the validated settings in force.
func (s *Service) Settings() Settings {
	c := s.set
	c.Audience = slices.Clone(c.Audience)
	c.AuthHeaderTypes = slices.Clone(c.AuthHeaderTypes)
	c.AuthTokenClasses = slices.Clone(c.AuthTokenClasses)
	c.CustomTokenTypes = maps.Clone(c.CustomTokenTypes)
	c.Keys = slices.Clone(c.Keys)
	return c
}

// FlushExpired drops expired rows from the blacklist store (Simple JWT's
// flushexpiredtokens) and returns how many went. Without a blacklist store it
// is ErrUnavailable.
func (s *Service) FlushExpired(ctx context.Context) (int, error) {
	if s.p.Blacklist == nil {
		return 0, ErrUnavailable.With(errNoBlacklistStore)
	}
	n, err := s.p.Blacklist.FlushExpired(ctx, s.now())
	if err != nil {
		return 0, pluginErr(err)
	}
	return n, nil
}

// validate decodes token and checks it as type typ, as constructing Simple
// JWT's token class does, including the blacklist check of refresh and
// sliding tokens when a blacklist store is configured.
func (s *Service) validate(ctx context.Context, token, typ string, rc *rawClaims) error {
	if err := s.decode(ctx, token, rc); err != nil {
		return err
	}
	return s.checkAs(ctx, rc, typ)
}

// checkAs is constructing Simple JWT's token class typ over a decoded
// token, in its order: BlacklistMixin.verify (refresh and sliding) checks
// the blacklist before Token.verify checks exp, jti and the type, so a
// blacklisted jti reads "Token is blacklisted" even as a class of another
// type. A token without a jti (on which Simple JWT's check_blacklist
// crashes) goes straight to the type checks, which refuse it.
func (s *Service) checkAs(ctx context.Context, rc *rawClaims, typ string) error {
	if rc.jti != nil {
		if err := s.checkBlacklist(ctx, rc, typ); err != nil {
			return err
		}
	}
	if err := s.checkType(rc, typ); err != nil {
		return err
	}
	return s.sessionCheck(ctx, rc, typ)
}

// checkBlacklist is BlacklistMixin.check_blacklist for refresh and sliding
// tokens.
func (s *Service) checkBlacklist(ctx context.Context, rc *rawClaims, typ string) error {
	if (typ != TypeRefresh && typ != TypeSliding) || !s.mayBeBlacklisted(rc) {
		return nil
	}
	black, err := s.p.Blacklist.IsBlacklisted(ctx, jtiOf(rc))
	if err != nil {
		return pluginErr(err)
	}
	if black {
		return ErrTokenBlacklisted
	}
	return nil
}

// mayBeBlacklisted reports whether the blacklist store can hold rc's jti,
// that is whether asking it can change an answer. Only refresh and sliding
// tokens are ever blacklisted (the blacklist endpoint, rotation, a revoked
// password on refresh and `jwtd token blacklist` all refuse other types,
// as Simple JWT's BlacklistMixin sits on those two classes only), so a
// token whose type claim is "access" is not looked up: its check cannot
// fail, and skipping it keeps verify and authenticate of access tokens
// off the store (no round trip to a plugin, and an answer while the store
// is down). A feature that does put access tokens into the store turns
// the lookup back on through revokesAccessTokens.
func (s *Service) mayBeBlacklisted(rc *rawClaims) bool {
	if s.p.Blacklist == nil {
		return false
	}
	if rc.typ != nil && jsonStringIs(rc.typ, TypeAccess) && !s.revokesAccessTokens() {
		return false
	}
	return true
}

// revokesAccessTokens reports whether a configured feature revokes access
// tokens through the blacklist store's jti entries. None does: sessions'
// RevokeAccessTokens refuses access tokens through the session store
// instead (sessionCheck, one SessionState call), never by blacklisting
// their jtis. A feature that blacklists access jtis adds its setting here,
// and every access-token check asks the store again.
func (s *Service) revokesAccessTokens() bool { return false }

// Verify is TokenVerifyView (untyped: any valid token). With a blacklist
// store configured, a blacklisted jti is ErrBlacklistedOnVerify whatever
// BLACKLIST_AFTER_ROTATION says (a deliberate improvement on Simple JWT);
// an access token is not looked up (mayBeBlacklisted).
func (s *Service) Verify(ctx context.Context, token string) error {
	var rc rawClaims
	if err := s.decode(ctx, token, &rc); err != nil {
		return err
	}
	if err := s.checkType(&rc, TypeUntyped); err != nil {
		return err
	}
	if s.mayBeBlacklisted(&rc) {
		black, err := s.p.Blacklist.IsBlacklisted(ctx, jtiOf(&rc))
		if err != nil {
			return pluginErr(err)
		}
		if black {
			return ErrBlacklistedOnVerify
		}
	}
	typ, _ := jsonString(rc.typ)
	if err := s.sessionCheck(ctx, &rc, typ); err != nil {
		if errors.Is(err, ErrTokenBlacklisted) {
			return ErrBlacklistedOnVerify.With(errors.Unwrap(err))
		}
		return err
	}
	return nil
}

// Blacklist is TokenBlacklistView: blacklists a refresh token until it
// expires. Like Simple JWT's TokenBlacklistSerializer, which builds a
// RefreshToken, any other type (sliding included) is ErrTokenWrongType. A
// token already blacklisted is ErrTokenBlacklisted; without a blacklist
// store it is ErrUnavailable. Nothing is written for a refused token.
func (s *Service) Blacklist(ctx context.Context, token string) error {
	return s.blacklist(ctx, token, false)
}

// BlacklistAny blacklists a refresh or a sliding token: the operator's
// `jwtd token blacklist`, which may revoke either kind of long-lived token.
// Errors are as Blacklist's; other types are ErrTokenWrongType.
func (s *Service) BlacklistAny(ctx context.Context, token string) error {
	return s.blacklist(ctx, token, true)
}

func (s *Service) blacklist(ctx context.Context, token string, sliding bool) error {
	var rc rawClaims
	if err := s.decode(ctx, token, &rc); err != nil {
		return err
	}
	typ := TypeRefresh
	if sliding && rc.typ != nil && jsonStringIs(rc.typ, TypeSliding) {
		typ = TypeSliding
	}
	// checkAs reports in Simple JWT's order: blacklisted, then no exp, no
	// jti, no type, wrong type.
	if err := s.checkAs(ctx, &rc, typ); err != nil {
		return err
	}
	return s.blacklistDecoded(ctx, &rc, typ)
}

// blacklistDecoded blacklists a checked token, and ends its session: a
// token its holder gave up must not leave siblings or children alive.
func (s *Service) blacklistDecoded(ctx context.Context, rc *rawClaims, typ string) error {
	if s.p.Blacklist == nil {
		return ErrUnavailable.With(errNoBlacklistStore)
	}
	added, err := s.p.Blacklist.Blacklist(ctx, s.record(rc, typ))
	if err != nil {
		return pluginErr(err)
	}
	if _, err := s.endSessionOf(ctx, rc); err != nil {
		return err
	}
	if !added {
		return ErrTokenBlacklisted
	}
	return nil
}
