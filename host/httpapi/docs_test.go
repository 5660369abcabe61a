package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/internal/docref"
)

// TestHTTPReferenceListsEveryEndpoint: docs/http-api.md has a section for
// every route the API serves (with the default prefix, /metrics on), by
// the method it serves, and none for a route that does not exist.
func TestHTTPReferenceListsEveryEndpoint(t *testing.T) {
	doc, err := docref.Load("http-api.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, h := range doc.Headings(3) {
		if strings.HasPrefix(h, "### `GET ") || strings.HasPrefix(h, "### `POST ") {
			documented[h] = true
		}
	}
	a := &API{opts: Options{Prefix: "/api/token", Metrics: http.NotFoundHandler()}}
	for path, rt := range a.buildRoutes() {
		method, _, _ := strings.Cut(rt.allow, ",")
		// The API's own paths are documented with their trailing slash, as
		// Simple JWT writes them; the operational ones without.
		shown := path
		if strings.HasPrefix(path, "/api/") {
			shown += "/"
		}
		heading := "### `" + method + " " + shown + "`"
		if !documented[heading] {
			t.Errorf("docs/http-api.md has no section %s", heading)
		}
		delete(documented, heading)
	}
	for h := range documented {
		t.Errorf("docs/http-api.md documents %s, which the API does not serve", h)
	}
}
