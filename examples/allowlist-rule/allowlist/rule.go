// Package allowlist is an example jwtd authentication rule (Simple JWT's
// USER_AUTHENTICATION_RULE): a user may authenticate only while active and
// holding at least one allowed value of an attribute, for example being in
// the group "staff" or "ops".
//
// It imports only github.com/jwtd/jwtd/sdk, as any third-party rule would,
// and is served out of process by the few lines of ../main.go.
package allowlist

import (
	"context"
	"fmt"
	"slices"

	"github.com/jwtd/jwtd/sdk"
)

// Config is the rule's [plugins.auth_rule.config] table.
type Config struct {
	// Attribute is the user attribute to check (sdk.User.Attributes key).
	// Default "groups". Its value may be a string or a list of strings; any
	// other value, or none, allows nothing.
	Attribute string `json:"attribute"`
	// Allow lists the values that let a user in; one shared value is enough.
	// Required and non-empty: an empty allow-list would lock everyone out,
	// which is surely a mistake in the config rather than the intent.
	Allow []string `json:"allow"`
}

// Rule is an sdk.AuthRule allowing active users whose attribute intersects an
// allow-list. It holds no mutable state and is safe for concurrent use.
type Rule struct {
	attribute string
	allow     map[string]bool
}

// New is the rule's sdk.Factory: it decodes cfg, refusing unknown keys, a
// missing or empty allow-list and empty values.
func New(ctx context.Context, cfg sdk.Config) (sdk.AuthRule, error) {
	c := Config{Attribute: "groups"}
	if err := cfg.Decode(&c); err != nil {
		return nil, fmt.Errorf("allowlist: %w", err)
	}
	if c.Attribute == "" {
		return nil, fmt.Errorf("allowlist: %w: \"attribute\" is empty", sdk.ErrInvalidConfig)
	}
	if len(c.Allow) == 0 {
		return nil, fmt.Errorf("allowlist: %w: \"allow\" must list at least one value", sdk.ErrInvalidConfig)
	}
	if slices.Contains(c.Allow, "") {
		return nil, fmt.Errorf("allowlist: %w: \"allow\" holds an empty value", sdk.ErrInvalidConfig)
	}
	r := &Rule{attribute: c.Attribute, allow: map[string]bool{}}
	for _, v := range c.Allow {
		r.allow[v] = true
	}
	return r, nil
}

// Allow implements sdk.AuthRule. Inactive users are refused first, as the
// default rule refuses them: the allow-list narrows the default, never widens
// it.
func (r *Rule) Allow(ctx context.Context, user sdk.User) (bool, error) {
	if !user.IsActive {
		return false, nil
	}
	for _, v := range values(user.Attributes[r.attribute]) {
		if r.allow[v] {
			return true, nil
		}
	}
	return false, nil
}

// values returns the strings of an attribute value: a string is one value, a
// list its string elements. Attributes crossing the plugin boundary arrive
// as []any; a store in process may hand over []string.
func values(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	default:
		return nil
	}
}

var _ sdk.AuthRule = (*Rule)(nil)
