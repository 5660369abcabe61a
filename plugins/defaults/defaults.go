// Package defaults holds jwtd's default authentication rule and claim
// serializer: Simple JWT's behaviour when USER_AUTHENTICATION_RULE and the
// serializer settings are left alone. jwtd links them in when a config names
// no plugin for the kind; cmd/jwtd-plugin-defaults serves them out of
// process.
package defaults

import (
	"context"

	"github.com/jwtd/jwtd/sdk"
)

// AuthRule is Simple JWT's default_user_authentication_rule: a user may
// authenticate exactly when it is active.
type AuthRule struct{}

// Allow implements sdk.AuthRule.
func (AuthRule) Allow(ctx context.Context, user sdk.User) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return user.IsActive, nil
}

// NewAuthRule is the sdk.Factory of AuthRule. It takes no settings, and
// refuses any so that a misplaced key in jwtd.toml is noticed.
func NewAuthRule(_ context.Context, cfg sdk.Config) (sdk.AuthRule, error) {
	var none struct{}
	if err := cfg.Decode(&none); err != nil {
		return nil, err
	}
	return AuthRule{}, nil
}

// ClaimSerializer adds nothing: no extra claims, no extra response fields,
// and a token user of just the id the core sets (Simple JWT's TokenUser).
type ClaimSerializer struct{}

// TokenClaims implements sdk.ClaimSerializer.
func (ClaimSerializer) TokenClaims(ctx context.Context, _ sdk.User, _ string) (map[string]any, error) {
	return nil, ctx.Err()
}

// ResponseFields implements sdk.ClaimSerializer.
func (ClaimSerializer) ResponseFields(ctx context.Context, _ sdk.User) (map[string]any, error) {
	return nil, ctx.Err()
}

// TokenUser implements sdk.ClaimSerializer.
func (ClaimSerializer) TokenUser(ctx context.Context, _ map[string]any) (map[string]any, error) {
	return nil, ctx.Err()
}

// NewClaimSerializer is the sdk.Factory of ClaimSerializer. It takes no
// settings, and refuses any.
func NewClaimSerializer(_ context.Context, cfg sdk.Config) (sdk.ClaimSerializer, error) {
	var none struct{}
	if err := cfg.Decode(&none); err != nil {
		return nil, err
	}
	return ClaimSerializer{}, nil
}

// Compile-time interface guards.
var (
	_ sdk.AuthRule                     = AuthRule{}
	_ sdk.ClaimSerializer              = ClaimSerializer{}
	_ sdk.Factory[sdk.AuthRule]        = NewAuthRule
	_ sdk.Factory[sdk.ClaimSerializer] = NewClaimSerializer
)
