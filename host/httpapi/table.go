package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/internal/httpx"
	"github.com/jwtd/jwtd/sdk"
)

// endpoint is one row of the endpoint table. The router, the metrics
// labels (EndpointName) and the login throttle (the rows with login set)
// all derive from the table, so adding an endpoint is adding a row.
type endpoint struct {
	// name labels the endpoint in metrics ("obtain", "sliding_refresh").
	name string
	// path is the endpoint's path without a trailing slash (every path
	// answers with and without one): relative to the token prefix when
	// prefixed ("" is the prefix itself), else absolute.
	path     string
	prefixed bool
	// methods are the methods served: POST or GET (a GET endpoint also
	// answers HEAD); OPTIONS is always answered.
	methods []string
	// anyMethod serves every method with serve, OPTIONS included, and
	// sends no Allow header: forward-auth, which proxies call with the
	// original request's method.
	anyMethod bool
	// serve handles the request. Login rows leave it nil and set login.
	serve func(a *API, w http.ResponseWriter, r *http.Request)
	// login makes the row a login endpoint: its credentials are parsed with
	// the user store's login fields, admitted by Options.Login, and
	// checked by obtain; the answer carries the named token fields.
	login *loginAction
	// ops marks the operational rows, which OpsHandler serves too.
	ops bool
	// private rows are served on the API itself only with
	// Options.PublicOps (and by OpsHandler always).
	private bool
	// enabled, when set, says whether the API serves the row at all.
	enabled func(a *API) bool
	// idParam makes the row serve path/ID (one more segment, any value),
	// which the handler reads as r.PathValue(idParam).
	idParam string
}

// loginAction is what a login endpoint does once admitted.
type loginAction struct {
	obtain func(c Core, ctx context.Context, creds sdk.Credentials) (core.Issued, error)
	answer []string // token fields of the answer, in order
}

var (
	postOnly   = []string{http.MethodPost}
	getOnly    = []string{http.MethodGet}
	deleteOnly = []string{http.MethodDelete}
)

// endpointTable is jwtd's HTTP API (docs/http-api.md, which a test keeps
// in step with it).
var endpointTable = []endpoint{
	{name: "obtain", path: "", prefixed: true, methods: postOnly,
		login: &loginAction{Core.Obtain, []string{"refresh", "access"}}},
	{name: "refresh", path: "/refresh", prefixed: true, methods: postOnly, serve: (*API).refresh},
	{name: "verify", path: "/verify", prefixed: true, methods: postOnly, serve: (*API).verify},
	{name: "blacklist", path: "/blacklist", prefixed: true, methods: postOnly, serve: (*API).blacklist},
	{name: "sliding", path: "/sliding", prefixed: true, methods: postOnly,
		login: &loginAction{Core.ObtainSliding, []string{"token"}}},
	{name: "sliding_refresh", path: "/sliding/refresh", prefixed: true, methods: postOnly, serve: (*API).refreshSliding},
	{name: "authenticate", path: "/api/authenticate", methods: getOnly, serve: (*API).authenticate},
	{name: "authenticate_stateless", path: "/api/authenticate/stateless", methods: getOnly, serve: (*API).authenticateStateless},
	{name: "healthz", path: "/healthz", methods: getOnly, ops: true, serve: (*API).healthz},
	{name: "readyz", path: "/readyz", methods: getOnly, ops: true, serve: (*API).readyz},
	{name: "metrics", path: "/metrics", methods: getOnly, ops: true, private: true, serve: (*API).metrics,
		enabled: func(a *API) bool { return a.opts.Metrics != nil }},
	{name: "jwks", path: "/.well-known/jwks.json", methods: getOnly, serve: (*API).jwks},
	{name: "openid_configuration", path: "/.well-known/openid-configuration", methods: getOnly, serve: (*API).openIDConfiguration},
	{name: "forward_auth", path: "/api/forward-auth", anyMethod: true, serve: (*API).forwardAuth},
	{name: "logout", path: "/logout", prefixed: true, methods: postOnly, serve: (*API).logout, enabled: sessionsEnabled},
	{name: "logout_all", path: "/logout-all", prefixed: true, methods: postOnly, serve: (*API).logoutAll, enabled: sessionsEnabled},
	{name: "sessions", path: "/sessions", prefixed: true, methods: getOnly, serve: (*API).listSessions, enabled: sessionsEnabled},
	{name: "session", path: "/sessions", idParam: "id", prefixed: true, methods: deleteOnly, serve: (*API).endSession, enabled: sessionsEnabled},
}

// idRouteSuffix marks, in the route map, a row that serves path/ID.
const idRouteSuffix = "/{id}"

// otherEndpoint labels requests to no endpoint, so that scanners probing
// random paths cannot create unbounded label values.
const otherEndpoint = "other"

// route is one endpoint as served: its name, the Allow header as DRF words
// it, and a handler per method.
type route struct {
	name string
	// allowHeader is the Allow header's value, shared by every answer.
	allowHeader []string
	methods     map[string]http.HandlerFunc
	// any, when set, serves every method (endpoint.anyMethod).
	any http.HandlerFunc
}

// buildRoutes resolves the table under the prefix, for the API itself or
// for the operational listener.
func (a *API) buildRoutes(opsListener bool) map[string]*route {
	routes := make(map[string]*route, len(endpointTable))
	for _, e := range endpointTable {
		switch {
		case e.enabled != nil && !e.enabled(a),
			opsListener && !e.ops,
			!opsListener && e.private && !a.opts.PublicOps:
			continue
		}
		path := e.path
		if e.prefixed {
			path = a.opts.Prefix + e.path
		}
		if e.idParam != "" {
			path += idRouteSuffix
		}
		if _, dup := routes[path]; dup {
			panic("httpapi: two endpoints at " + path)
		}
		routes[path] = a.newRoute(e, opsListener)
	}
	return routes
}

func (a *API) newRoute(e endpoint, opsListener bool) *route {
	serve := func(w http.ResponseWriter, r *http.Request) { e.serve(a, w, r) }
	if e.login != nil {
		serve = func(w http.ResponseWriter, r *http.Request) { a.serveLogin(w, r, e.login) }
	}
	if opsListener {
		inner := serve
		serve = func(w http.ResponseWriter, r *http.Request) {
			inner(w, r.WithContext(context.WithValue(r.Context(), opsListenerKey{}, true)))
		}
	}
	if e.idParam != "" {
		inner := serve
		serve = func(w http.ResponseWriter, r *http.Request) {
			p := httpx.RoutePath(r.URL.Path)
			r.SetPathValue(e.idParam, p[strings.LastIndexByte(p, '/')+1:])
			inner(w, r)
		}
	}
	rt := &route{name: e.name, methods: map[string]http.HandlerFunc{}}
	if e.anyMethod {
		rt.any = serve
		return rt
	}
	var allow []string
	for _, m := range e.methods {
		rt.methods[m] = serve
		allow = append(allow, m)
		if m == http.MethodGet {
			rt.methods[http.MethodHead] = serve
			allow = append(allow, http.MethodHead)
		}
	}
	rt.methods[http.MethodOptions] = func(w http.ResponseWriter, r *http.Request) { a.options(w, r) }
	rt.allowHeader = []string{strings.Join(append(allow, http.MethodOptions), ", ")}
	return rt
}

// opsListenerKey marks a request served by OpsHandler.
type opsListenerKey struct{}

// onOpsListener reports whether r came through OpsHandler.
func onOpsListener(r *http.Request) bool {
	v, _ := r.Context().Value(opsListenerKey{}).(bool)
	return v
}

// dispatch finds the route, with or without a trailing slash, and answers
// 404 or 405 in DRF's words.
func (a *API) dispatch(routes map[string]*route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rt, ok := lookupRoute(routes, r)
		if !ok {
			a.writeError(w, r, errNotFound)
			return
		}
		if rw := observed(w); rw != nil {
			rw.endpoint = rt.name
		}
		if rt.any != nil {
			rt.any(w, r)
			return
		}
		// One shared value per route: net/http only reads it.
		w.Header()["Allow"] = rt.allowHeader
		h, ok := rt.methods[r.Method]
		if !ok {
			a.writeError(w, r, methodNotAllowed(r.Method))
			return
		}
		h(w, r)
	}
}

// EndpointName is the metrics label of the endpoint r is for on the API
// (the table's name), or "other".
func (a *API) EndpointName(r *http.Request) string {
	if rt, ok := lookupRoute(a.routes, r); ok {
		return rt.name
	}
	return otherEndpoint
}

// OpsHandler serves the operational endpoints for a private listener
// ([server] metrics_listen): /healthz, /readyz with each plugin's state,
// and /metrics when Options.Metrics is set.
func (a *API) OpsHandler() http.Handler {
	return a.recoverPanics(a.dispatch(a.opsRoutes))
}

// lookupRoute finds r's route: its path exactly, else the row serving the
// path's parent with an id (a non-empty last segment).
func lookupRoute(routes map[string]*route, r *http.Request) (*route, bool) {
	p := httpx.RoutePath(r.URL.Path)
	if rt, ok := routes[p]; ok {
		return rt, true
	}
	i := strings.LastIndexByte(p, '/')
	if i <= 0 || i == len(p)-1 {
		return nil, false
	}
	rt, ok := routes[p[:i]+idRouteSuffix]
	return rt, ok
}
