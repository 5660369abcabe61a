package httpapi

import (
	"net/http"
)

// healthz answers while the process is up.
func (a *API) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, object{{"status", "ok"}})
}

// readyz answers 200 when every plugin answers its ping, else 503. Only on
// the operational listener (or with Options.PublicOps) does the body name
// each plugin and its state (never the error text, which may name hosts).
func (a *API) readyz(w http.ResponseWriter, r *http.Request) {
	detail := a.opts.PublicOps || onOpsListener(r)
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
	status, body := http.StatusOK, object{{"status", "ready"}}
	if down {
		status, body = http.StatusServiceUnavailable, unavailableBody("", "")
	}
	if detail {
		body = append(body, member{"plugins", plugins})
	}
	writeJSON(w, status, body)
}

// metrics serves Options.Metrics (the table enables the row only then).
func (a *API) metrics(w http.ResponseWriter, r *http.Request) {
	a.opts.Metrics.ServeHTTP(w, r)
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
