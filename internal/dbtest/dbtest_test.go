package dbtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeTB records Skipf and Fatalf instead of ending the test, so that the
// require-variable rule can be checked.
type fakeTB struct {
	testing.TB
	skipped, fatal string
}

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Skipf(format string, a ...any)  { f.skipped = fmt.Sprintf(format, a...) }
func (f *fakeTB) Fatalf(format string, a ...any) { f.fatal = fmt.Sprintf(format, a...) }

func TestMissingBinaryRule(t *testing.T) {
	cases := []struct {
		name        string
		require     string
		wantSkip    bool
		wantFatal   bool
		wantMessage string
		env         string // the require variable the harness uses
		look        func(t testing.TB) string
	}{
		{"skips loudly by default", "", true, false, "SKIPPING", RequireEnv, sqlLook},
		{"fails under JWTD_REQUIRE_SQL", "1", false, true, "JWTD_REQUIRE_SQL", RequireEnv, sqlLook},
		{"another harness's variable: skips", "", true, false, "JWTD_REQUIRE_REDIS", "JWTD_REQUIRE_REDIS", redisLook},
		{"another harness's variable: fails", "1", false, true, "JWTD_REQUIRE_REDIS", "JWTD_REQUIRE_REDIS", redisLook},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PATH", t.TempDir())
			t.Setenv(RequireEnv, "")
			t.Setenv(tc.env, tc.require)
			f := &fakeTB{TB: t}
			if got := tc.look(f); got != "" {
				t.Fatalf("found %q in an empty PATH", got)
			}
			if (f.skipped != "") != tc.wantSkip || (f.fatal != "") != tc.wantFatal {
				t.Fatalf("skipped=%q fatal=%q; want skip %v fatal %v", f.skipped, f.fatal, tc.wantSkip, tc.wantFatal)
			}
			if !strings.Contains(f.skipped+f.fatal, tc.wantMessage) || !strings.Contains(f.skipped+f.fatal, "Debian") {
				t.Fatalf("message %q lacks %q or the package name", f.skipped+f.fatal, tc.wantMessage)
			}
		})
	}
}

func sqlLook(t testing.TB) string {
	return LookBinary(t, "postgresql", []string{t.TempDir()}, "initdb")
}

func redisLook(t testing.TB) string {
	return LookBinaryRequired(t, "JWTD_REQUIRE_REDIS", "redis-server", nil, "redis-server")
}

func TestTailKeepsErrorLines(t *testing.T) {
	advice := strings.Repeat("advice\n", 20)
	cases := []struct {
		name, log string
		want      []string
		notWant   []string
	}{
		{"short log whole", "one\ntwo\n", []string{"one | two"}, []string{"..."}},
		{"error before the advice", "starting\n2026 [ERROR] InnoDB: cannot open ibdata1\n" + advice, []string{"[ERROR] InnoDB: cannot open ibdata1 | ... | advice"}, []string{"starting"}},
		{"no error: last lines only", "starting\n" + advice, []string{"advice"}, []string{"starting", "..."}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "log")
			if err := os.WriteFile(path, []byte(tc.log), 0o600); err != nil {
				t.Fatal(err)
			}
			got := Tail(path)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("Tail = %q; want it to hold %q", got, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("Tail = %q; want it without %q", got, w)
				}
			}
		})
	}
}

func TestFreezeWaitsForTheStop(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skipf("SKIPPING: no sleep binary: %v", err)
	}
	cmd, err := Command(filepath.Join(t.TempDir(), "log"), nil, sleep, "60")
	if err != nil {
		t.Fatal(err)
	}
	p, err := StartProcess(cmd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Signal(syscall.SIGKILL, 10*time.Second) })
	if stopped, err := Stopped(p.Pid()); err != nil || stopped {
		t.Fatalf("Stopped of a running process = %v, %v; want false", stopped, err)
	}
	if err := Freeze(p.Pid()); err != nil {
		t.Fatal(err)
	}
	if stopped, err := Stopped(p.Pid()); err != nil || !stopped {
		t.Fatalf("Stopped after Freeze = %v, %v; want true", stopped, err)
	}
	if err := Freeze(1 << 30); err == nil {
		t.Fatal("Freeze of a process that does not exist succeeded")
	}
}

func TestProcField(t *testing.T) {
	cases := []struct {
		stat      string
		n         int
		want      string
		wantFound bool
	}{
		{"42 (mariadbd) S 7 42 42", 0, "S", true},
		{"42 (mariadbd) S 7 42 42", 1, "7", true},
		{"42 (a) T (b)) T 9 1", 1, "9", true},
		{"42 (cut", 0, "", false},
		{"42 (x)", 0, "", false},
	}
	for _, tc := range cases {
		got, ok := procField(tc.stat, tc.n)
		if got != tc.want || ok != tc.wantFound {
			t.Errorf("procField(%q, %d) = %q, %v; want %q, %v", tc.stat, tc.n, got, ok, tc.want, tc.wantFound)
		}
	}
}
