package core_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
)

// exampleService is a Service on in-memory stores with user alice.
func exampleService(mod func(*core.Settings)) *core.Service {
	ctx := context.Background()
	users := memory.NewUserStore()
	_, _ = users.CreateUser(ctx, sdk.NewUser{Username: "alice", Password: "s3cret", IsActive: true})
	settings := core.DefaultSettings()
	settings.SigningKey = "an HMAC secret of at least 32 bytes, from a file or env"
	if mod != nil {
		mod(&settings)
	}
	svc, err := core.New(settings, core.Plugins{Users: users, Blacklist: memory.NewBlacklistStore()})
	if err != nil {
		panic(err)
	}
	return svc
}

func ExampleNew() {
	settings := core.DefaultSettings()
	settings.SigningKey = "short"
	_, err := core.New(settings, core.Plugins{Users: memory.NewUserStore()})
	fmt.Println(err)
	// Output: tokens.signing_key: HMAC key is 5 bytes; HS256 needs at least 32
}

func ExampleService_Obtain() {
	svc := exampleService(nil)
	ctx := context.Background()
	pair, err := svc.Obtain(ctx, sdk.Credentials{"username": "alice", "password": "s3cret"})
	fmt.Println(err, pair.Access != "", pair.Refresh != "")

	_, err = svc.Obtain(ctx, sdk.Credentials{"username": "alice", "password": "wrong"})
	fmt.Println(err)
	// Output:
	// <nil> true true
	// No active account found with the given credentials
}

func ExampleService_Refresh() {
	svc := exampleService(func(s *core.Settings) {
		s.RotateRefreshTokens = true
		s.BlacklistAfterRotation = true
	})
	ctx := context.Background()
	pair, _ := svc.Obtain(ctx, sdk.Credentials{"username": "alice", "password": "s3cret"})
	out, err := svc.Refresh(ctx, pair.Refresh)
	fmt.Println(err, out.Access != "", out.Refresh != "")
	// The old refresh token was consumed by the rotation.
	_, err = svc.Refresh(ctx, pair.Refresh)
	fmt.Println(errors.Is(err, core.ErrTokenBlacklisted))
	// Output:
	// <nil> true true
	// true
}

func ExampleService_Verify() {
	svc := exampleService(nil)
	ctx := context.Background()
	pair, _ := svc.Obtain(ctx, sdk.Credentials{"username": "alice", "password": "s3cret"})
	fmt.Println(svc.Verify(ctx, pair.Access))
	fmt.Println(svc.Verify(ctx, pair.Access+"x"))
	// Output:
	// <nil>
	// Token is invalid: signature is invalid
}

func ExampleService_Authenticate() {
	svc := exampleService(nil)
	ctx := context.Background()
	pair, _ := svc.Obtain(ctx, sdk.Credentials{"username": "alice", "password": "s3cret"})
	user, tok, err := svc.Authenticate(ctx, "Bearer "+pair.Access)
	fmt.Println(user.Username, tok.Type, err)

	_, _, err = svc.Authenticate(ctx, "Bearer "+pair.Refresh)
	var ce *core.Error
	errors.As(err, &ce)
	fmt.Println(ce.Detail, ce.Messages[0].TokenClass, ce.Messages[0].Message)
	// Output:
	// alice access <nil>
	// Given token not valid for any token type AccessToken Token has wrong type
}

func ExampleService_AuthenticateStateless() {
	svc := exampleService(nil)
	ctx := context.Background()
	pair, _ := svc.Obtain(ctx, sdk.Credentials{"username": "alice", "password": "s3cret"})
	fields, _, err := svc.AuthenticateStateless(ctx, "Bearer "+pair.Access)
	fmt.Println(fields, err)
	// Output: map[id:1] <nil>
}

func ExampleService_ObtainSliding() {
	svc := exampleService(nil)
	ctx := context.Background()
	sl, _ := svc.ObtainSliding(ctx, sdk.Credentials{"username": "alice", "password": "s3cret"})
	out, err := svc.RefreshSliding(ctx, sl.Token)
	fmt.Println(out.Token != "", err)
	// Output: true <nil>
}

func ExampleService_Blacklist() {
	svc := exampleService(nil)
	ctx := context.Background()
	pair, _ := svc.Obtain(ctx, sdk.Credentials{"username": "alice", "password": "s3cret"})
	fmt.Println(svc.Blacklist(ctx, pair.Refresh))
	fmt.Println(svc.Blacklist(ctx, pair.Refresh))
	fmt.Println(svc.Verify(ctx, pair.Refresh))
	// Output:
	// <nil>
	// Token is blacklisted
	// Token is blacklisted
}

func ExampleResolveKey() {
	key, err := core.ResolveKey("env:JWTD_EXAMPLE_UNSET_KEY", ".")
	fmt.Println(key, err)
	// Output: [] environment variable "JWTD_EXAMPLE_UNSET_KEY" is not set
}

func ExampleRevokeClaim() {
	fmt.Println(core.RevokeClaim("pbkdf2_sha256$260000$fixedsalt1234567$dsnA5no4cm93tNJ9MEMnK1SYZtvo7fN0mrOygCPO6xQ="))
	// Output: FCE303FC9647F645BB3DEBEC0B75C289
}

func ExampleWithClock() {
	now := time.Unix(1795478400, 0)
	users := memory.NewUserStore()
	u, _ := users.CreateUser(context.Background(), sdk.NewUser{Username: "alice", Password: "pw", IsActive: true})
	settings := core.DefaultSettings()
	settings.SigningKey = "an HMAC secret of at least 32 bytes, from a file or env"
	svc, _ := core.New(settings, core.Plugins{Users: users}, core.WithClock(func() time.Time { return now }))
	pair, _ := svc.IssueFor(context.Background(), u)
	now = now.Add(5 * time.Minute) // exp == now: expired
	fmt.Println(svc.Verify(context.Background(), pair.Access))
	// Output: Token is expired
}

// CheckJWKURL is the rule JWK_URL and every redirect it leads to must pass:
// https, or http to a loopback host when explicitly allowed for tests.
func ExampleCheckJWKURL() {
	for _, c := range []struct {
		url       string
		allowHTTP bool
	}{
		{"https://issuer.example/.well-known/jwks.json", false},
		{"http://issuer.example/.well-known/jwks.json", false},
		{"http://127.0.0.1:8080/jwks.json", true},
		{"http://issuer.example/jwks.json", true},
	} {
		fmt.Println(c.url, c.allowHTTP, core.CheckJWKURL(c.url, c.allowHTTP) == nil)
	}
	// Output:
	// https://issuer.example/.well-known/jwks.json false true
	// http://issuer.example/.well-known/jwks.json false false
	// http://127.0.0.1:8080/jwks.json true true
	// http://issuer.example/jwks.json true false
}
