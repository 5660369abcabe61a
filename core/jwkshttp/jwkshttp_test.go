package jwkshttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/core/jwkshttp"
)

// jwksHandler serves the paths the tests fetch; /to?u=URL redirects to URL.
func jwksHandler(big string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			_, _ = w.Write([]byte(`{"keys":[]}`))
		case "/big":
			_, _ = w.Write([]byte(big))
		case "/to":
			http.Redirect(w, r, r.URL.Query().Get("u"), http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	})
}

func TestFetcher(t *testing.T) {
	big := strings.Repeat("x", jwkshttp.MaxBody+1)
	tlsSrv := httptest.NewTLSServer(jwksHandler(big))
	defer tlsSrv.Close()
	plain := httptest.NewServer(jwksHandler(big))
	defer plain.Close()
	allow := []jwkshttp.Option{jwkshttp.UnsafeAllowHTTP()}
	cases := []struct {
		name, url string
		opts      []jwkshttp.Option
		want      string
		errHas    string
	}{
		{"ok", tlsSrv.URL + "/ok", nil, `{"keys":[]}`, ""},
		{"not found", tlsSrv.URL + "/missing", nil, "", "404"},
		{"too large", tlsSrv.URL + "/big", nil, "", "larger than"},
		{"https to https redirect", tlsSrv.URL + "/to?u=" + tlsSrv.URL + "/ok", nil, `{"keys":[]}`, ""},
		{"plain http refused", plain.URL + "/ok", nil, "", "plain http"},
		{"https to http redirect refused", tlsSrv.URL + "/to?u=" + plain.URL + "/ok", nil, "", "redirect refused"},
		{"loopback http with the opt-in", plain.URL + "/ok", allow, `{"keys":[]}`, ""},
		{"https to loopback http with the opt-in", tlsSrv.URL + "/to?u=" + plain.URL + "/ok", allow, `{"keys":[]}`, ""},
		{"redirect to remote http refused despite the opt-in", plain.URL + "/to?u=http://example.com/jwks", allow, "", "not loopback"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, err := jwkshttp.Fetcher(c.url, tlsSrv.Client(), c.opts...)(context.Background())
			if c.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), c.errHas) {
					t.Fatalf("err = %v, want %q", err, c.errHas)
				}
				return
			}
			if err != nil || string(body) != c.want {
				t.Fatalf("got %q, %v", body, err)
			}
		})
	}
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := jwkshttp.Fetcher(tlsSrv.URL+"/ok", tlsSrv.Client())(ctx); err == nil {
			t.Fatal("fetch with cancelled context succeeded")
		}
	})
}
