package resource_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtd/jwtd/resource"
)

// BenchmarkVerify compares the middleware's whole check of a request (the
// header parsed, the token decoded strictly, the signature verified, every
// claim checked, the user and claims map built) with a bare golang-jwt
// parse of the same token into MapClaims: the price of jwtd's rules over
// the usual minimum. Compare the two within one run, as ratios.
func BenchmarkVerify(b *testing.B) {
	for _, s := range []setup{setups[0], setups[2]} {
		is := newIssuer(b, s.issuerSettings(b))
		tok := is.access(b)
		v, err := resource.New(resource.WithKey(s.alg, s.verifyingKey(b)), resource.WithClock(fixedClock))
		if err != nil {
			b.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		b.Run(s.alg+"/resource", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Authenticate(req); err != nil {
					b.Fatal(err)
				}
			}
		})
		var key any = s.verifyingKey(b)
		if s.key != "hmac" {
			if key, err = jwt.ParseECPublicKeyFromPEM(s.verifyingKey(b)); err != nil {
				b.Fatal(err)
			}
		}
		parser := jwt.NewParser(jwt.WithValidMethods([]string{s.alg}), jwt.WithTimeFunc(fixedClock), jwt.WithExpirationRequired())
		keyFunc := func(*jwt.Token) (any, error) { return key, nil }
		b.Run(s.alg+"/golang-jwt", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parser.Parse(tok, keyFunc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
