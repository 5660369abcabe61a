package config

import (
	"fmt"
	"net/textproto"
	"strings"
	"time"

	"github.com/jwtd/jwtd/core"
)

// rawTokens is the [tokens] section: Simple JWT's settings in snake_case.
// Pointers tell "absent" (keep Simple JWT's default) from a zero value.
type rawTokens struct {
	AccessTokenLifetime    *string `toml:"access_token_lifetime"`
	RefreshTokenLifetime   *string `toml:"refresh_token_lifetime"`
	RotateRefreshTokens    *bool   `toml:"rotate_refresh_tokens"`
	BlacklistAfterRotation *bool   `toml:"blacklist_after_rotation"`
	UpdateLastLogin        *bool   `toml:"update_last_login"`

	Algorithm    *string `toml:"algorithm"`
	SigningKey   *string `toml:"signing_key"`
	VerifyingKey *string `toml:"verifying_key"`
	// Keys is the key ring ([[tokens.keys]]); see core.Key.
	Keys     []rawKey `toml:"keys"`
	Audience any      `toml:"audience"` // a string or a list of strings
	Issuer   *string  `toml:"issuer"`
	JWKURL   *string  `toml:"jwk_url"`
	// jwtd's own JWK_URL settings (core.Settings.UnsafeJWKURLAllowHTTP,
	// core.Settings.JWKMaxStale).
	UnsafeJWKURLAllowHTTP *bool   `toml:"unsafe_jwk_url_allow_http"`
	JWKMaxStale           *string `toml:"jwk_max_stale"`
	Leeway                any     `toml:"leeway"` // a duration string or integer seconds

	AuthHeaderTypes  any      `toml:"auth_header_types"` // a string or a list
	AuthHeaderName   *string  `toml:"auth_header_name"`
	UserIDField      *string  `toml:"user_id_field"`
	UserIDClaim      *string  `toml:"user_id_claim"`
	AuthTokenClasses []string `toml:"auth_token_classes"`
	TokenTypeClaim   *string  `toml:"token_type_claim"`
	JTIClaim         *string  `toml:"jti_claim"`

	SlidingTokenRefreshExpClaim *string `toml:"sliding_token_refresh_exp_claim"`
	SlidingTokenLifetime        *string `toml:"sliding_token_lifetime"`
	SlidingTokenRefreshLifetime *string `toml:"sliding_token_refresh_lifetime"`

	CheckRevokeToken  *bool   `toml:"check_revoke_token"`
	RevokeTokenClaim  *string `toml:"revoke_token_claim"`
	CheckUserIsActive *bool   `toml:"check_user_is_active"`

	// CustomTokenTypes maps a custom token type to its lifetime.
	CustomTokenTypes map[string]string `toml:"custom_token_types"`

	// Sessions (token families), jwtd's own: core.Settings.Sessions and
	// the settings beside it.
	Sessions                *bool   `toml:"sessions"`
	SessionIDClaim          *string `toml:"session_id_claim"`
	ReuseInterval           *string `toml:"reuse_interval"`
	SessionAbsoluteLifetime *string `toml:"session_absolute_lifetime"`
	RevokeAccessTokens      *bool   `toml:"revoke_access_tokens"`
	SessionClientInfo       *bool   `toml:"session_client_info"`

	// Settings that name Python classes in Simple JWT name plugins in jwtd:
	// each is a shorthand for the matching [plugins.*] section's `use`.
	UserAuthenticationRule        *string `toml:"user_authentication_rule"`
	TokenUserClass                *string `toml:"token_user_class"`
	JSONEncoder                   *string `toml:"json_encoder"`
	TokenObtainSerializer         *string `toml:"token_obtain_serializer"`
	TokenRefreshSerializer        *string `toml:"token_refresh_serializer"`
	TokenVerifySerializer         *string `toml:"token_verify_serializer"`
	TokenBlacklistSerializer      *string `toml:"token_blacklist_serializer"`
	SlidingTokenObtainSerializer  *string `toml:"sliding_token_obtain_serializer"`
	SlidingTokenRefreshSerializer *string `toml:"sliding_token_refresh_serializer"`
}

func (r rawTokens) build(baseDir string) (core.Settings, error) {
	s := core.DefaultSettings()
	if err := setDurations(
		durationField{"tokens.access_token_lifetime", r.AccessTokenLifetime, &s.AccessTokenLifetime},
		durationField{"tokens.refresh_token_lifetime", r.RefreshTokenLifetime, &s.RefreshTokenLifetime},
		durationField{"tokens.sliding_token_lifetime", r.SlidingTokenLifetime, &s.SlidingTokenLifetime},
		durationField{"tokens.sliding_token_refresh_lifetime", r.SlidingTokenRefreshLifetime, &s.SlidingTokenRefreshLifetime},
		durationField{"tokens.jwk_max_stale", r.JWKMaxStale, &s.JWKMaxStale},
		durationField{"tokens.session_absolute_lifetime", r.SessionAbsoluteLifetime, &s.SessionAbsoluteLifetime},
	); err != nil {
		return s, err
	}
	if r.ReuseInterval != nil {
		// "0s" turns the interval off, so zero is allowed here.
		d, err := time.ParseDuration(*r.ReuseInterval)
		if err != nil || d < 0 {
			return s, invalid("tokens.reuse_interval", "must be a duration such as \"10s\" (\"0s\" turns it off), got %q", *r.ReuseInterval)
		}
		s.ReuseInterval = d
	}
	setBool(&s.Sessions, r.Sessions)
	setBool(&s.RevokeAccessTokens, r.RevokeAccessTokens)
	setBool(&s.SessionClientInfo, r.SessionClientInfo)
	setBool(&s.RotateRefreshTokens, r.RotateRefreshTokens)
	setBool(&s.BlacklistAfterRotation, r.BlacklistAfterRotation)
	setBool(&s.UpdateLastLogin, r.UpdateLastLogin)
	setBool(&s.CheckRevokeToken, r.CheckRevokeToken)
	setBool(&s.CheckUserIsActive, r.CheckUserIsActive)
	setBool(&s.UnsafeJWKURLAllowHTTP, r.UnsafeJWKURLAllowHTTP)

	strs := []struct {
		key      string
		v        *string
		dst      *string
		nonEmpty bool
	}{
		{"tokens.algorithm", r.Algorithm, &s.Algorithm, true},
		{"tokens.issuer", r.Issuer, &s.Issuer, false},
		{"tokens.jwk_url", r.JWKURL, &s.JWKURL, false},
		{"tokens.user_id_field", r.UserIDField, &s.UserIDField, true},
		{"tokens.user_id_claim", r.UserIDClaim, &s.UserIDClaim, true},
		{"tokens.token_type_claim", r.TokenTypeClaim, &s.TokenTypeClaim, true},
		{"tokens.jti_claim", r.JTIClaim, &s.JTIClaim, true},
		{"tokens.sliding_token_refresh_exp_claim", r.SlidingTokenRefreshExpClaim, &s.SlidingTokenRefreshExpClaim, true},
		{"tokens.revoke_token_claim", r.RevokeTokenClaim, &s.RevokeTokenClaim, true},
		{"tokens.session_id_claim", r.SessionIDClaim, &s.SessionIDClaim, true},
	}
	for _, f := range strs {
		if f.v == nil {
			continue
		}
		if f.nonEmpty && strings.TrimSpace(*f.v) == "" {
			return s, invalid(f.key, "must not be empty")
		}
		*f.dst = *f.v
	}

	var err error
	if r.Audience != nil {
		if s.Audience, err = stringList("tokens.audience", r.Audience); err != nil {
			return s, err
		}
	}
	if r.AuthHeaderTypes != nil {
		if s.AuthHeaderTypes, err = stringList("tokens.auth_header_types", r.AuthHeaderTypes); err != nil {
			return s, err
		}
		if len(s.AuthHeaderTypes) == 0 {
			return s, invalid("tokens.auth_header_types", "needs at least one type")
		}
	}
	if r.AuthHeaderName != nil {
		if s.AuthHeaderName, err = HeaderName(*r.AuthHeaderName); err != nil {
			return s, invalid("tokens.auth_header_name", "%v", err)
		}
	}
	if r.Leeway != nil {
		if s.Leeway, err = leeway(r.Leeway); err != nil {
			return s, err
		}
	}
	if r.AuthTokenClasses != nil {
		if len(r.AuthTokenClasses) == 0 {
			return s, invalid("tokens.auth_token_classes", "needs at least one token type")
		}
		s.AuthTokenClasses = make([]string, len(r.AuthTokenClasses))
		for i, c := range r.AuthTokenClasses {
			s.AuthTokenClasses[i] = tokenClass(c)
		}
	}
	if len(r.CustomTokenTypes) > 0 {
		s.CustomTokenTypes = make(map[string]time.Duration, len(r.CustomTokenTypes))
		for name, v := range r.CustomTokenTypes {
			d, err := positiveDuration("tokens.custom_token_types."+name, v)
			if err != nil {
				return s, err
			}
			s.CustomTokenTypes[name] = d
		}
	}
	if r.SigningKey != nil {
		key, err := core.ResolveKey(*r.SigningKey, baseDir)
		if err != nil {
			return s, invalid("tokens.signing_key", "%v", err)
		}
		s.SigningKey = string(key)
	}
	if r.VerifyingKey != nil && *r.VerifyingKey != "" {
		key, err := core.ResolveKey(*r.VerifyingKey, baseDir)
		if err != nil {
			return s, invalid("tokens.verifying_key", "%v", err)
		}
		s.VerifyingKey = string(key)
	}
	if len(r.Keys) > 0 {
		if s.Keys, err = buildKeys(r.Keys, baseDir); err != nil {
			return s, err
		}
	}
	return s, nil
}

func setBool(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}

// stringList accepts a string or a list of strings, as Simple JWT accepts
// AUDIENCE and AUTH_HEADER_TYPES either way.
func stringList(key string, v any) ([]string, error) {
	switch t := v.(type) {
	case string:
		if t == "" {
			return nil, nil
		}
		return []string{t}, nil
	case []any:
		out := make([]string, 0, len(t))
		for i, e := range t {
			s, ok := e.(string)
			if !ok || s == "" {
				return nil, invalid(fmt.Sprintf("%s[%d]", key, i), "must be a non-empty string")
			}
			out = append(out, s)
		}
		return out, nil
	default:
		return nil, invalid(key, "must be a string or a list of strings, not %T", v)
	}
}

// leeway accepts a duration string ("30s") or integer seconds (LEEWAY = 30).
func leeway(v any) (time.Duration, error) {
	switch t := v.(type) {
	case string:
		d, err := time.ParseDuration(t)
		if err != nil || d < 0 {
			return 0, invalid("tokens.leeway", "%q is not a non-negative duration", t)
		}
		return d, nil
	case int64:
		if t < 0 || t > 1<<31 {
			return 0, invalid("tokens.leeway", "must be non-negative seconds")
		}
		return time.Duration(t) * time.Second, nil
	default:
		return 0, invalid("tokens.leeway", "must be a duration string or integer seconds, not %T", v)
	}
}

// HeaderName turns AUTH_HEADER_NAME into an HTTP header name: Django's META
// form ("HTTP_AUTHORIZATION", "HTTP_X_ACCESS_TOKEN") or a header name
// ("Authorization", "x-access-token") both give the canonical header name.
func HeaderName(v string) (string, error) {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "HTTP_") {
		v = strings.ReplaceAll(strings.TrimPrefix(v, "HTTP_"), "_", "-")
	}
	if v == "" {
		return "", fmt.Errorf("must name a header")
	}
	for _, c := range v {
		if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return "", fmt.Errorf("%q is not a header name", v)
		}
	}
	return textproto.CanonicalMIMEHeaderKey(v), nil
}

// tokenClass maps Simple JWT's class paths to token types, so a settings.py
// value can be copied over: "rest_framework_simplejwt.tokens.AccessToken" is
// "access". Anything else is a token type name as it is.
func tokenClass(c string) string {
	switch c {
	case "rest_framework_simplejwt.tokens.AccessToken", "AccessToken":
		return "access"
	case "rest_framework_simplejwt.tokens.SlidingToken", "SlidingToken":
		return "sliding"
	case "rest_framework_simplejwt.tokens.RefreshToken", "RefreshToken":
		return "refresh"
	}
	return c
}
