package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jwtd/jwtd/internal/httpx"
)

// commonCodes are the status codes jwtd answers with; their counters are
// resolved once per endpoint so that a request costs no label lookup.
var commonCodes = []int{200, 400, 401, 403, 404, 405, 413, 415, 429, 500, 503}

// endpointSeries are one endpoint's request series, resolved once.
type endpointSeries struct {
	latency prometheus.Observer
	byCode  map[int]prometheus.Counter
}

// series returns endpoint's request series, resolving them on first use.
// Endpoint names come from a fixed set (the endpoint table's), each stored
// once and then only read: sync.Map's lock-free case.
func (m *Metrics) series(endpoint string) *endpointSeries {
	if s, ok := m.byEndpoint.Load(endpoint); ok {
		return s.(*endpointSeries)
	}
	s := &endpointSeries{latency: m.requestLatency.WithLabelValues(endpoint), byCode: make(map[int]prometheus.Counter, len(commonCodes))}
	for _, c := range commonCodes {
		s.byCode[c] = m.requests.WithLabelValues(endpoint, strconv.Itoa(c))
	}
	v, _ := m.byEndpoint.LoadOrStore(endpoint, s)
	return v.(*endpointSeries)
}

// ObserveRequest counts one answered request under endpoint and its status
// code, and records its latency: httpapi's RequestObserver, called from the
// wrapper that also writes the access log line.
func (m *Metrics) ObserveRequest(endpoint string, status int, elapsed time.Duration) {
	s := m.series(endpoint)
	if c, ok := s.byCode[status]; ok {
		c.Inc()
	} else {
		m.requests.WithLabelValues(endpoint, strconv.Itoa(status)).Inc()
	}
	s.latency.Observe(elapsed.Seconds())
}

// Middleware times every request to next and counts it under endpoint and
// the status code written (200 when the handler writes nothing explicit),
// for a handler that has no RequestObserver hook of its own.
func (m *Metrics) Middleware(endpoint string, next http.Handler) http.Handler {
	m.series(endpoint)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &httpx.StatusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		code := sw.Status
		if code == 0 {
			code = http.StatusOK
		}
		m.ObserveRequest(endpoint, code, time.Since(start))
	})
}
