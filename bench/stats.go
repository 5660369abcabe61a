package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Result is what one closed-loop run measured.
type Result struct {
	Requests  int             // successful requests
	Errors    int             // requests that failed or got an unexpected status
	FirstErr  string          // the first failure, for the report
	Elapsed   time.Duration   // wall time of the measured run
	Latencies []time.Duration // one sample per successful request (bounded, see maxSamples)
}

// RPS is successful requests per second.
func (r Result) RPS() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Percentile returns the p-th percentile (0 < p ≤ 100) of samples by the
// nearest-rank method, sorting samples in place. It returns 0 for no
// samples.
func Percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 || !(p > 0) {
		return 0
	}
	if !slices.IsSorted(samples) {
		slices.Sort(samples)
	}
	rank := int(math.Ceil(p / 100 * float64(len(samples))))
	rank = min(max(rank, 1), len(samples))
	return samples[rank-1]
}

// Ratio is a/b, or NaN when b is zero (no baseline: the table shows "–").
func Ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}

// Row is one line of the report.
type Row struct {
	Mode      string // "bare", "built-in", "plugins"
	Scenario  string
	RPS       float64
	P50, P99  time.Duration
	CPUPerReq time.Duration // server CPU time (user+system) per request
	PeakRSS   int64         // bytes, VmHWM summed over the server's processes
	Errors    int
	Target    string // the goal this row is held to and whether it is met, or ""
	Note      string // a caveat about this row's figures, or ""
}

// Table renders rows as a Markdown table, each figure beside its ratio to
// base (the bare handler, measured in the same run).
func Table(rows []Row, base Row) string {
	var b strings.Builder
	b.WriteString("| mode | scenario | req/s | ×bare | p50 | ×bare | p99 | ×bare | CPU/req | ×bare | peak RSS | ×bare | errors | target |\n")
	b.WriteString("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %s |\n",
			r.Mode, r.Scenario,
			fmtRate(r.RPS), fmtRatio(Ratio(r.RPS, base.RPS)),
			fmtDur(r.P50), fmtRatio(Ratio(float64(r.P50), float64(base.P50))),
			fmtDur(r.P99), fmtRatio(Ratio(float64(r.P99), float64(base.P99))),
			fmtDur(r.CPUPerReq), fmtRatio(Ratio(float64(r.CPUPerReq), float64(base.CPUPerReq))),
			fmtBytes(r.PeakRSS), fmtRatio(Ratio(float64(r.PeakRSS), float64(base.PeakRSS))),
			r.Errors, r.Target)
	}
	return b.String()
}

// fmtRate prints requests per second: whole numbers, except below 10 where
// the password-hash-bound scenarios live.
func fmtRate(x float64) string {
	if x < 10 {
		return fmt.Sprintf("%.2f", x)
	}
	return fmt.Sprintf("%.0f", x)
}

func fmtRatio(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	switch {
	case x >= 10:
		return fmt.Sprintf("%.0f×", x)
	case x < 0.01 && x > 0:
		return fmt.Sprintf("%.4f×", x)
	default:
		return fmt.Sprintf("%.2f×", x)
	}
}

// fmtDur prints a latency with three significant figures in a fitting unit.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}

func fmtBytes(n int64) string {
	if n <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// ReplaceSection returns doc with the text between the bench markers
// (<!-- bench:start --> and <!-- bench:end -->; only the text between them
// in BENCHMARKS.md is ours) replaced by section, keeping everything outside them. Without markers (or
// with them out of order) the section is appended at the end, marked.
func ReplaceSection(doc, section string) string {
	return ReplaceNamedSection(doc, "bench", section)
}

// ReplaceNamedSection is ReplaceSection with the markers
// <!-- name:start --> and <!-- name:end -->, so that a partial run (say,
// only the Redis modes) can have its own section beside the full table.
func ReplaceNamedSection(doc, name, section string) string {
	start, end := "<!-- "+name+":start -->", "<!-- "+name+":end -->"
	block := start + "\n" + strings.TrimRight(section, "\n") + "\n" + end
	i := strings.Index(doc, start)
	j := strings.Index(doc, end)
	if i < 0 || j < i {
		if doc != "" && !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		if doc != "" {
			doc += "\n"
		}
		return doc + block + "\n"
	}
	return doc[:i] + block + doc[j+len(end):]
}
