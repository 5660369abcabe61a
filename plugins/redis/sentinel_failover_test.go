package redis_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/redistest"
	"github.com/jwtd/jwtd/sdk"
)

// Under Sentinel, the store follows a failover: with the master killed and a
// replica promoted, the same store instance writes to the new master and
// still sees what it blacklisted before (replicated), without a restart.
func TestSentinelFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a Sentinel failover; skipped under -short")
	}
	t.Parallel()
	master := redistest.Start(t)
	host, port, _ := net.SplitHostPort(master.Addr)
	replica := redistest.Start(t, "--replicaof", host, port)
	sentinel := redistest.StartSentinel(t, master, "jwtd")
	raw := rawClient(t, []string{replica.Addr})
	ctx := context.Background()

	s := target{addrs: []string{sentinel.Addr}, extra: sdk.Config{"master_name": "jwtd"}}.open(t,
		"dial_timeout", "300ms", "read_timeout", "300ms", "write_timeout", "300ms")
	before := record(t, "1", time.Hour)
	if added, err := s.Blacklist(ctx, before); err != nil || !added {
		t.Fatalf("Blacklist on the first master = %v, %v", added, err)
	}
	// WAIT: the replica has the write before the master dies.
	if n, err := rawClient(t, []string{master.Addr}).Do(ctx, "WAIT", 1, 5000).Int(); err != nil || n != 1 {
		t.Fatalf("WAIT for the replica = %d, %v", n, err)
	}

	master.Stop()
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, err := raw.Info(ctx, "replication").Result()
		if err == nil && strings.Contains(info, "role:master") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replica was not promoted within 30s: %q, %v", info, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The store reaches the new master; calls in between fail closed.
	after := record(t, "1", time.Hour)
	for {
		added, err := s.Blacklist(ctx, after)
		if err == nil {
			if !added {
				t.Fatal("Blacklist on the new master = false, want true")
			}
			break
		}
		if !errors.Is(err, sdk.ErrUnavailable) {
			t.Fatalf("Blacklist during failover: %v; want ErrUnavailable", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("store did not follow the failover: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if listed, err := s.IsBlacklisted(ctx, before.JTI); err != nil || !listed {
		t.Fatalf("token blacklisted before the failover: IsBlacklisted = %v, %v; want true", listed, err)
	}
	if added, err := s.Blacklist(ctx, before); err != nil || added {
		t.Fatalf("Blacklist again after failover = %v, %v; want false", added, err)
	}
}
