package config

import (
	"fmt"
	"log/slog"

	"github.com/jwtd/jwtd/core"
)

// Redacted is core.Settings made safe to log or print: key material is
// replaced by a note of its presence and size.
type Redacted core.Settings

func redactKey(k string) string {
	if k == "" {
		return ""
	}
	return fmt.Sprintf("[redacted, %d bytes]", len(k))
}

// String prints the settings without key material.
func (r Redacted) String() string {
	s := core.Settings(r)
	s.SigningKey = redactKey(s.SigningKey)
	s.VerifyingKey = redactKey(s.VerifyingKey)
	return fmt.Sprintf("%+v", s)
}

// LogValue makes slog print the redacted form.
func (r Redacted) LogValue() slog.Value {
	s := core.Settings(r)
	return slog.GroupValue(
		slog.String("algorithm", s.Algorithm),
		slog.String("signing_key", redactKey(s.SigningKey)),
		slog.String("verifying_key", redactKey(s.VerifyingKey)),
		slog.Duration("access_token_lifetime", s.AccessTokenLifetime),
		slog.Duration("refresh_token_lifetime", s.RefreshTokenLifetime),
		slog.Bool("rotate_refresh_tokens", s.RotateRefreshTokens),
		slog.Bool("blacklist_after_rotation", s.BlacklistAfterRotation),
		slog.Bool("update_last_login", s.UpdateLastLogin),
		slog.Bool("check_revoke_token", s.CheckRevokeToken),
		slog.Any("auth_header_types", s.AuthHeaderTypes),
		slog.String("auth_header_name", s.AuthHeaderName),
		slog.Any("auth_token_classes", s.AuthTokenClasses),
	)
}
