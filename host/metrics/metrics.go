// Package metrics is jwtd's Prometheus instrumentation: HTTP requests and
// latency per endpoint, tokens issued/refreshed/blacklisted, plugin calls
// and plugin restarts, on a registry of its own (never the global default,
// so that two Metrics in one process, as in tests, do not collide) and
// served by Handler in the Prometheus text format.
//
// Everything on the request path is a pre-resolved counter or histogram
// child where the labels are known up front, so recording costs a few
// atomic adds.
package metrics

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Outcome labels of plugin calls.
const (
	OutcomeOK          = "ok"          // the call succeeded
	OutcomeRejected    = "rejected"    // a domain answer: invalid credentials, user not found, user exists
	OutcomeUnavailable = "unavailable" // sdk.ErrUnavailable or a deadline: the plugin could not answer
	OutcomeError       = "error"       // anything else: the plugin failed
)

// latencyBuckets span 50µs (a cached stateless authenticate) to 2.5s (a
// slow password hash on a busy machine).
var latencyBuckets = []float64{
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
	0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
}

// Metrics holds jwtd's collectors and their registry. Its methods are safe
// for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	requests       *prometheus.CounterVec   // endpoint, code
	requestLatency *prometheus.HistogramVec // endpoint
	// byEndpoint holds each endpoint's resolved request series
	// (*endpointSeries, http.go).
	byEndpoint    sync.Map
	issued        *prometheus.CounterVec   // type
	refreshed     *prometheus.CounterVec   // type
	blacklisted   *prometheus.CounterVec   // type
	pluginCalls   *prometheus.CounterVec   // kind, method, outcome
	pluginLatency *prometheus.HistogramVec // kind, method, outcome
	restarts      *prometheus.CounterVec   // plugin
	loginLocks    *prometheus.CounterVec   // scope
	loginRefused  *prometheus.CounterVec   // reason
	sessionReuse  *prometheus.CounterVec   // outcome

	feeds     feeds // feeds.go
	feedsOnce sync.Once
}

// New builds a Metrics with its own registry, which also carries the Go
// runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jwtd_http_requests_total",
			Help: "HTTP requests answered, by endpoint and status code.",
		}, []string{"endpoint", "code"}),
		requestLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jwtd_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by endpoint.",
			Buckets: latencyBuckets,
		}, []string{"endpoint"}),
		issued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jwtd_tokens_issued_total",
			Help: "Tokens issued, by token type (access, refresh, sliding, ...).",
		}, []string{"type"}),
		refreshed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jwtd_tokens_refreshed_total",
			Help: "Successful refreshes, by the type of the token presented.",
		}, []string{"type"}),
		blacklisted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jwtd_tokens_blacklisted_total",
			Help: "Tokens blacklisted (explicitly or by rotation), by token type.",
		}, []string{"type"}),
		pluginCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jwtd_plugin_calls_total",
			Help: "Plugin method calls, by plugin kind, method and outcome (ok, rejected, unavailable, error).",
		}, []string{"kind", "method", "outcome"}),
		pluginLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "jwtd_plugin_call_duration_seconds",
			Help:    "Plugin method call time, by plugin kind, method and outcome.",
			Buckets: latencyBuckets,
		}, []string{"kind", "method", "outcome"}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jwtd_plugin_restarts_total",
			Help: "Plugin processes restarted after dying, by plugin name.",
		}, []string{"plugin"}),
		loginLocks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jwtd_login_lockouts_total",
			Help: "Brute-force locks: failed-login counters that reached their limit, by scope (account_address, account, address).",
		}, []string{"scope"}),
		loginRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jwtd_login_throttled_total",
			Help: "Login attempts refused with 429 before the password check, by reason (rate, locked, busy).",
		}, []string{"reason"}),
		sessionReuse: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "jwtd_session_reuse_total",
			Help: "Rotated refresh or sliding tokens presented again outside the reuse interval, by outcome (revoked: this replay revoked the session; already_revoked).",
		}, []string{"outcome"}),
	}
	m.reg.MustRegister(
		m.requests, m.requestLatency, m.issued, m.refreshed, m.blacklisted,
		m.pluginCalls, m.pluginLatency, m.restarts, m.loginLocks, m.loginRefused, m.sessionReuse,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Registry is the registry the collectors are on, for a caller that wants
// to add its own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format (for GET
// /metrics, on the main listener or a separate metrics listen address).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// TokenIssued counts one token of tokenType issued (a pair counts as one
// "refresh" and one "access").
func (m *Metrics) TokenIssued(tokenType string) { m.issued.WithLabelValues(tokenType).Inc() }

// TokenRefreshed counts one successful refresh of a token of tokenType.
func (m *Metrics) TokenRefreshed(tokenType string) { m.refreshed.WithLabelValues(tokenType).Inc() }

// TokenBlacklisted counts one token of tokenType blacklisted.
func (m *Metrics) TokenBlacklisted(tokenType string) { m.blacklisted.WithLabelValues(tokenType).Inc() }

// PluginCall records one call of method on a plugin of kind, with outcome
// (one of the Outcome constants) and duration d.
func (m *Metrics) PluginCall(kind, method, outcome string, d time.Duration) {
	m.pluginCalls.WithLabelValues(kind, method, outcome).Inc()
	m.pluginLatency.WithLabelValues(kind, method, outcome).Observe(d.Seconds())
}

// PluginRestart counts one restart of the plugin called name.
func (m *Metrics) PluginRestart(name string) { m.restarts.WithLabelValues(name).Inc() }

// LoginLocked counts one brute-force lock of scope (a counter reaching its
// limit; the attempts refused while it lasts count in LoginThrottled).
func (m *Metrics) LoginLocked(scope string) { m.loginLocks.WithLabelValues(scope).Inc() }

// LoginThrottled counts one login attempt refused with 429 for reason.
func (m *Metrics) LoginThrottled(reason string) { m.loginRefused.WithLabelValues(reason).Inc() }

// SessionReuse counts a detected token reuse; revoked says whether this
// replay revoked the session (of concurrent replays, one does).
func (m *Metrics) SessionReuse(revoked bool) {
	outcome := "already_revoked"
	if revoked {
		outcome = "revoked"
	}
	m.sessionReuse.WithLabelValues(outcome).Inc()
}
