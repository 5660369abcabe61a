package config

import (
	"fmt"
	"log/slog"
	"time"

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
	s.Keys = redactRing(s.Keys)
	return fmt.Sprintf("%+v", s)
}

// LogValue makes slog print the redacted form.
func (r Redacted) LogValue() slog.Value {
	s := core.Settings(r)
	return slog.GroupValue(
		slog.String("algorithm", s.Algorithm),
		slog.String("signing_key", redactKey(s.SigningKey)),
		slog.String("verifying_key", redactKey(s.VerifyingKey)),
		slog.Any("keys", ringSummary(s.Keys)),
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

// redactRing copies the ring with its key material redacted.
func redactRing(keys []core.Key) []core.Key {
	out := make([]core.Key, len(keys))
	for i, k := range keys {
		k.SigningKey = redactKey(k.SigningKey)
		k.VerifyingKey = redactKey(k.VerifyingKey)
		out[i] = k
	}
	return out
}

// ringSummary names each ring key by kid, algorithm and state (and
// retire_after): what an operator checks after a rotation.
func ringSummary(keys []core.Key) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("%s %s %s", k.ID, k.Algorithm, k.State)
		if !k.RetireAfter.IsZero() {
			out[i] += " until " + k.RetireAfter.UTC().Format(time.RFC3339)
		}
	}
	return out
}
