package core_test

import (
	"context"
	"fmt"
	"time"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/sdk"
)

// A rotation: the new key signs, the previous one verifies the tokens it
// signed until its retire_after, and a token without a kid (as Simple JWT
// issues them) is verified with the signing key.
func ExampleKey() {
	const oldSecret = "an HMAC secret of at least 32 bytes, from a file or env"
	before := exampleService(nil) // signs with oldSecret
	ctx := context.Background()
	old, _ := before.Obtain(ctx, sdk.Credentials{"username": "alice", "password": "s3cret"})

	after := exampleService(func(s *core.Settings) {
		s.SigningKey = ""
		s.Keys = []core.Key{
			{ID: "2026-12", State: core.KeySigning, SigningKey: "the next HMAC secret, also 32 bytes or more"},
			{State: core.KeyVerify, SigningKey: oldSecret, RetireAfter: time.Now().Add(24 * time.Hour)},
		}
	})
	_, _, err := after.Authenticate(ctx, "Bearer "+old.Access)
	fmt.Println("old token:", err)
	fresh, _ := after.Obtain(ctx, sdk.Credentials{"username": "alice", "password": "s3cret"})
	_, tok, err := after.Authenticate(ctx, "Bearer "+fresh.Access)
	fmt.Println("new token:", err, tok.Type)
	// Output:
	// old token: <nil>
	// new token: <nil> access
}

// A resource server verifies jwtd's tokens with no stores and no private
// key (the shared HMAC secret here; an asymmetric algorithm needs only
// VerifyingKey), by the rules of stateless authentication.
func ExampleNewVerifier() {
	settings := core.DefaultSettings()
	settings.SigningKey = "an HMAC secret of at least 32 bytes, from a file or env" // HMAC: the shared secret
	v, err := core.NewVerifier(settings)
	if err != nil {
		panic(err)
	}
	pair, _ := exampleService(nil).Obtain(context.Background(), sdk.Credentials{"username": "alice", "password": "s3cret"})
	u, err := v.Authenticate(context.Background(), "Bearer "+pair.Access)
	fmt.Println(err, u.ID, u.Token.Type)
	_, err = v.Authenticate(context.Background(), "Bearer "+pair.Refresh)
	fmt.Println(err)
	// Output:
	// <nil> 1 access
	// Given token not valid for any token type
}
