package main

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func ms(n float64) time.Duration { return time.Duration(n * float64(time.Millisecond)) }

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = ms(float64(100 - i)) // descending: Percentile must sort
	}
	tests := []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"empty", nil, 50, 0},
		{"single", []time.Duration{ms(3)}, 99, ms(3)},
		{"median of 100", hundred, 50, ms(50)},
		{"p99 of 100", hundred, 99, ms(99)},
		{"p100 is max", hundred, 100, ms(100)},
		{"tiny p is min", hundred, 0.001, ms(1)},
		{"zero p", hundred, 0, 0},
		{"nan p", hundred, math.NaN(), 0},
		{"p above 100 clamps", hundred, 150, ms(100)},
		{"nearest rank rounds up", []time.Duration{1, 2, 3, 4}, 50, 2},
		{"nearest rank odd", []time.Duration{5, 1, 3}, 50, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := append([]time.Duration(nil), tt.samples...)
			if got := Percentile(s, tt.p); got != tt.want {
				t.Errorf("Percentile(p=%v) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestRatio(t *testing.T) {
	tests := []struct {
		name       string
		a, b, want float64
	}{
		{"half", 5000, 10000, 0.5},
		{"double", 2, 1, 2},
		{"zero numerator", 0, 3, 0},
	}
	for _, tt := range tests {
		if got := Ratio(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: Ratio(%v, %v) = %v, want %v", tt.name, tt.a, tt.b, got, tt.want)
		}
	}
	if !math.IsNaN(Ratio(1, 0)) {
		t.Error("Ratio over a zero baseline must be NaN")
	}
}

func TestResultRPS(t *testing.T) {
	if got := (Result{Requests: 500, Elapsed: 2 * time.Second}).RPS(); got != 250 {
		t.Errorf("RPS = %v, want 250", got)
	}
	if got := (Result{Requests: 5}).RPS(); got != 0 {
		t.Errorf("RPS with no elapsed time = %v, want 0", got)
	}
}

func TestTable(t *testing.T) {
	base := Row{Mode: "bare", Scenario: "fixed JSON", RPS: 10000, P50: ms(0.4), P99: ms(4), CPUPerReq: 40 * time.Microsecond, PeakRSS: 10 << 20}
	rows := []Row{
		base,
		{Mode: "builtin", Scenario: "verify", RPS: 6000, P50: ms(0.8), P99: ms(6), CPUPerReq: 100 * time.Microsecond, PeakRSS: 25 << 20, Target: "≥ 50% of bare req/s: met"},
		{Mode: "builtin", Scenario: "obtain", RPS: 7.5, P50: ms(1100), P99: 2 * time.Second, CPUPerReq: 250 * time.Millisecond, PeakRSS: 30 << 20, Errors: 2},
	}
	got := Table(rows, base)
	want := []string{
		"| mode | scenario | req/s | ×bare | p50 | ×bare | p99 | ×bare | CPU/req | ×bare | peak RSS | ×bare | errors | target |",
		"| bare | fixed JSON | 10000 | 1.00× | 400µs | 1.00× | 4.00ms | 1.00× | 40µs | 1.00× | 10.0 MB | 1.00× | 0 |  |",
		"| builtin | verify | 6000 | 0.60× | 800µs | 2.00× | 6.00ms | 1.50× | 100µs | 2.50× | 25.0 MB | 2.50× | 0 | ≥ 50% of bare req/s: met |",
		"| builtin | obtain | 7.50 | 0.0008× | 1.10s | 2750× | 2.00s | 500× | 250.00ms | 6250× | 30.0 MB | 3.00× | 2 |  |",
	}
	lines := strings.Split(strings.TrimRight(got, "\n"), "\n")
	if len(lines) != len(want)+1 {
		t.Fatalf("table has %d lines, want %d:\n%s", len(lines), len(want)+1, got)
	}
	lines = append(lines[:1], lines[2:]...) // drop the alignment row
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i, lines[i], want[i])
		}
	}
	if !strings.Contains(Table(rows[1:2], Row{}), "| – |") {
		t.Error("a missing baseline must print – rather than a number")
	}
}

func TestReplaceSection(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"empty file", "", "<!-- bench:start -->\nNEW\n<!-- bench:end -->\n"},
		{"no markers: appended", "# Benchmarks\n\nby hand", "# Benchmarks\n\nby hand\n\n<!-- bench:start -->\nNEW\n<!-- bench:end -->\n"},
		{
			"replaces only between markers",
			"# B\nintro\n<!-- bench:start -->\nOLD\nOLD2\n<!-- bench:end -->\n## pprof notes\nkeep me\n",
			"# B\nintro\n<!-- bench:start -->\nNEW\n<!-- bench:end -->\n## pprof notes\nkeep me\n",
		},
		{
			"markers out of order: appended",
			"<!-- bench:end -->\nx\n<!-- bench:start -->\n",
			"<!-- bench:end -->\nx\n<!-- bench:start -->\n\n<!-- bench:start -->\nNEW\n<!-- bench:end -->\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ReplaceSection(tt.doc, "NEW\n"); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestTarget(t *testing.T) {
	base := Row{RPS: 1000}
	tests := []struct {
		mode, name string
		rps        float64
		rss        int64
		want       string
	}{
		{"builtin", scVerify, 700, 0, "≥ 0.7× bare req/s: 0.70×, met"},
		{"builtin", scVerifyRefresh, 699, 0, "≥ 0.7× bare req/s: 0.70×, MISSED"},
		{"builtin", scAuthStateless, 400, 0, "≥ 0.8× bare req/s: 0.40×, MISSED"},
		{"plugins", scAuth, 600, 45 << 20, "≥ 0.6× bare req/s: 0.60×, met; peak RSS ≤ 45 MB: met"},
		{"plugins", scVerify, 599, 46 << 20, "≥ 0.6× bare req/s: 0.60×, MISSED; peak RSS ≤ 45 MB: MISSED"},
		{"plugins", scAuthStateless, 800, 10 << 20, "≥ 0.8× bare req/s: 0.80×, met; peak RSS ≤ 45 MB: met"},
		{"builtin", scRefresh, 10, 0, ""},
		{"redis", scVerify, 10, 0, ""},
		{"builtin", scObtain, 10, 0, "bound by the password hash (not measured)"},
	}
	for _, tt := range tests {
		if got := target(tt.mode, tt.name, Row{RPS: tt.rps, PeakRSS: tt.rss}, base, Row{}); got != tt.want {
			t.Errorf("target(%s, %s, %v) = %q, want %q", tt.mode, tt.name, tt.rps, got, tt.want)
		}
	}
	hash := Row{RPS: 20, CPUPerReq: ms(200)}
	for _, tt := range []struct {
		rps  float64
		cpu  time.Duration
		want string
	}{
		{19, ms(210), "CPU/req ≤ 1.10× the hash alone: 1.05× (req/s 95% of the hash-only run), met"},
		{10, ms(219), "CPU/req ≤ 1.10× the hash alone: 1.09× (req/s 50% of the hash-only run), met"},
		{25, ms(240), "CPU/req ≤ 1.10× the hash alone: 1.20× (req/s 125% of the hash-only run), MISSED"},
	} {
		if got := target("builtin", scObtain, Row{RPS: tt.rps, CPUPerReq: tt.cpu}, base, hash); got != tt.want {
			t.Errorf("obtain at %v/s: %q, want %q", tt.rps, got, tt.want)
		}
	}
}

func fill(n int, d time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func TestEnumerationNote(t *testing.T) {
	tests := []struct {
		name           string
		wrong, unknown []time.Duration
		want           string
	}{
		{"equal", fill(20, ms(300)), append(fill(19, ms(310)), ms(305)), "p50 310.00ms vs 300.00ms (1.03×): no timing difference"},
		{"unknown much faster", fill(20, ms(300)), fill(25, ms(1)), "TIMING DIFFERS"},
		{"unknown much slower", fill(30, ms(300)), fill(20, ms(900)), "TIMING DIFFERS"},
		{"too few samples", fill(19, ms(300)), fill(25, ms(1)), "too few to compare"},
		{"not measured", nil, []time.Duration{ms(1)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := enumerationNote("builtin", &splitLatencies{wrong: tt.wrong, unknown: tt.unknown})
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("note %q, want it to say %q", got, tt.want)
			}
		})
	}
}

// TestFailedLoginSteps: the steps alternate the two bodies and file each
// latency under its kind.
func TestFailedLoginSteps(t *testing.T) {
	var wrong, unknown atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		_ = decodeJSON(r, &body)
		if body["username"] == "nobody" {
			unknown.Add(1)
		} else {
			wrong.Add(1)
		}
		w.WriteHeader(401)
	}))
	defer srv.Close()
	c := newClient(strings.TrimPrefix(srv.URL, "http://"), 2)
	defer c.close()
	split := &splitLatencies{}
	steps := failedLoginSteps(c, 2, []byte(`{"username":"bench","password":"x"}`), []byte(`{"username":"nobody","password":"x"}`), split)
	r := Load(context.Background(), steps, time.Minute, 40)
	if r.Errors != 0 || r.Requests != 40 {
		t.Fatalf("%d ok, %d errors: %s", r.Requests, r.Errors, r.FirstErr)
	}
	if wrong.Load() != int64(len(split.wrong)) || unknown.Load() != int64(len(split.unknown)) {
		t.Fatalf("server saw %d wrong/%d unknown, recorded %d/%d", wrong.Load(), unknown.Load(), len(split.wrong), len(split.unknown))
	}
	if d := wrong.Load() - unknown.Load(); d < -2 || d > 2 {
		t.Errorf("not alternating: %d wrong-password vs %d unknown-user requests", wrong.Load(), unknown.Load())
	}
}

// TestRotationTargets: each group-commit refresh-rotating row is held to
// 3× the req/s of its old-path row from the same run, in and out of
// process separately.
func TestRotationTargets(t *testing.T) {
	rows := []Row{
		{Mode: "builtin", Scenario: scRefreshRot, RPS: 3000},
		{Mode: "plugins", Scenario: scRefreshRot, RPS: 1000},
		{Mode: "builtin", Scenario: scVerify, RPS: 9000},
		{Mode: modeBuiltinOldPath, Scenario: scRefreshRot, RPS: 1000},
		{Mode: modePluginsOldPath, Scenario: scRefreshRot, RPS: 500},
	}
	notes := rotationTargets(rows)
	if len(notes) != 2 {
		t.Fatalf("notes %q", notes)
	}
	for i, want := range []string{"≥ 3× the old path's req/s: 3.00×, met", "≥ 3× the old path's req/s: 2.00×, MISSED", ""} {
		if rows[i].Target != want {
			t.Errorf("%s/%s: target %q, want %q", rows[i].Mode, rows[i].Scenario, rows[i].Target, want)
		}
	}
}
