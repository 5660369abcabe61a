package jwtdtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// envRole makes the test binary a stand-in server: it answers 503 on
// /readyz for a moment, then 200, and exits 0 on SIGTERM, like jwtd.
const envRole = "JWTDTEST_ROLE"

func TestMain(m *testing.M) {
	if os.Getenv(envRole) == "server" {
		os.Exit(standIn(os.Getenv("JWTDTEST_ADDR")))
	}
	os.Exit(m.Run())
}

func standIn(addr string) int {
	start := time.Now()
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if time.Since(start) < 200*time.Millisecond {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "{}")
	})
	srv := &http.Server{Addr: addr, Handler: mux}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()
	fmt.Println("stand-in listening on", addr)
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		fmt.Println(err)
		return 1
	}
	fmt.Println("stand-in stopped")
	return 0
}

func TestSyncBufferConcurrentWrites(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_, _ = b.Write([]byte("x"))
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := len(b.String()); got != 800 {
		t.Fatalf("%d bytes, want 800", got)
	}
}

func TestFreeAddrIsListenable(t *testing.T) {
	addr := FreeAddr(t)
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("FreeAddr = %q, want a 127.0.0.1 address", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("cannot listen on %s: %v", addr, err)
	}
	ln.Close()
}

// TestStartWaitsForReadyAndStops starts the stand-in: Start must return
// only once /readyz answers 200, and Stop must see the clean exit.
func TestStartWaitsForReadyAndStops(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), envRole+"=server", "JWTDTEST_ADDR="+addr)
	p := Start(t, cmd, "http://"+addr, Options{ReadyTimeout: 10 * time.Second, StopTimeout: 5 * time.Second})
	resp, err := http.Get(p.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("Start returned while /readyz answers %d", resp.StatusCode)
	}
	if !strings.Contains(p.Log.String(), "stand-in listening on "+addr) {
		t.Fatalf("the process's output is not in Log: %q", p.Log)
	}
	if err := p.Stop(t, syscall.SIGTERM, 5*time.Second); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, p.Log)
	}
	if !strings.Contains(p.Log.String(), "stand-in stopped") {
		t.Fatalf("no clean stop in Log: %q", p.Log)
	}
}
