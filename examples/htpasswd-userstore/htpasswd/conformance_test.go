package htpasswd_test

import (
	"testing"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// fixtureUsers are the users of testdata/users.htpasswd with
// testdata/users.groups, as the conformance kit expects to find them.
func fixtureUsers() []sdktest.KnownUser {
	groups := map[string][]any{"alice": {"ops", "staff"}, "bob": {"staff"}, "carol": {}}
	var users []sdktest.KnownUser
	for name, pw := range fixturePasswords {
		users = append(users, sdktest.KnownUser{
			Credentials: sdk.Credentials{"username": name, "password": pw},
			ID:          name, Username: name, IsActive: true,
			Attributes: map[string]any{"groups": groups[name]},
		})
	}
	return users
}

// TestConformance runs jwtd's user store conformance kit in process; the
// plugin test in the parent directory runs it against the built binary.
func TestConformance(t *testing.T) {
	sdktest.TestUserStore(t, func(t *testing.T) sdktest.UserStoreSetup {
		return sdktest.UserStoreSetup{
			Store: newStore(t, sdk.Config{"path": fixture, "groups_file": "../testdata/users.groups"}),
			Users: fixtureUsers(),
		}
	})
}
