// Package jwkshttp fetches a JWK Set over HTTP for the token core, which
// itself imports no HTTP package. The host builds one fetcher per JWK_URL and
// passes it with core.WithJWKSFetcher.
package jwkshttp

import (
	"context"
	"errors"
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

// maxRedirects is as many redirects as net/http's default policy follows.
const maxRedirects = 10

// Option changes a Fetcher's defaults.
type Option func(*options)

type options struct {
	allowHTTP bool
}

// UnsafeAllowHTTP lets the fetcher use an http:// URL, and follow a
// redirect to one, when its host is loopback (localhost, 127.0.0.0/8, ::1):
// for tests against a local server only, as core.CheckJWKURL describes.
// Over plain HTTP anyone on the path chooses the keys tokens are verified
// with; the name says so, as golang-jwt's UnsafeAllowNoneSignatureType
// does. The host passes it when [tokens] unsafe_jwk_url_allow_http is set.
func UnsafeAllowHTTP() Option {
	return func(o *options) { o.allowHTTP = true }
}

// Fetcher returns a core.JWKSFetcher that GETs url with client (a client
// with DefaultTimeout when nil). The URL, and every redirect it leads to,
// must pass core.CheckJWKURL: https only, unless UnsafeAllowHTTP admits a
// loopback http:// URL, so an https URL redirecting to http is refused.
// Anything but a 200 response is an error; the core then keeps serving the
// keys it already has.
func Fetcher(url string, client *http.Client, opts ...Option) core.JWKSFetcher {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	c := &http.Client{Timeout: DefaultTimeout}
	if client != nil {
		cc := *client
		c = &cc
	}
	next := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return errors.New("jwkshttp: too many redirects")
		}
		if err := core.CheckJWKURL(req.URL.String(), o.allowHTTP); err != nil {
			return fmt.Errorf("jwkshttp: redirect refused: %w", err)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return func(ctx context.Context) ([]byte, error) {
		if err := core.CheckJWKURL(url, o.allowHTTP); err != nil {
			return nil, fmt.Errorf("jwkshttp: %w", err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := c.Do(req)
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
