package core

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Settings are Simple JWT's settings (SIMPLE_JWT in settings.py), one field
// each, with the same meaning. DefaultSettings gives Simple JWT's defaults;
// Validate refuses what cannot work, naming the setting. Settings that in
// Simple JWT name Python classes or callables (USER_AUTHENTICATION_RULE,
// TOKEN_USER_CLASS, JSON_ENCODER, the six serializer settings) are plugins in
// jwtd and have no field here.
type Settings struct {
	AccessTokenLifetime    time.Duration // ACCESS_TOKEN_LIFETIME, default 5m
	RefreshTokenLifetime   time.Duration // REFRESH_TOKEN_LIFETIME, default 24h
	RotateRefreshTokens    bool          // ROTATE_REFRESH_TOKENS
	BlacklistAfterRotation bool          // BLACKLIST_AFTER_ROTATION; New refuses it without a blacklist store
	UpdateLastLogin        bool          // UPDATE_LAST_LOGIN

	Algorithm string // ALGORITHM, default "HS256"
	// SigningKey and VerifyingKey hold key material itself: the HMAC secret,
	// or PEM text for asymmetric algorithms. ResolveKey turns the config forms
	// (inline, "file:PATH", "env:NAME") into material. SigningKey is always
	// required (jwtd issues tokens). VerifyingKey is ignored for HMAC, and
	// required for asymmetric algorithms unless JWKURL is set (as Simple JWT:
	// jwtd refuses rather than silently deriving it from the private key, so
	// that a deployment's verifying key is always the one its operator named).
	SigningKey   string
	VerifyingKey string
	// Keys is the key ring: several keys, each with a kid, algorithm and
	// state (one signing, others verify-only or retired). Empty: the ring
	// is the one signing key Algorithm, SigningKey and VerifyingKey give;
	// set, SigningKey and VerifyingKey must be empty and Algorithm is the
	// default of keys that name none.
	Keys     []Key
	Audience []string // AUDIENCE; empty means not issued and not checked
	Issuer   string   // ISSUER; empty means not issued and not checked
	// JWKURL (JWK_URL): when set, tokens are verified with the key of the
	// JWK Set at this URL whose "kid" the token names; the core reaches it
	// through the fetcher given with WithJWKSFetcher. Asymmetric algorithms
	// only.
	JWKURL string
	// UnsafeJWKURLAllowHTTP admits an http:// JWK_URL, and redirects to
	// http://, when the host is loopback (localhost, 127.0.0.0/8, ::1): for
	// tests against a local server only. Otherwise JWK_URL and every
	// redirect must be https (see CheckJWKURL). Not a Simple JWT setting.
	UnsafeJWKURLAllowHTTP bool
	// JWKMaxStale caps how long keys fetched from JWK_URL are still served
	// while it cannot be fetched again, counted from their fetch (default
	// DefaultJWKSMaxStale, one hour; 0 means the default). A key removed
	// from the set is trusted at the latest this long after the last
	// successful fetch. Not a Simple JWT setting.
	JWKMaxStale time.Duration
	// Leeway (LEEWAY) is the clock-skew margin applied to exp, nbf and iat.
	Leeway time.Duration

	AuthHeaderTypes []string // AUTH_HEADER_TYPES, default ["Bearer"]
	// AuthHeaderName is the HTTP header name (e.g. "Authorization"); the
	// host also accepts Django's META form ("HTTP_AUTHORIZATION").
	AuthHeaderName string
	UserIDField    string // USER_ID_FIELD, default "id"
	UserIDClaim    string // USER_ID_CLAIM, default "user_id"
	// AuthTokenClasses are the token types the authenticate operations
	// accept, in order (default ["access"]): "access", "sliding", "refresh"
	// or a name from CustomTokenTypes.
	AuthTokenClasses []string
	TokenTypeClaim   string // TOKEN_TYPE_CLAIM, default "token_type"
	JTIClaim         string // JTI_CLAIM, default "jti"

	SlidingTokenRefreshExpClaim string        // default "refresh_exp"
	SlidingTokenLifetime        time.Duration // default 5m
	SlidingTokenRefreshLifetime time.Duration // default 24h

	CheckRevokeToken  bool   // CHECK_REVOKE_TOKEN
	RevokeTokenClaim  string // REVOKE_TOKEN_CLAIM, default "hash_password"
	CheckUserIsActive bool   // CHECK_USER_IS_ACTIVE, default true; also applies beside a custom rule

	// CustomTokenTypes declares token types beyond access, refresh and
	// sliding, by type claim value, with their lifetimes. They can be named
	// in AuthTokenClasses.
	CustomTokenTypes map[string]time.Duration

	// Sessions turns token families on (not a Simple JWT setting): every
	// login starts a session in the blacklist store (which must implement
	// sdk.SessionStore), its refresh and sliding tokens carry the session id
	// claim and auth_time, a rotated token presented again revokes the whole
	// session, and the logout and session operations work.
	Sessions bool
	// SessionIDClaim names the session id claim (default "sid").
	SessionIDClaim string
	// ReuseInterval is how long after a rotation the rotated token may be
	// presented again without revoking its session (a client that lost the
	// response): it then gets the same child token again. 0 turns it off.
	// Default DefaultReuseInterval.
	ReuseInterval time.Duration
	// SessionAbsoluteLifetime caps a session: no token of it, however often
	// refreshed, outlives auth_time plus this. Default 30 days.
	SessionAbsoluteLifetime time.Duration
	// RevokeAccessTokens makes authenticate and verify refuse access (and
	// any other) tokens of a revoked session or issued before the user's
	// "not before" instant: one SessionStore call per request. Needs
	// Sessions.
	RevokeAccessTokens bool
	// SessionClientInfo keeps the login's client address and User-Agent
	// (given with WithSessionClient) in its session. Default true.
	SessionClientInfo bool
}

// DefaultReuseInterval is ReuseInterval's default: GoTrue's default reuse
// interval (10 seconds), long enough for a client's retry after a lost
// response, short enough that a stolen token replayed later is caught.
const DefaultReuseInterval = 10 * time.Second

// DefaultSessionAbsoluteLifetime is SessionAbsoluteLifetime's default.
const DefaultSessionAbsoluteLifetime = 30 * 24 * time.Hour

// AuthTimeClaim is the claim holding a session's login time (OpenID
// Connect's name), kept unchanged by every refresh.
const AuthTimeClaim = "auth_time"

// DefaultSettings returns Simple JWT's defaults. SigningKey has no default
// (Simple JWT falls back to Django's SECRET_KEY, which jwtd does not have):
// it must be set before Validate passes.
func DefaultSettings() Settings {
	return Settings{
		AccessTokenLifetime:         5 * time.Minute,
		RefreshTokenLifetime:        24 * time.Hour,
		Algorithm:                   "HS256",
		AuthHeaderTypes:             []string{"Bearer"},
		AuthHeaderName:              "Authorization",
		UserIDField:                 "id",
		UserIDClaim:                 "user_id",
		AuthTokenClasses:            []string{TypeAccess},
		TokenTypeClaim:              "token_type",
		JTIClaim:                    "jti",
		SlidingTokenRefreshExpClaim: "refresh_exp",
		SlidingTokenLifetime:        5 * time.Minute,
		SlidingTokenRefreshLifetime: 24 * time.Hour,
		RevokeTokenClaim:            "hash_password",
		CheckUserIsActive:           true,
		SessionIDClaim:              "sid",
		ReuseInterval:               DefaultReuseInterval,
		SessionAbsoluteLifetime:     DefaultSessionAbsoluteLifetime,
		SessionClientInfo:           true,
	}
}

// SettingError is a refused setting. Setting is the jwtd.toml key under
// [tokens] (the snake_case Simple JWT name, e.g. "signing_key").
type SettingError struct {
	Setting string
	Reason  string
}

// Error names the setting as "tokens.<key>: reason".
func (e *SettingError) Error() string {
	return "tokens." + e.Setting + ": " + e.Reason
}

func refuse(setting, format string, args ...any) error {
	return &SettingError{Setting: setting, Reason: fmt.Sprintf(format, args...)}
}

// Validate refuses settings that cannot work, with a *SettingError naming
// the setting: an unknown algorithm, key material that does not parse, does
// not fit the algorithm or is too weak (HMAC under 32 bytes, RSA under 2048
// bits), a missing verifying key, non-positive lifetimes, empty claim names,
// unknown token classes and malformed header types; in a key ring, a
// refusal names the key (tokens.keys[i].field, with its kid).
func (s Settings) Validate() error {
	_, err := s.compile(false)
	return err
}

// compiled is what Validate derives from Settings and the Service keeps:
// parsed keys and lookup-friendly forms.
type compiled struct {
	keys   *keySet
	types  map[string]time.Duration // every issuable type → lifetime
	aud    []string
	leeway float64 // seconds
}

// compile checks and derives; verifyOnly (a Verifier) needs no private key
// and no signing key.
func (s Settings) compile(verifyOnly bool) (*compiled, error) {
	durations := []struct {
		name string
		d    time.Duration
	}{
		{"access_token_lifetime", s.AccessTokenLifetime},
		{"refresh_token_lifetime", s.RefreshTokenLifetime},
		{"sliding_token_lifetime", s.SlidingTokenLifetime},
		{"sliding_token_refresh_lifetime", s.SlidingTokenRefreshLifetime},
	}
	for _, d := range durations {
		if d.d <= 0 {
			return nil, refuse(d.name, "must be a positive duration, got %s", d.d)
		}
		if d.d%time.Second != 0 {
			// Claims are whole epoch seconds, as Simple JWT writes them.
			return nil, refuse(d.name, "must be whole seconds, got %s", d.d)
		}
	}
	if s.Leeway < 0 {
		return nil, refuse("leeway", "must not be negative, got %s", s.Leeway)
	}
	names := []struct {
		name, v string
	}{
		{"user_id_field", s.UserIDField},
		{"user_id_claim", s.UserIDClaim},
		{"token_type_claim", s.TokenTypeClaim},
		{"jti_claim", s.JTIClaim},
		{"sliding_token_refresh_exp_claim", s.SlidingTokenRefreshExpClaim},
		{"revoke_token_claim", s.RevokeTokenClaim},
	}
	if s.Sessions {
		names = append(names, struct{ name, v string }{"session_id_claim", s.SessionIDClaim},
			struct{ name, v string }{"auth_time", AuthTimeClaim})
	}
	seen := map[string]string{}
	for _, n := range names {
		if strings.TrimSpace(n.v) == "" {
			return nil, refuse(n.name, "must not be empty")
		}
		if n.name == "user_id_field" {
			continue
		}
		if reserved := reservedClaim(n.v); reserved {
			return nil, refuse(n.name, "%q is a registered claim the core sets itself", n.v)
		}
		if other, dup := seen[n.v]; dup {
			return nil, refuse(n.name, "claim %q is also %s", n.v, other)
		}
		seen[n.v] = n.name
	}
	if len(s.AuthHeaderTypes) == 0 {
		return nil, refuse("auth_header_types", "must name at least one header type")
	}
	for _, t := range s.AuthHeaderTypes {
		if t == "" || strings.ContainsAny(t, " \t\r\n\v\f") {
			return nil, refuse("auth_header_types", "%q is not a single word", t)
		}
	}
	if strings.TrimSpace(s.AuthHeaderName) == "" {
		return nil, refuse("auth_header_name", "must not be empty")
	}

	types := map[string]time.Duration{
		TypeAccess:  s.AccessTokenLifetime,
		TypeRefresh: s.RefreshTokenLifetime,
		TypeSliding: s.SlidingTokenLifetime,
	}
	for name, d := range s.CustomTokenTypes {
		if name == "" || name == TypeUntyped {
			return nil, refuse("custom_token_types", "%q is not a usable type name", name)
		}
		if _, builtin := types[name]; builtin {
			return nil, refuse("custom_token_types", "%q is a built-in token type", name)
		}
		if d <= 0 || d%time.Second != 0 {
			return nil, refuse("custom_token_types", "lifetime of %q must be a positive whole number of seconds, got %s", name, d)
		}
	}
	if len(s.AuthTokenClasses) == 0 {
		return nil, refuse("auth_token_classes", "must name at least one token type")
	}
	for _, c := range s.AuthTokenClasses {
		_, builtin := types[c]
		_, custom := s.CustomTokenTypes[c]
		if !builtin && !custom {
			return nil, refuse("auth_token_classes", "unknown token type %q (want access, sliding, refresh or a custom type)", c)
		}
	}
	for name, d := range s.CustomTokenTypes {
		types[name] = d
	}
	for _, a := range s.Audience {
		if a == "" {
			return nil, refuse("audience", "must not contain an empty string")
		}
	}

	keys, err := parseKeys(s, verifyOnly)
	if err != nil {
		return nil, err
	}
	if s.JWKURL != "" {
		if keys.method.symmetric {
			return nil, refuse("jwk_url", "needs an asymmetric algorithm, not %s", s.Algorithm)
		}
		if err := CheckJWKURL(s.JWKURL, s.UnsafeJWKURLAllowHTTP); err != nil {
			return nil, refuse("jwk_url", "%v", err)
		}
	}
	if s.Sessions {
		if s.ReuseInterval < 0 {
			return nil, refuse("reuse_interval", "must not be negative, got %s", s.ReuseInterval)
		}
		if s.SessionAbsoluteLifetime <= 0 || s.SessionAbsoluteLifetime%time.Second != 0 {
			return nil, refuse("session_absolute_lifetime", "must be a positive whole number of seconds, got %s", s.SessionAbsoluteLifetime)
		}
	} else if s.RevokeAccessTokens {
		return nil, refuse("revoke_access_tokens", "needs sessions = true")
	}
	if s.JWKMaxStale < 0 {
		return nil, refuse("jwk_max_stale", "must not be negative, got %s", s.JWKMaxStale)
	}
	return &compiled{
		keys:   keys,
		types:  types,
		aud:    slices.Clone(s.Audience),
		leeway: s.Leeway.Seconds(),
	}, nil
}

// reservedClaim reports registered claims whose meaning the core owns, so
// that no configurable claim name can shadow them.
func reservedClaim(name string) bool {
	switch name {
	case "exp", "iat", "nbf", "aud", "iss":
		return true
	}
	return false
}
