package main

import (
	"os"
	"syscall"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name         string
		line         string
		utime, stime int64
		ppid         int
		bad          bool
	}{
		{"plain", "42 (jwtd) S 7 42 42 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 9 0 1000 0 0", 1234, 567, 7, false},
		{"name with spaces and parens", "42 (a (b) c) R 1 42 42 0 -1 0 0 0 0 0 5 6 0 0 20 0", 5, 6, 1, false},
		{"truncated", "42 (x) S 1 2 3", 0, 0, 0, true},
		{"no name", "garbage", 0, 0, 0, true},
		{"non-numeric utime", "42 (x) S 1 42 42 0 -1 0 0 0 0 0 u 6 0 0", 0, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, s, p, err := parseStat([]byte(tt.line))
			if tt.bad {
				if err == nil {
					t.Fatal("accepted a bad stat line")
				}
				return
			}
			if err != nil || u != tt.utime || s != tt.stime || p != tt.ppid {
				t.Fatalf("got %d %d %d %v, want %d %d %d", u, s, p, err, tt.utime, tt.stime, tt.ppid)
			}
		})
	}
}

func TestParseKB(t *testing.T) {
	if n, err := parseKB("   2048 kB"); err != nil || n != 2048*1024 {
		t.Fatalf("parseKB = %d, %v", n, err)
	}
	if _, err := parseKB("12 MB"); err == nil {
		t.Fatal("accepted a unit other than kB")
	}
}

// TestTreeUsageOwnProcess reads this very process: CPU burnt (as getrusage
// counts it) must show up in the /proc figure, and the peak RSS must be
// plausible. Spinning runs until the CPU is really used, however loaded the
// machine is.
func TestTreeUsageOwnProcess(t *testing.T) {
	rusage := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	before, err := treeUsage(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	r0 := rusage()
	x := 0
	for start := time.Now(); rusage()-r0 < 300*time.Millisecond && time.Since(start) < 30*time.Second; {
		x++
	}
	burnt := rusage() - r0
	after, err := treeUsage(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// /proc counts in 10ms ticks: allow a few of them either way.
	if d := after.CPU - before.CPU; d < burnt-50*time.Millisecond || d > burnt+50*time.Millisecond {
		t.Errorf("getrusage says %v of CPU, /proc says %v (x=%d)", burnt, d, x)
	}
	if after.PeakRSS < 1<<20 {
		t.Errorf("peak RSS %d bytes is implausibly small", after.PeakRSS)
	}
	if _, err := treeUsage(1 << 30); err == nil {
		t.Error("a pid that does not exist must be an error")
	}
}
