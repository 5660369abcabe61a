package jwkshttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/core/jwkshttp"
)

func TestFetcher(t *testing.T) {
	big := strings.Repeat("x", jwkshttp.MaxBody+1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			_, _ = w.Write([]byte(`{"keys":[]}`))
		case "/big":
			_, _ = w.Write([]byte(big))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cases := []struct {
		name, path, want, errHas string
	}{
		{"ok", "/ok", `{"keys":[]}`, ""},
		{"not found", "/missing", "", "404"},
		{"too large", "/big", "", "larger than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, err := jwkshttp.Fetcher(srv.URL+c.path, srv.Client())(context.Background())
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
		if _, err := jwkshttp.Fetcher(srv.URL+"/ok", nil)(ctx); err == nil {
			t.Fatal("fetch with cancelled context succeeded")
		}
	})
}
