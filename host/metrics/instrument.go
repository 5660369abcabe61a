package metrics

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/wire"
)

// Outcome classifies a plugin call's error: nil is OutcomeOK;
// sdk.ErrUnavailable and a passed deadline are OutcomeUnavailable; the
// domain answers sdk.ErrInvalidCredentials, sdk.ErrUserNotFound and
// sdk.ErrUserExists are OutcomeRejected (a wrong password is not a plugin
// failure); anything else is OutcomeError.
func Outcome(err error) string {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, sdk.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return OutcomeUnavailable
	case errors.Is(err, sdk.ErrInvalidCredentials), errors.Is(err, sdk.ErrUserNotFound), errors.Is(err, sdk.ErrUserExists):
		return OutcomeRejected
	default:
		return OutcomeError
	}
}

var outcomes = [...]string{OutcomeOK, OutcomeRejected, OutcomeUnavailable, OutcomeError}

// method holds the pre-resolved series of one plugin method, one per
// outcome, so that a call costs no label lookup after its first.
type method struct {
	count [len(outcomes)]prometheus.Counter
	dur   [len(outcomes)]prometheus.Observer
}

func (m *Metrics) method(kind, name string) *method {
	mm := &method{}
	for i, o := range outcomes {
		mm.count[i] = m.pluginCalls.WithLabelValues(kind, name, o)
		mm.dur[i] = m.pluginLatency.WithLabelValues(kind, name, o)
	}
	return mm
}

// done records a call that started at start and ended with err.
func (mm *method) done(start time.Time, err error) {
	d := time.Since(start).Seconds()
	o := Outcome(err)
	for i := range outcomes {
		if outcomes[i] == o {
			mm.count[i].Inc()
			mm.dur[i].Observe(d)
			return
		}
	}
}

// Instrument returns e with every call counted and timed under e's kind
// and the call's method name ("LookupUser", "Ping", …), whatever the kind
// and method: it wraps the endpoint's connection, in process and out of
// process alike, so a new sdk method is measured without code here.
func Instrument(m *Metrics, e wire.Endpoint) wire.Endpoint {
	if m == nil {
		return e
	}
	kind := e.Kind()
	var methods sync.Map // full method name → *method
	return e.With(func(ctx context.Context, full string, req, reply any, cc *grpc.ClientConn, invoke grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		mm, ok := methods.Load(full)
		if !ok {
			mm, _ = methods.LoadOrStore(full, m.method(kind, wire.Method(full)))
		}
		start := time.Now()
		err := invoke(ctx, full, req, reply, cc, opts...)
		mm.(*method).done(start, err)
		return err
	})
}
