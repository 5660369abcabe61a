package resource_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/resource"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
)

// A resource server sharing jwtd's HMAC secret protects a handler; the
// handler reads the token's user from the context. A request without a
// token gets jwtd's own 401.
func Example() {
	secret := []byte("a shared HS256 secret of at least 32 bytes")
	v, err := resource.New(resource.WithKey("HS256", secret))
	if err != nil {
		log.Fatal(err)
	}
	api := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := resource.UserFrom(r.Context())
		fmt.Fprintf(w, "hello user %s (%s token)", u.ID, u.TokenType)
	}))

	access := issueWithJWTD(secret) // what POST /api/token/ returns as "access"
	for _, auth := range []string{"Bearer " + access, ""} {
		r := httptest.NewRequest(http.MethodGet, "/api/things", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		fmt.Println(strings.TrimSpace(fmt.Sprint(w.Code, " ", w.Body.String(), " ", w.Header().Get("WWW-Authenticate"))))
	}
	// Output:
	// 200 hello user 1 (access token)
	// 401 {"detail":"Authentication credentials were not provided."} Bearer realm="api"
}

// issueWithJWTD stands in for jwtd: its token core issuing an access token
// for user 1.
func issueWithJWTD(secret []byte) string {
	s := core.DefaultSettings()
	s.SigningKey = string(secret)
	users := memory.NewUserStore()
	u, _ := users.CreateUser(context.Background(), sdk.NewUser{Username: "alice", Password: "pw", IsActive: true})
	svc, err := core.New(s, core.Plugins{Users: users})
	if err != nil {
		log.Fatal(err)
	}
	pair, err := svc.IssueFor(context.Background(), u)
	if err != nil {
		log.Fatal(err)
	}
	return pair.Access
}

// Keys from jwtd's JWK Set, with jwtd's audience and issuer, and an online
// check so that logouts and deactivated users are refused within 2
// seconds.
func ExampleWithJWKS() {
	v, err := resource.New(
		resource.WithJWKS("https://auth.example.com/.well-known/jwks.json", "ES256"),
		resource.WithAudience("inventory"),
		resource.WithIssuer("https://auth.example.com"),
		resource.WithLeeway(5*time.Second),
		resource.WithOnlineCheck("https://auth.example.com/api/authenticate/", 2*time.Second),
	)
	if err != nil {
		log.Fatal(err)
	}
	http.Handle("/api/", v.Middleware(http.NotFoundHandler()))
}

// A handler can also check a request itself, and choose its own answer.
func ExampleVerifier_Authenticate() {
	v, err := resource.New(resource.WithKey("HS256", []byte("a shared HS256 secret of at least 32 bytes")))
	if err != nil {
		log.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer not-a-token")
	_, err = v.Authenticate(r)
	fmt.Println(err != nil, errors.Is(err, core.ErrNoValidTokenType))
	// Output: true true
}
