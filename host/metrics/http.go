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

// Middleware times every request to next and counts it under endpoint and
// the status code written (200 when the handler writes nothing explicit).
func (m *Metrics) Middleware(endpoint string, next http.Handler) http.Handler {
	latency := m.requestLatency.WithLabelValues(endpoint)
	byCode := make(map[int]prometheus.Counter, len(commonCodes))
	for _, c := range commonCodes {
		byCode[c] = m.requests.WithLabelValues(endpoint, strconv.Itoa(c))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &httpx.StatusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		code := sw.Status
		if code == 0 {
			code = http.StatusOK
		}
		if c, ok := byCode[code]; ok {
			c.Inc()
		} else {
			m.requests.WithLabelValues(endpoint, strconv.Itoa(code)).Inc()
		}
		latency.Observe(time.Since(start).Seconds())
	})
}
