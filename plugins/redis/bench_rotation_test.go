package redis_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/config"
	"github.com/jwtd/jwtd/host/daemon"
	"github.com/jwtd/jwtd/internal/redistest"
)

// BenchmarkRefreshRotation measures refresh-with-rotation (the core's
// Refresh with rotate_refresh_tokens and blacklist_after_rotation: one
// IsBlacklisted, one Blacklist and one AddOutstanding per call) with the
// SQLite and the Redis blacklist store in the same run, so their ratio is
// comparable. Each goroutine rotates its own chain of refresh tokens.
func BenchmarkRefreshRotation(b *testing.B) {
	srv := redistest.Start(b)
	stores := []struct {
		name, section string
	}{
		{"sqlite", "[plugins.blacklist_store]\nuse = \"sqlite\"\n[plugins.blacklist_store.config]\npath = \"blacklist.db\"\n"},
		{"redis", "[plugins.blacklist_store]\nuse = \"redis\"\n[plugins.blacklist_store.config]\naddrs = [\"" + srv.Addr + "\"]\n"},
	}
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			ctx := context.Background()
			cfg, err := config.Load(jwtdConfig(b, st.section), config.Options{})
			if err != nil {
				b.Fatal(err)
			}
			stack, err := daemon.Build(ctx, cfg, daemon.BuildOptions{})
			if err != nil {
				b.Fatal(err)
			}
			defer stack.Close()
			user, err := stack.Users.LookupUser(ctx, "id", "1")
			if err != nil {
				b.Fatal(err)
			}
			var failed atomic.Bool
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				pair, err := stack.Service.IssueFor(ctx, user)
				if err != nil {
					b.Error(err)
					failed.Store(true)
					return
				}
				refresh := pair.Refresh
				for pb.Next() {
					next, err := stack.Service.Refresh(ctx, refresh)
					if err != nil || next.Refresh == "" {
						b.Errorf("rotation: %v (refresh %q)", err, next.Refresh)
						failed.Store(true)
						return
					}
					refresh = next.Refresh
				}
			})
			if !failed.Load() {
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rotations/s")
			}
		})
	}
}
