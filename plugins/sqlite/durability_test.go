package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// childDBEnv, when set, turns this test binary into the child process of
// TestBlacklistSurvivesSIGKILL: it blacklists jtis in a loop on that file and
// prints each one only after Blacklist returned true.
const childDBEnv = "JWTD_SQLITE_TEST_CHILD_DB"

// TestBlacklistSurvivesSIGKILL: every blacklist entry the store acknowledged
// is there after the process holding the database is killed with SIGKILL
// mid-stream (concurrent writers, so mid group commit) and the file is
// opened again.
func TestBlacklistSurvivesSIGKILL(t *testing.T) {
	if path := os.Getenv(childDBEnv); path != "" {
		runBlacklistChild(path)
		return
	}
	path := dbPath(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestBlacklistSurvivesSIGKILL$")
	cmd.Env = append(os.Environ(), childDBEnv+"="+path)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	var acked []string
	sc := bufio.NewScanner(out)
	for sc.Scan() && len(acked) < 200 {
		if jti, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
			acked = append(acked, jti)
		}
	}
	// Kill while the child is still writing (it never stops by itself).
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if len(acked) < 200 {
		t.Fatalf("child acknowledged only %d entries", len(acked))
	}
	s := openBlacklist(t, path)
	for _, jti := range acked {
		if got, err := s.IsBlacklisted(context.Background(), jti); err != nil || !got {
			t.Fatalf("acknowledged %s lost after SIGKILL (%v, %v)", jti, got, err)
		}
	}
}

// runBlacklistChild blacklists from several goroutines at once, so that
// with group commit the writes are committed in batches and the kill can
// fall between a batch's statements and its commit.
func runBlacklistChild(path string) {
	ctx := context.Background()
	s, err := openBlacklistForChild(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; ; i++ {
				jti := fmt.Sprintf("jti-%d-%d", g, i)
				added, err := s.Blacklist(ctx, sdk.TokenRecord{JTI: jti, UserID: "1", TokenType: "refresh", ExpiresAt: time.Now().Add(time.Hour)})
				if err != nil || !added {
					fmt.Fprintln(os.Stderr, "blacklist:", added, err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Println("acked " + jti)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
