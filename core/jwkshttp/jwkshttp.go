// Package jwkshttp fetches a JWK Set over HTTP for the token core, which
// itself imports no HTTP package. The host builds one fetcher per JWK_URL and
// passes it with core.WithJWKSFetcher.
package jwkshttp

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/jwtd/jwtd/core"
)

// MaxBody caps the JWK Set document size, so a hostile or broken URL cannot
// exhaust memory.
const MaxBody = 1 << 20

// DefaultTimeout bounds one fetch when client is nil.
const DefaultTimeout = 5 * time.Second

// Fetcher returns a core.JWKSFetcher that GETs url with client (a client
// with DefaultTimeout when nil). Anything but a 200 response is an error; the
// core then keeps serving the keys it already has.
func Fetcher(url string, client *http.Client) core.JWKSFetcher {
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout}
	}
	return func(ctx context.Context) ([]byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("jwkshttp: GET %s: %s", url, resp.Status)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
		if err != nil {
			return nil, err
		}
		if len(body) > MaxBody {
			return nil, fmt.Errorf("jwkshttp: GET %s: document larger than %d bytes", url, MaxBody)
		}
		return body, nil
	}
}
