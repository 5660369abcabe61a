// Command resource-server is a small API that trusts jwtd's tokens without
// calling jwtd for each request: package resource verifies them locally
// with jwtd's keys (its JWK Set, or a shared HMAC secret) and jwtd's rules,
// and optionally asks jwtd whether a token was revoked.
//
//	go run ./examples/resource-server -jwks-url https://auth.example.com/.well-known/jwks.json -algorithm ES256
//	curl -H "Authorization: Bearer $ACCESS" localhost:8080/api/profile
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/jwtd/jwtd/resource"
)

// config is the service's flags.
type config struct {
	listen      string
	jwksURL     string
	algorithm   string
	keyFile     string
	audience    string
	issuer      string
	onlineCheck string
	onlineTTL   time.Duration
	minRefetch  time.Duration
	allowHTTP   bool
}

func main() {
	var c config
	flag.StringVar(&c.listen, "listen", "127.0.0.1:8080", "address to serve on")
	flag.StringVar(&c.jwksURL, "jwks-url", "", "jwtd's JWK Set URL (asymmetric algorithms)")
	flag.StringVar(&c.algorithm, "algorithm", "ES256", "jwtd's algorithm, pinned")
	flag.StringVar(&c.keyFile, "key-file", "", "instead of -jwks-url: the HMAC secret or public key PEM file")
	flag.StringVar(&c.audience, "audience", "", "jwtd's audience, when it sets one")
	flag.StringVar(&c.issuer, "issuer", "", "jwtd's issuer, when it sets one")
	flag.StringVar(&c.onlineCheck, "online-check", "", "jwtd's /api/authenticate/ URL: also refuse revoked tokens and inactive users")
	flag.DurationVar(&c.onlineTTL, "online-ttl", 2*time.Second, "how long an online answer is reused")
	flag.DurationVar(&c.minRefetch, "jwks-min-refetch", 10*time.Second, "least time between two JWK Set fetches")
	flag.BoolVar(&c.allowHTTP, "unsafe-jwks-http", false, "allow an http:// JWK Set URL on a loopback host (jwtd on this machine)")
	flag.Parse()
	h, err := newHandler(c)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("resource server on %s", c.listen)
	srv := &http.Server{Addr: c.listen, Handler: h, ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

// newHandler builds the service: /healthz open, everything under /api/
// behind jwtd's tokens.
func newHandler(c config) (http.Handler, error) {
	opts := []resource.Option{resource.WithJWKSCache(0, c.minRefetch)}
	if c.keyFile != "" {
		key, err := os.ReadFile(c.keyFile)
		if err != nil {
			return nil, err
		}
		opts = append(opts, resource.WithKey(c.algorithm, key))
	} else {
		opts = append(opts, resource.WithJWKS(c.jwksURL, c.algorithm))
		if c.allowHTTP {
			opts = append(opts, resource.UnsafeAllowHTTPJWKS())
		}
	}
	if c.audience != "" {
		opts = append(opts, resource.WithAudience(c.audience))
	}
	if c.issuer != "" {
		opts = append(opts, resource.WithIssuer(c.issuer))
	}
	if c.onlineCheck != "" {
		opts = append(opts, resource.WithOnlineCheck(c.onlineCheck, c.onlineTTL))
	}
	v, err := resource.New(opts...)
	if err != nil {
		return nil, err
	}
	api := http.NewServeMux()
	api.HandleFunc("GET /api/profile", profile)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.Handle("/api/", v.Middleware(api))
	return mux, nil
}

// profile answers with what the token says about its user.
func profile(w http.ResponseWriter, r *http.Request) {
	u, _ := resource.UserFrom(r.Context())
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"user_id": u.ID, "token_type": u.TokenType, "expires": u.Claims["exp"]})
}
