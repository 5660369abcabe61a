package redis_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/pluginhost"
	"github.com/jwtd/jwtd/internal/redistest"
	"github.com/jwtd/jwtd/plugins/redis"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/plugin"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// The test binary doubles as the Redis plugin binary (go-plugin's own
// pattern): started by a pluginhost.Host, it finds the handshake cookie and
// serves exactly what cmd/jwtd-plugin-redis serves.
func TestMain(m *testing.M) {
	if runRole() {
		return
	}
	if plugin.Launched() {
		plugin.Serve(plugin.Set{BlacklistStore: redis.NewBlacklistStore})
		return
	}
	os.Exit(m.Run())
}

// outOfProcess starts the plugin as a real process through the host's
// plugin launcher and returns its blacklist store.
func outOfProcess(t *testing.T, cfg sdk.Config) sdk.BlacklistStore {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	h := pluginhost.New(nil)
	t.Cleanup(func() { h.Close() })
	s, err := h.BlacklistStore(context.Background(), pluginhost.Spec{
		Name: "blacklist_store", Path: self, Config: cfg, CallTimeout: 3 * time.Second,
	})
	if err != nil {
		t.Fatalf("starting the redis plugin process: %v", err)
	}
	return s
}

// TestConformance runs the sdk conformance kit against the store on a single
// server and on a 3-master Cluster, in process and out of process.
func TestConformance(t *testing.T) {
	t.Parallel()
	single := redistest.Start(t)
	topologies := []struct {
		name  string
		addrs func(t *testing.T) []string
	}{
		{"single", func(*testing.T) []string { return []string{single.Addr} }},
		{"cluster", func(t *testing.T) []string {
			if testing.Short() {
				t.Skip("cluster start-up is slow; skipped under -short")
			}
			return redistest.StartCluster(t, 3).Addrs()
		}},
	}
	opts := sdktest.BlacklistOptions{SelfExpiring: true}
	for _, top := range topologies {
		t.Run(top.name, func(t *testing.T) {
			tg := target{addrs: top.addrs(t)}
			t.Run("in process", func(t *testing.T) {
				sdktest.TestBlacklistStore(t, func(t *testing.T) sdk.BlacklistStore { return tg.open(t) }, opts)
				sdktest.TestSessionStore(t, func(t *testing.T) sdk.SessionStore { return tg.open(t) })
				sdktest.TestLoginFailureStore(t, func(t *testing.T) sdk.LoginFailureStore { return tg.open(t) })
				t.Run("SessionFeed", func(t *testing.T) { sdktest.TestSessionFeed(t, tg.open(t), time.Second) })
			})
			t.Run("out of process", func(t *testing.T) {
				s := outOfProcess(t, tg.config())
				sdktest.TestBlacklistStore(t, func(*testing.T) sdk.BlacklistStore { return s }, opts)
				ss, ok := sdk.As[sdk.SessionStore](s)
				if !ok {
					t.Fatal("the redis plugin's blacklist store does not offer sdk.SessionStore across the boundary")
				}
				sdktest.TestSessionStore(t, func(*testing.T) sdk.SessionStore { return ss })
				lf, ok := sdk.As[sdk.LoginFailureStore](s)
				if !ok {
					t.Fatal("the redis plugin's blacklist store does not offer sdk.LoginFailureStore across the boundary")
				}
				sdktest.TestLoginFailureStore(t, func(*testing.T) sdk.LoginFailureStore { return lf })
				f, hasFeed := sdk.As[sdk.ChangeFeed](s)
				sf, hasSF := sdk.As[sdk.SessionFeed](s)
				if !hasFeed || !hasSF || !sf.SessionsInFeed() {
					t.Fatal("the redis plugin's blacklist store does not offer its session feed across the boundary")
				}
				t.Run("SessionFeed", func(t *testing.T) {
					sdktest.TestSessionFeed(t, struct {
						sdk.SessionStore
						sdk.ChangeFeed
						sdk.SessionFeed
					}{ss, f, sf}, time.Second)
				})
			})
		})
	}
}

// Out of process, a Redis outage still reaches the host as ErrUnavailable
// (503), and the same plugin process serves again once Redis is back.
func TestOutOfProcessRedisDownAndBack(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	tg := target{addrs: []string{srv.Addr}}
	s := outOfProcess(t, tg.config("dial_timeout", "300ms", "read_timeout", "300ms"))
	ctx := context.Background()
	r := record(t, "3", time.Hour)
	if added, err := s.Blacklist(ctx, r); err != nil || !added {
		t.Fatalf("Blacklist = %v, %v", added, err)
	}

	srv.Stop()
	r2 := record(t, "3", time.Hour)
	if added, err := s.Blacklist(ctx, r2); added || !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("Blacklist with Redis down = %v, %v; want false and ErrUnavailable", added, err)
	}
	if listed, err := s.IsBlacklisted(ctx, r.JTI); listed || !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("IsBlacklisted with Redis down = %v, %v; want false and ErrUnavailable", listed, err)
	}
	if err := s.(sdk.Pinger).Ping(ctx); !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("Ping with Redis down = %v; want ErrUnavailable", err)
	}

	srv.Restart()
	if err := s.(sdk.Pinger).Ping(ctx); err != nil {
		t.Fatalf("Ping after Redis restarted: %v", err)
	}
	if added, err := s.Blacklist(ctx, r2); err != nil || !added {
		t.Fatalf("Blacklist after Redis restarted = %v, %v", added, err)
	}
}
