package core

import "time"

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
	BlacklistAfterRotation bool          // BLACKLIST_AFTER_ROTATION
	UpdateLastLogin        bool          // UPDATE_LAST_LOGIN

	Algorithm string // ALGORITHM, default "HS256"
	// SigningKey and VerifyingKey hold key material itself: the HMAC secret,
	// or PEM text for asymmetric algorithms. ResolveKey turns the config forms
	// (inline, "file:PATH", "env:NAME") into material.
	SigningKey   string
	VerifyingKey string
	Audience     []string // AUDIENCE; empty means not issued and not checked
	Issuer       string   // ISSUER; empty means not issued and not checked
	JWKURL       string   // JWK_URL; verifying keys come from there when set
	Leeway       time.Duration

	AuthHeaderTypes []string // AUTH_HEADER_TYPES, default ["Bearer"]
	// AuthHeaderName is the HTTP header name (e.g. "Authorization"); the
	// host also accepts Django's META form ("HTTP_AUTHORIZATION").
	AuthHeaderName string
	UserIDField    string // USER_ID_FIELD, default "id"
	UserIDClaim    string // USER_ID_CLAIM, default "user_id"
	// AuthTokenClasses are the token types the authenticate operations
	// accept, in order (default ["access"]).
	AuthTokenClasses []string
	TokenTypeClaim   string // TOKEN_TYPE_CLAIM, default "token_type"
	JTIClaim         string // JTI_CLAIM, default "jti"

	SlidingTokenRefreshExpClaim string        // default "refresh_exp"
	SlidingTokenLifetime        time.Duration // default 5m
	SlidingTokenRefreshLifetime time.Duration // default 24h

	CheckRevokeToken  bool   // CHECK_REVOKE_TOKEN
	RevokeTokenClaim  string // REVOKE_TOKEN_CLAIM, default "hash_password"
	CheckUserIsActive bool   // CHECK_USER_IS_ACTIVE, default true

	// CustomTokenTypes declares token types beyond access, refresh and
	// sliding, by type claim value, with their lifetimes. They can be named
	// in AuthTokenClasses.
	CustomTokenTypes map[string]time.Duration
}
