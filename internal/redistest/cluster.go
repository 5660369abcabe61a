package redistest

import (
	"bufio"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cluster is a Redis Cluster of masters only (no replicas), each a Server on
// 127.0.0.1, with all 16384 slots assigned.
type Cluster struct {
	// Nodes are the cluster's masters, in the order they were created.
	Nodes []*Server
}

// Addrs returns the nodes' addresses, the seed list a cluster client takes.
func (c *Cluster) Addrs() []string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr
	}
	return addrs
}

// StartCluster starts masters redis-server nodes (at least 3, which
// redis-cli --cluster create requires) with --cluster-enabled yes, joins them
// with `redis-cli --cluster create ... --cluster-yes`, and waits until every
// node reports cluster_state:ok. Nodes end with the test. When redis-server
// or redis-cli is missing it skips (or fails under JWTD_REQUIRE_REDIS).
func StartCluster(t testing.TB, masters int) *Cluster {
	t.Helper()
	if masters < 3 {
		t.Fatalf("redistest: a Redis Cluster needs at least 3 masters, asked for %d", masters)
	}
	bin := lookBinary(t, "redis-server")
	cli := lookBinary(t, "redis-cli")

	c := &Cluster{}
	for i := 0; i < masters; i++ {
		c.Nodes = append(c.Nodes, startClusterNode(t, bin))
	}

	args := []string{"--cluster", "create"}
	args = append(args, c.Addrs()...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	out, err := exec.Command(cli, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}

	deadline := time.Now().Add(startTimeout)
	for _, n := range c.Nodes {
		for {
			state, err := clusterState(n.Addr)
			if err == nil && state == "ok" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("redistest: cluster node %s not ok within %v (state %q, err %v)", n.Addr, startTimeout, state, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return c
}

// startClusterNode starts one cluster-enabled node on a port whose cluster
// bus port (port+10000) is free too, retrying when another process takes
// either first.
func startClusterNode(t testing.TB, bin string) *Server {
	t.Helper()
	dir := t.TempDir()
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port, err := freePort(true)
		if err != nil {
			t.Fatalf("redistest: %v", err)
		}
		s := &Server{
			Addr: "127.0.0.1:" + strconv.Itoa(port),
			tb:   t,
			dir:  dir,
			log:  filepath.Join(dir, fmt.Sprintf("redis-%d.log", port)),
		}
		s.args = append(baseArgs(bin, port, dir, s.log),
			"--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, fmt.Sprintf("nodes-%d.conf", port)),
			"--cluster-node-timeout", "5000",
		)
		if lastErr = s.start(); lastErr == nil {
			t.Cleanup(s.Stop)
			return s
		}
	}
	t.Fatalf("redistest: starting cluster node: %v", lastErr)
	return nil
}

// clusterState returns the cluster_state field of CLUSTER INFO on addr.
func clusterState(addr string) (string, error) {
	var info string
	err := withConn(addr, func(rw *bufio.ReadWriter) error {
		var err error
		info, err = roundTrip(rw, "CLUSTER", "INFO")
		return err
	})
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "cluster_state:"); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("no cluster_state in CLUSTER INFO: %q", info)
}
