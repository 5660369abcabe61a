package dbtest

import (
	"errors"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestRetry(t *testing.T) {
	cases := []struct {
		name      string
		failFirst int
		wantCalls int
		wantErr   bool
	}{
		{"first try", 0, 1, false},
		{"third try", 2, 3, false},
		{"gives up", 10, 5, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			err := Retry(5, time.Millisecond, func() error {
				calls++
				if calls <= tc.failFirst {
					return errors.New("busy")
				}
				return nil
			})
			if calls != tc.wantCalls || (err != nil) != tc.wantErr {
				t.Fatalf("Retry: %d calls, err %v; want %d calls, error %v", calls, err, tc.wantCalls, tc.wantErr)
			}
		})
	}
}

func TestSlotAndLaunch(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skipf("SKIPPING: no sleep binary: %v", err)
	}
	log := filepath.Join(t.TempDir(), "log")
	// A server that answers after a while is waited for.
	notReady := errors.New("not yet")
	start := time.Now()
	slow, err := Launch(log, nil, sleep, []string{"60"}, func() error {
		if time.Since(start) > 200*time.Millisecond {
			return nil
		}
		return notReady
	}, syscall.SIGKILL)
	if err != nil {
		t.Fatalf("Launch of a server that becomes ready: %v", err)
	}
	if !slow.Signal(syscall.SIGKILL, 10*time.Second) {
		t.Fatal("sleep did not exit on SIGKILL")
	}
	var s Slot
	if s.Running() || s.Take() != nil {
		t.Fatal("an empty slot holds a process")
	}
	p, err := Launch(log, nil, sleep, []string{"60"}, func() error { return nil }, syscall.SIGKILL)
	if err != nil {
		t.Fatal(err)
	}
	s.Set(p)
	t.Cleanup(func() { p.Signal(syscall.SIGKILL, 10*time.Second) })
	if !s.Running() || s.Pid(t, "sleep") != p.Pid() {
		t.Fatal("the slot does not hold the launched process")
	}
	if got := s.Take(); got != p || s.Running() || s.Take() != nil {
		t.Fatal("Take does not hand the process over once")
	}
	if !p.Signal(syscall.SIGKILL, 10*time.Second) {
		t.Fatal("sleep did not exit on SIGKILL")
	}
	// A process that exits before it is ready is an error.
	true_, err := exec.LookPath("true")
	if err != nil {
		t.Skipf("SKIPPING: no true binary: %v", err)
	}
	if _, err := Launch(log, nil, true_, nil, func() error { return notReady }, syscall.SIGKILL); err == nil {
		t.Fatal("Launch of a server that exits at start succeeded")
	}
}
