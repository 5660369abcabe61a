package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestMain lets startBare re-execute this test binary as the bare server.
func TestMain(m *testing.M) {
	if os.Getenv(serveBareEnv) == "1" {
		if err := serveBare(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

func TestLoadCountsAndBounds(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		if r.URL.Path == "/fail" {
			http.Error(w, `{"detail":"no"}`, http.StatusUnauthorized)
			return
		}
		bareHandler(w, r)
	}))
	defer srv.Close()
	c := newClient(strings.TrimPrefix(srv.URL, "http://"), 4)
	defer c.close()
	ok := func(ctx context.Context) error { _, err := c.post(ctx, "/", []byte(`{}`), 200); return err }
	fail := func(ctx context.Context) error { _, err := c.post(ctx, "/fail", []byte(`{}`), 200); return err }

	tests := []struct {
		name        string
		steps       []Step
		d           time.Duration
		maxRequests int
		check       func(t *testing.T, r Result)
	}{
		{"count bound", same(4, ok), time.Minute, 300, func(t *testing.T, r Result) {
			if r.Requests != 300 || r.Errors != 0 {
				t.Errorf("requests %d errors %d, want exactly 300 and 0", r.Requests, r.Errors)
			}
			if len(r.Latencies) != 300 || Percentile(r.Latencies, 50) <= 0 {
				t.Errorf("%d latency samples, p50 %v", len(r.Latencies), Percentile(r.Latencies, 50))
			}
		}},
		{"time bound", same(2, ok), 300 * time.Millisecond, 0, func(t *testing.T, r Result) {
			if r.Elapsed < 300*time.Millisecond || r.Elapsed > 5*time.Second {
				t.Errorf("ran for %v, bound 300ms", r.Elapsed)
			}
			if r.Requests == 0 || r.RPS() <= 0 {
				t.Errorf("no requests in 300ms")
			}
		}},
		{"wrong status is an error", []Step{ok, fail}, time.Minute, 100, func(t *testing.T, r Result) {
			if r.Errors == 0 || r.Requests == 0 || r.Errors+r.Requests != 100 {
				t.Errorf("requests %d errors %d, want both > 0 summing to 100", r.Requests, r.Errors)
			}
			if !strings.Contains(r.FirstErr, "status 401, want 200") {
				t.Errorf("first error %q does not name the status", r.FirstErr)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			served.Store(0)
			r := Load(context.Background(), tt.steps, tt.d, tt.maxRequests)
			tt.check(t, r)
			if got := int(served.Load()); got != r.Requests+r.Errors {
				t.Errorf("server saw %d requests, generator counted %d", got, r.Requests+r.Errors)
			}
		})
	}
}

// TestLoadStops: cancelling the context ends a run promptly.
func TestLoadStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	r := Load(ctx, same(2, func(ctx context.Context) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
			return nil
		}
	}), time.Hour, 0)
	if time.Since(start) > 5*time.Second {
		t.Fatalf("Load ran %v after cancel", time.Since(start))
	}
	if r.Errors != 0 {
		t.Errorf("aborted requests counted as %d errors", r.Errors)
	}
}

// TestMeasureBareEndToEnd runs the real bare server subprocess and the
// measuring path the report uses.
func TestMeasureBareEndToEnd(t *testing.T) {
	o := options{workers: 2, duration: 500 * time.Millisecond, warmup: 50 * time.Millisecond, maxRequests: 0}
	row, err := measureBare(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if row.RPS <= 0 || row.Errors != 0 {
		t.Fatalf("bare: %.0f req/s, %d errors", row.RPS, row.Errors)
	}
	if row.P50 <= 0 || row.P99 < row.P50 {
		t.Errorf("p50 %v p99 %v", row.P50, row.P99)
	}
	if row.PeakRSS < 1<<20 {
		t.Errorf("bare server peak RSS %d: not measured from its own process", row.PeakRSS)
	}
	if row.CPUPerReq <= 0 || row.CPUPerReq > 10*time.Millisecond {
		t.Errorf("bare server CPU/request %v is implausible", row.CPUPerReq)
	}
}

// TestRotatingSteps checks the rotating chain against a small server that
// rotates like jwtd: each refresh token works once and the answer carries
// the next one.
func TestRotatingSteps(t *testing.T) {
	var next atomic.Int64
	valid := map[string]bool{}
	var mu = make(chan struct{}, 1)
	issue := func() string {
		tok := fmt.Sprintf("r%d", next.Add(1))
		valid[tok] = true
		return tok
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu <- struct{}{}
		defer func() { <-mu }()
		switch r.URL.Path {
		case pathRefresh:
			var body struct{ Refresh string }
			if err := decodeJSON(r, &body); err != nil || !valid[body.Refresh] {
				w.WriteHeader(401)
				return
			}
			delete(valid, body.Refresh)
			fmt.Fprintf(w, `{"access":"a","refresh":%q}`, issue())
		}
	}))
	defer srv.Close()
	c := newClient(strings.TrimPrefix(srv.URL, "http://"), 3)
	defer c.close()
	// The chains start from pairs issued outside the HTTP API, as `jwtd
	// token issue` makes them.
	first := func() (pair, error) {
		mu <- struct{}{}
		defer func() { <-mu }()
		return pair{Access: "a", Refresh: issue()}, nil
	}
	steps, err := rotatingSteps(c, first, 3)
	if err != nil {
		t.Fatal(err)
	}
	r := Load(context.Background(), steps, time.Minute, 60)
	if r.Errors != 0 || r.Requests != 60 {
		t.Fatalf("rotating chain: %d ok, %d errors (%s)", r.Requests, r.Errors, r.FirstErr)
	}
}

// decodeJSON decodes a request body for the fake servers.
func decodeJSON(r *http.Request, v any) error { return json.NewDecoder(r.Body).Decode(v) }
