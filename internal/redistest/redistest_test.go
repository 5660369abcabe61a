package redistest

import (
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
