package httpapi

import (
	"net/http"
)

// healthz answers while the process is up.
func (a *API) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, object{{"status", "ok"}})
}

// readyz answers 200 when every plugin answers its ping, else 503 naming
// the ones that do not (without their error text, which may name hosts).
func (a *API) readyz(w http.ResponseWriter, r *http.Request) {
	var checks []Check
	if a.opts.Ready != nil {
		checks = a.opts.Ready(r.Context())
	}
	plugins := object{}
	var down bool
	for _, c := range checks {
		state := "ok"
		if c.Err != nil {
			state, down = "unavailable", true
			a.log.WarnContext(r.Context(), "readiness check failed", "plugin", c.Name, "err", c.Err)
		}
		plugins = append(plugins, member{c.Name, state})
	}
	if down {
		body := unavailableBody("", "")
		writeJSON(w, http.StatusServiceUnavailable, append(body, member{"plugins", plugins}))
		return
	}
	writeJSON(w, http.StatusOK, object{{"status", "ready"}, {"plugins", plugins}})
}

// jwks serves the public verifying keys of an asymmetric algorithm; with
// HMAC there is nothing public, so 404.
func (a *API) jwks(w http.ResponseWriter, r *http.Request) {
	doc := a.core.JWKS()
	if doc == nil {
		a.writeError(w, r, errNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "public, max-age=300")
	w.WriteHeader(http.StatusOK)
	w.Write(doc)
}
