package htpasswd_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/jwtd/jwtd/examples/htpasswd-userstore/htpasswd"
	"github.com/jwtd/jwtd/sdk"
)

// ExampleNew builds the store from the config table jwtd hands it and logs
// a user in.
func ExampleNew() {
	store, err := htpasswd.New(context.Background(), sdk.Config{
		"path":        "../testdata/users.htpasswd",
		"groups_file": "../testdata/users.groups",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	u, err := store.Authenticate(context.Background(), sdk.Credentials{"username": "alice", "password": "alice-secret"})
	fmt.Println(u.ID, u.IsActive, u.Attributes["groups"], err)
	_, err = store.Authenticate(context.Background(), sdk.Credentials{"username": "alice", "password": "guess"})
	fmt.Println(errors.Is(err, sdk.ErrInvalidCredentials))
	// Output:
	// alice true [ops staff] <nil>
	// true
}
