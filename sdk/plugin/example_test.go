package plugin_test

import (
	"context"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/plugin"
)

// groupRule allows active users of one group.
type groupRule struct{ group string }

func (r groupRule) Allow(_ context.Context, u sdk.User) (bool, error) {
	groups, _ := u.Attributes["groups"].([]any)
	for _, g := range groups {
		if g == r.group {
			return u.IsActive, nil
		}
	}
	return false, nil
}

// newGroupRule is the factory: it reads [plugins.auth_rule.config] and
// refuses unknown keys, so a typo is a start-up error naming the plugin.
func newGroupRule(_ context.Context, cfg sdk.Config) (sdk.AuthRule, error) {
	var c struct {
		Group string `json:"group"`
	}
	if err := cfg.Decode(&c); err != nil {
		return nil, err
	}
	return groupRule{group: c.Group}, nil
}

// A plugin binary's whole main: hand Serve the factories of the kinds it
// offers.
func ExampleServe() {
	plugin.Serve(plugin.Set{AuthRule: newGroupRule})
}
