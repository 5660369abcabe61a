package redistest

import (
	"fmt"
	"strings"
	"testing"
)

func TestStartStopRestart(t *testing.T) {
	t.Parallel()
	s := Start(t)
	if err := pingAddr(s.Addr); err != nil {
		t.Fatalf("fresh server does not answer PING: %v", err)
	}
	if _, err := withReply(s.Addr, "SET", "k", "v"); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if s.Running() {
		t.Fatal("Running after Stop")
	}
	if err := pingAddr(s.Addr); err == nil {
		t.Fatal("stopped server still answers PING")
	}
	s.Stop() // a second Stop is harmless
	addr := s.Addr
	s.Restart()
	if s.Addr != addr {
		t.Fatalf("Restart moved the server from %s to %s", addr, s.Addr)
	}
	if err := pingAddr(s.Addr); err != nil {
		t.Fatalf("restarted server does not answer PING: %v", err)
	}
	// Persistence is off, so a restart starts from an empty data set.
	if got, err := withReply(s.Addr, "EXISTS", "k"); err != nil || got != ":0" {
		t.Fatalf("EXISTS k after restart = %q, %v; want :0 (no persistence)", got, err)
	}
}

func TestStartExtraArgs(t *testing.T) {
	t.Parallel()
	s := Start(t, "--requirepass", "s3cret")
	got, err := withReply(s.Addr, "GET", "x")
	if err != nil || !strings.HasPrefix(got, "-NOAUTH") {
		t.Fatalf("GET without AUTH = %q, %v; want a NOAUTH refusal", got, err)
	}
}

func TestStartCluster(t *testing.T) {
	t.Parallel()
	c := StartCluster(t, 3)
	if len(c.Addrs()) != 3 {
		t.Fatalf("Addrs = %v, want 3", c.Addrs())
	}
	for _, addr := range c.Addrs() {
		state, err := clusterState(addr)
		if err != nil || state != "ok" {
			t.Fatalf("node %s: cluster_state %q, %v", addr, state, err)
		}
		nodes, err := withReply(addr, "CLUSTER", "NODES")
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(nodes, "master"); n != 3 {
			t.Fatalf("node %s sees %d masters, want 3:\n%s", addr, n, nodes)
		}
	}
}

// fakeTB records Skipf and Fatalf instead of ending the test, so that the
// JWTD_REQUIRE_REDIS rule can be checked.
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
	}{
		{"skips loudly by default", "", true, false, "SKIPPING"},
		{"fails under JWTD_REQUIRE_REDIS", "1", false, true, "JWTD_REQUIRE_REDIS"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PATH", t.TempDir())
			t.Setenv(RequireEnv, tc.require)
			f := &fakeTB{TB: t}
			if got := lookBinary(f, "redis-server"); got != "" {
				t.Fatalf("found %q in an empty PATH", got)
			}
			if (f.skipped != "") != tc.wantSkip || (f.fatal != "") != tc.wantFatal {
				t.Fatalf("skipped=%q fatal=%q; want skip %v fatal %v", f.skipped, f.fatal, tc.wantSkip, tc.wantFatal)
			}
			if !strings.Contains(f.skipped+f.fatal, tc.wantMessage) {
				t.Fatalf("message %q lacks %q", f.skipped+f.fatal, tc.wantMessage)
			}
		})
	}
}

func TestStartSentinel(t *testing.T) {
	t.Parallel()
	master := Start(t)
	s := StartSentinel(t, master, "mymaster")
	// SENTINEL GET-MASTER-ADDR-BY-NAME answers an array; its first line
	// tells that the sentinel knows the master.
	got, err := withReply(s.Addr, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
	if err != nil || got != "*2" {
		t.Fatalf("sentinel does not know mymaster: %q, %v", got, err)
	}
}
