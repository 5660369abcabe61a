package main

import (
	"fmt"
	"strings"
)

// The old-path modes run the SQLite blacklist with group commit off
// (group_commit = false: one transaction and one fsync per write, as before
// issue 12), in and out of process, for refresh-rotating only, so that the
// group-commit rows of the same run have their baseline beside them.
const (
	modeBuiltinOldPath = "builtin-no-group-commit"
	modePluginsOldPath = "plugins-no-group-commit"
)

func isOldPathMode(mode string) bool {
	return mode == modeBuiltinOldPath || mode == modePluginsOldPath
}

// oldPathScenarios are the scenarios an old-path mode runs.
var oldPathScenarios = []string{scRefreshRot}

// newPathMode is the group-commit mode an old-path mode is the baseline of.
func newPathMode(mode string) string {
	return strings.TrimSuffix(mode, "-no-group-commit")
}

// issue12Goal is issue 12's req/s goal for a scenario, as a ratio to the
// bare handler: verify (of access and refresh tokens) and authenticate
// ≥ 0.6× out of process and ≥ 0.7× in process, stateless ≥ 0.8× in both.
// 0 means no such goal.
func issue12Goal(mode, name string) float64 {
	outOfProcess := mode == "plugins"
	if mode != "builtin" && !outOfProcess {
		return 0
	}
	switch name {
	case scVerify, scVerifyRefresh, scAuth:
		if outOfProcess {
			return 0.6
		}
		return 0.7
	case scAuthStateless:
		return 0.8
	}
	return 0
}

// maxPeakRSSOutOfProcess is issue 12's bound on the peak RSS of jwtd and
// its plugin processes together, out of process, for the request scenarios
// (obtain's password hash needs its 100 MiB by design).
const maxPeakRSSOutOfProcess = 45 << 20

// rssTarget states the peak RSS bound for an out-of-process request row.
func rssTarget(mode, name string, r Row) string {
	if mode != "plugins" || issue12Goal(mode, name) == 0 {
		return ""
	}
	verdict := "met"
	if r.PeakRSS > maxPeakRSSOutOfProcess {
		verdict = "MISSED"
	}
	return fmt.Sprintf("peak RSS ≤ %d MB: %s", maxPeakRSSOutOfProcess>>20, verdict)
}

// rotationGoal is issue 12's goal for refresh-rotating on SQLite: ≥ 3× the
// old path's req/s in the same run.
const rotationGoal = 3.0

// rotationTargets sets the target of each group-commit refresh-rotating row
// that has an old-path row beside it, and returns a note per comparison.
func rotationTargets(rows []Row) []string {
	var notes []string
	for _, old := range rows {
		if !isOldPathMode(old.Mode) || old.Scenario != scRefreshRot || old.RPS <= 0 {
			continue
		}
		for i := range rows {
			r := &rows[i]
			if r.Mode != newPathMode(old.Mode) || r.Scenario != scRefreshRot || r.RPS <= 0 {
				continue
			}
			got := Ratio(r.RPS, old.RPS)
			verdict := "met"
			if !(got >= rotationGoal) {
				verdict = "MISSED"
			}
			r.Target = fmt.Sprintf("≥ %.0f× the old path's req/s: %.2f×, %s", rotationGoal, got, verdict)
			notes = append(notes, fmt.Sprintf("refresh-rotating, %s: group commit %s req/s vs one commit per write %s req/s (%s); p99 %s vs %s; CPU/req %s vs %s",
				r.Mode, fmtRate(r.RPS), fmtRate(old.RPS), fmtRatio(got), fmtDur(r.P99), fmtDur(old.P99), fmtDur(r.CPUPerReq), fmtDur(old.CPUPerReq)))
		}
	}
	return notes
}
