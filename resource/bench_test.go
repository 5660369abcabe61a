package resource_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtd/jwtd/resource"
)

// BenchmarkVerify compares the middleware's whole check of a request (the
// header parsed, the token decoded strictly, the signature verified, every
// claim checked, the user and claims map built) with a bare golang-jwt
// parse of the same token into MapClaims: the price of jwtd's rules over
// the usual minimum. The two run interleaved in chunks, so machine noise
// hits both alike, and "ratio" is middleware/bare.
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
		var key any = s.verifyingKey(b)
		if s.key != "hmac" {
			if key, err = jwt.ParseECPublicKeyFromPEM(s.verifyingKey(b)); err != nil {
				b.Fatal(err)
			}
		}
		parser := jwt.NewParser(jwt.WithValidMethods([]string{s.alg}), jwt.WithTimeFunc(fixedClock), jwt.WithExpirationRequired())
		keyFunc := func(*jwt.Token) (any, error) { return key, nil }
		b.Run(s.alg, func(b *testing.B) {
			var mwNS, bareNS time.Duration
			const chunk = 16
			for b.Loop() {
				t0 := time.Now()
				for range chunk {
					if _, err := v.Authenticate(req); err != nil {
						b.Fatal(err)
					}
				}
				t1 := time.Now()
				for range chunk {
					if _, err := parser.Parse(tok, keyFunc); err != nil {
						b.Fatal(err)
					}
				}
				mwNS += t1.Sub(t0)
				bareNS += time.Since(t1)
			}
			n := float64(b.N * chunk)
			b.ReportMetric(float64(mwNS.Nanoseconds())/n, "resource-ns/op")
			b.ReportMetric(float64(bareNS.Nanoseconds())/n, "golang-jwt-ns/op")
			b.ReportMetric(float64(mwNS)/float64(bareNS), "ratio")
		})
	}
}
