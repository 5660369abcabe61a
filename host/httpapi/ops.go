package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jwtd/jwtd/core"
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
		if c.State != "" {
			state = c.State
		}
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

// jwksMaxAge is how long a client may cache the JWK Set: short, so a key
// added by a rotation reaches resource servers soon even when they do not
// refetch on an unknown kid.
const jwksMaxAge = 5 * time.Minute

// jwks serves the public keys in use (the signing key and verify-only keys
// not yet retired); HMAC keys are never published, so a ring without an
// asymmetric key is 404.
func (a *API) jwks(w http.ResponseWriter, r *http.Request) {
	p := a.core.PublishedKeys()
	if p.JWKS == nil {
		a.writeError(w, r, errNotFound)
		return
	}
	writePublic(w, p, p.JWKS)
}

// openIDConfiguration is a minimal OpenID-style discovery document, served
// when the issuer is an http(s) URL (discovery clients fetch it below the
// issuer, so jwks_uri is derived from it) and some key is published.
func (a *API) openIDConfiguration(w http.ResponseWriter, r *http.Request) {
	issuer := a.core.Settings().Issuer
	p := a.core.PublishedKeys()
	u, err := url.Parse(issuer)
	if issuer == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || p.JWKS == nil {
		a.writeError(w, r, errNotFound)
		return
	}
	doc, err := marshal(object{
		{"issuer", issuer},
		{"jwks_uri", strings.TrimSuffix(issuer, "/") + "/.well-known/jwks.json"},
		{"id_token_signing_alg_values_supported", p.Algorithms},
	})
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	writePublic(w, p, doc)
}

// writePublic answers a public, cacheable document about the keys in p:
// cached at most jwksMaxAge, and never past the next retirement, so a
// retired key leaves caches when it stops verifying.
func writePublic(w http.ResponseWriter, p core.PublishedKeys, doc []byte) {
	age := jwksMaxAge
	if !p.Until.IsZero() {
		age = min(age, time.Until(p.Until))
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", max(0, int(age/time.Second))))
	w.WriteHeader(http.StatusOK)
	w.Write(doc)
}
