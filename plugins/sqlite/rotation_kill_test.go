package sqlite_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/plugins/sqlite"
	"github.com/jwtd/jwtd/sdk"
)

// childRotateEnv, when set, turns this test binary into the child process
// of TestRotationsSurviveSIGKILL: it rotates the refresh tokens in
// childTokensEnv concurrently, on that database file, and prints each old
// token once its refresh has succeeded (the point where jwtd answers 200).
const (
	childRotateEnv = "JWTD_SQLITE_TEST_ROTATE_DB"
	childTokensEnv = "JWTD_SQLITE_TEST_ROTATE_TOKENS"
)

// rotationService is the token core with rotation and blacklisting over the
// SQLite stores on path, as jwtd runs it in process.
func rotationService(ctx context.Context, path string) (*core.Service, func(), error) {
	users, err := sqlite.OpenUserStore(ctx, cheapArgon2(sdk.Config{"path": path}))
	if err != nil {
		return nil, nil, err
	}
	bl, err := sqlite.OpenBlacklistStore(ctx, sdk.Config{"path": path, "sweep_interval": "0"})
	if err != nil {
		users.Close()
		return nil, nil, err
	}
	s := core.DefaultSettings()
	s.SigningKey = "jwtd-sqlite-rotation-test-key-0123456789"
	s.RotateRefreshTokens, s.BlacklistAfterRotation = true, true
	svc, err := core.New(s, core.Plugins{Users: users, Blacklist: bl})
	if err != nil {
		users.Close()
		bl.Close()
		return nil, nil, err
	}
	return svc, func() { bl.Close(); users.Close() }, nil
}

// TestRotationsSurviveSIGKILL: refreshes with rotation run concurrently in
// a child process (so the group committer batches their blacklist writes)
// until it is killed with SIGKILL; after a restart on the same file, every
// refresh token whose rotation had succeeded before the kill stays
// consumed.
func TestRotationsSurviveSIGKILL(t *testing.T) {
	if path := os.Getenv(childRotateEnv); path != "" {
		runRotationChild(path, strings.Split(os.Getenv(childTokensEnv), ","))
		return
	}
	ctx := context.Background()
	path := dbPath(t)
	svc, closeStores, err := rotationService(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	users, err := sqlite.OpenUserStore(ctx, cheapArgon2(sdk.Config{"path": path}))
	if err != nil {
		t.Fatal(err)
	}
	alice, err := users.CreateUser(ctx, sdk.NewUser{Username: "alice", Password: "pw", IsActive: true})
	users.Close()
	if err != nil {
		t.Fatal(err)
	}
	var tokens []string
	for range 16 {
		is, err := svc.IssueFor(ctx, alice)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, is.Refresh)
	}
	closeStores()

	cmd := exec.Command(os.Args[0], "-test.run=^TestRotationsSurviveSIGKILL$")
	cmd.Env = append(os.Environ(), childRotateEnv+"="+path, childTokensEnv+"="+strings.Join(tokens, ","))
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
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() && len(acked) < 400 {
		if tok, ok := strings.CutPrefix(sc.Text(), "consumed "); ok {
			acked = append(acked, tok)
		}
	}
	// Kill mid-stream: the child rotates until it dies.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if len(acked) < 400 {
		t.Fatalf("child acknowledged only %d rotations", len(acked))
	}
	svc, closeStores, err = rotationService(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStores()
	for i, tok := range acked {
		if _, err := svc.Refresh(ctx, tok); !errors.Is(err, core.ErrTokenBlacklisted) {
			t.Fatalf("rotation %d answered before the kill: the old token refreshes again after restart (%v)", i, err)
		}
	}
}

func runRotationChild(path string, tokens []string) {
	ctx := context.Background()
	svc, _, err := rotationService(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	w := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for _, tok := range tokens {
		wg.Go(func() {
			for {
				is, err := svc.Refresh(ctx, tok)
				if err != nil {
					fmt.Fprintln(os.Stderr, "refresh:", err)
					os.Exit(2)
				}
				mu.Lock()
				fmt.Fprintln(w, "consumed "+tok)
				w.Flush()
				mu.Unlock()
				tok = is.Refresh
			}
		})
	}
	wg.Wait()
}
