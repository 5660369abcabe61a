// Package rolesclaims is an example jwtd claim serializer: it adds "roles"
// and "email" claims to the tokens issued at obtain, a "user" field to obtain
// responses, and shows roles and email in the token user read back from a
// token's claims (Simple JWT's TOKEN_USER_CLASS) without a user lookup.
//
// It imports only github.com/jwtd/jwtd/sdk, as any third-party serializer
// would, and is served out of process by the few lines of ../main.go.
package rolesclaims

import (
	"context"
	"fmt"

	"github.com/jwtd/jwtd/sdk"
)

// Config is the serializer's [plugins.claim_serializer.config] table.
type Config struct {
	// RolesAttribute is the user attribute whose strings become the "roles"
	// claim. Default "roles". A user store keeping groups instead (such as
	// the htpasswd example with a group file) sets "groups".
	RolesAttribute string `json:"roles_attribute"`
	// EmailAttribute is the user attribute holding the email address.
	// Default "email".
	EmailAttribute string `json:"email_attribute"`
}

// Serializer is an sdk.ClaimSerializer adding roles and email. It holds no
// mutable state and is safe for concurrent use.
type Serializer struct {
	cfg Config
}

// New is the serializer's sdk.Factory; it refuses unknown keys and empty
// attribute names.
func New(ctx context.Context, cfg sdk.Config) (sdk.ClaimSerializer, error) {
	c := Config{RolesAttribute: "roles", EmailAttribute: "email"}
	if err := cfg.Decode(&c); err != nil {
		return nil, fmt.Errorf("rolesclaims: %w", err)
	}
	if c.RolesAttribute == "" || c.EmailAttribute == "" {
		return nil, fmt.Errorf("rolesclaims: %w: attribute names must not be empty", sdk.ErrInvalidConfig)
	}
	return &Serializer{cfg: c}, nil
}

// TokenClaims implements sdk.ClaimSerializer: "roles" is always present (an
// empty list for a user without roles, so that consumers need not tell a
// missing claim from no roles), "email" only when the user has one. For a
// pair (tokenType "refresh") the access token inherits both.
func (s *Serializer) TokenClaims(ctx context.Context, user sdk.User, tokenType string) (map[string]any, error) {
	claims := map[string]any{"roles": strings(user.Attributes[s.cfg.RolesAttribute])}
	if email, ok := user.Attributes[s.cfg.EmailAttribute].(string); ok && email != "" {
		claims["email"] = email
	}
	return claims, nil
}

// ResponseFields implements sdk.ClaimSerializer: obtain responses carry
// "user": {"username": ..., "email": ...} beside the tokens, so a client
// need not decode the token to greet the user. email is "" when unknown,
// keeping the shape fixed for clients.
func (s *Serializer) ResponseFields(ctx context.Context, user sdk.User) (map[string]any, error) {
	email, _ := user.Attributes[s.cfg.EmailAttribute].(string)
	return map[string]any{
		"user": map[string]any{"username": user.Username, "email": email},
	}, nil
}

// TokenUser implements sdk.ClaimSerializer: the token user shows the roles
// and email carried by the token. A token issued before this serializer was
// configured has neither; it gets empty roles and no email, never an error,
// since the token itself is valid.
func (s *Serializer) TokenUser(ctx context.Context, claims map[string]any) (map[string]any, error) {
	user := map[string]any{"roles": strings(claims["roles"])}
	if email, ok := claims["email"].(string); ok && email != "" {
		user["email"] = email
	}
	return user, nil
}

// strings returns the string elements of a list value (a lone string is a
// one-element list) as []any, the JSON-compatible form that crosses the
// plugin boundary unchanged. Other values are dropped.
func strings(v any) []any {
	out := []any{}
	switch v := v.(type) {
	case string:
		if v != "" {
			out = append(out, v)
		}
	case []string:
		for _, s := range v {
			out = append(out, s)
		}
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

var _ sdk.ClaimSerializer = (*Serializer)(nil)
