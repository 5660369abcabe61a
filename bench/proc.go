package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/<pid>/stat. It is
// 100 on every Linux architecture Go supports (sysconf(_SC_CLK_TCK) would
// need cgo to ask).
const clockTicks = 100

// procUsage is the CPU time and peak RSS of a process and its descendants
// (jwtd's out-of-process plugins are its children and their work is part of
// the cost of a request).
type procUsage struct {
	CPU     time.Duration
	PeakRSS int64
	Pids    []int // the processes counted, pid first
}

// treeUsage sums utime+stime and VmHWM over pid and its descendants alive
// now. VmHWM is each process's own peak, so the sum is an upper bound of the
// tree's simultaneous peak.
func treeUsage(pid int) (procUsage, error) {
	pids := append([]int{pid}, descendants(pid)...)
	u := procUsage{Pids: pids}
	for i, p := range pids {
		cpu, err := procCPU(p)
		if err != nil {
			if i == 0 {
				return u, err
			}
			continue // a child that just exited
		}
		u.CPU += cpu
		if rss, err := procPeakRSS(p); err == nil {
			u.PeakRSS += rss
		}
	}
	return u, nil
}

// procCPU reads utime+stime of pid.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	utime, stime, _, err := parseStat(b)
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// parseStat extracts utime, stime (fields 14, 15) and ppid (field 4) from a
// /proc/<pid>/stat line. The command name (field 2) may hold spaces and
// parentheses, so fields are counted after its last ')'.
func parseStat(b []byte) (utime, stime int64, ppid int, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, 0, fmt.Errorf("no command name")
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state), so field n is f[n-3].
	if len(f) < 13 {
		return 0, 0, 0, fmt.Errorf("%d fields after the command name", len(f))
	}
	if ppid, err = strconv.Atoi(f[1]); err != nil {
		return 0, 0, 0, fmt.Errorf("ppid: %w", err)
	}
	if utime, err = strconv.ParseInt(f[11], 10, 64); err != nil {
		return 0, 0, 0, fmt.Errorf("utime: %w", err)
	}
	if stime, err = strconv.ParseInt(f[12], 10, 64); err != nil {
		return 0, 0, 0, fmt.Errorf("stime: %w", err)
	}
	return utime, stime, ppid, nil
}

// procPeakRSS reads VmHWM (peak resident set) of pid, in bytes.
func procPeakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			return parseKB(v)
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmHWM", pid)
}

// parseKB parses "   1234 kB" into bytes.
func parseKB(v string) (int64, error) {
	f := strings.Fields(v)
	if len(f) != 2 || f[1] != "kB" {
		return 0, fmt.Errorf("unexpected size %q", v)
	}
	n, err := strconv.ParseInt(f[0], 10, 64)
	return n * 1024, err
}

// descendants lists the pids whose ancestry leads to pid.
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		if _, _, ppid, err := parseStat(b); err == nil {
			children[ppid] = append(children[ppid], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		out = append(out, children[p]...)
		queue = append(queue, children[p]...)
	}
	return out
}

// resetPeakRSS resets VmHWM of pid and its descendants to their current
// RSS (writing 5 to clear_refs, Linux ≥ 4.0), so that the next reading is
// the peak of the coming scenario alone rather than of the process's life.
// Where that is refused the peak stays cumulative.
func resetPeakRSS(pid int) {
	for _, p := range append([]int{pid}, descendants(pid)...) {
		_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p), []byte("5"), 0)
	}
}
