package httpapi

import (
	"strings"
	"testing"

	"github.com/jwtd/jwtd/internal/docref"
)

// TestHTTPReferenceListsEveryEndpoint: docs/http-api.md has a section for
// every row of the endpoint table (with the default prefix), by the method
// it serves (ANY for forward-auth), and none for an endpoint that does not
// exist.
func TestHTTPReferenceListsEveryEndpoint(t *testing.T) {
	doc, err := docref.Load("http-api.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, h := range doc.Headings(3) {
		if strings.HasPrefix(h, "### `GET ") || strings.HasPrefix(h, "### `POST ") || strings.HasPrefix(h, "### `ANY ") || strings.HasPrefix(h, "### `DELETE ") {
			documented[h] = true
		}
	}
	for _, e := range endpointTable {
		method := "ANY"
		if !e.anyMethod {
			method = e.methods[0]
		}
		path := e.path
		if e.prefixed {
			path = "/api/token" + e.path
		}
		if e.idParam != "" {
			path += "/{" + e.idParam + "}"
		}
		// The API's own paths are documented with their trailing slash, as
		// Simple JWT writes them; the operational ones without.
		if strings.HasPrefix(path, "/api/") {
			path += "/"
		}
		heading := "### `" + method + " " + path + "`"
		if !documented[heading] {
			t.Errorf("docs/http-api.md has no section %s", heading)
		}
		delete(documented, heading)
	}
	for h := range documented {
		t.Errorf("docs/http-api.md documents %s, which the API does not serve", h)
	}
}
