package redis_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/jwtd/jwtd/internal/redistest"
	"github.com/jwtd/jwtd/plugins/redis"
	"github.com/jwtd/jwtd/sdk"
)

// benchStore is a store on a fresh local redis-server.
func benchStore(b *testing.B) (*redis.BlacklistStore, goredis.UniversalClient) {
	b.Helper()
	srv := redistest.Start(b)
	tg := target{addrs: []string{srv.Addr}}
	return tg.open(b), rawClient(b, tg.addrs)
}

// benchRecords returns n records with distinct jtis, spread over 1,000 users.
func benchRecords(b *testing.B, n int) []sdk.TokenRecord {
	recs := make([]sdk.TokenRecord, n)
	exp := time.Now().Add(24 * time.Hour).Truncate(time.Second)
	for i := range recs {
		recs[i] = sdk.TokenRecord{JTI: newJTI(b), UserID: strconv.Itoa(i % 1000), TokenType: "refresh", ExpiresAt: exp}
	}
	return recs
}

func BenchmarkBlacklist(b *testing.B) {
	s, _ := benchStore(b)
	recs := benchRecords(b, b.N)
	ctx := context.Background()
	var i atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Blacklist(ctx, recs[i.Add(1)-1]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkIsBlacklisted(b *testing.B) {
	s, _ := benchStore(b)
	ctx := context.Background()
	r := benchRecords(b, 1)[0]
	if _, err := s.Blacklist(ctx, r); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, err := s.IsBlacklisted(ctx, r.JTI); err != nil || !ok {
				b.Errorf("IsBlacklisted = %v, %v", ok, err)
				return
			}
		}
	})
}

func BenchmarkAddOutstanding(b *testing.B) {
	s, _ := benchStore(b)
	recs := benchRecords(b, b.N)
	ctx := context.Background()
	var i atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.AddOutstanding(ctx, recs[i.Add(1)-1]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// memoryEntries is how many tokens BenchmarkMemoryPerJTI writes.
const memoryEntries = 100_000

// BenchmarkMemoryPerJTI measures Redis memory per token: INFO memory
// used_memory before and after blacklisting 100,000 jtis (as Simple JWT's
// uuid4().hex), and again after recording them as outstanding for 1,000
// users. It reports bytes/jti metrics; b.N does not matter (run it with
// -benchtime=1x). Skipped under -short.
func BenchmarkMemoryPerJTI(b *testing.B) {
	if testing.Short() {
		b.Skip("writes 100,000 entries")
	}
	s, raw := benchStore(b)
	ctx := context.Background()
	recs := benchRecords(b, memoryEntries)
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		if err := raw.FlushAll(ctx).Err(); err != nil {
			b.Fatal(err)
		}
		base := usedMemory(b, raw)
		writeAll(b, recs, func(r sdk.TokenRecord) error { _, err := s.Blacklist(ctx, r); return err })
		afterBL := usedMemory(b, raw)
		writeAll(b, recs, func(r sdk.TokenRecord) error { return s.AddOutstanding(ctx, r) })
		afterOut := usedMemory(b, raw)
		b.ReportMetric(float64(afterBL-base)/memoryEntries, "blacklist-bytes/jti")
		b.ReportMetric(float64(afterOut-afterBL)/memoryEntries, "outstanding-bytes/jti")
	}
	if os.Getenv("JWTD_BENCH_VERBOSE") != "" {
		b.Logf("%d entries written", memoryEntries)
	}
}

// writeAll calls fn for every record from 32 goroutines.
func writeAll(b *testing.B, recs []sdk.TokenRecord, fn func(sdk.TokenRecord) error) {
	b.Helper()
	next := atomic.Int64{}
	done := make(chan error, 32)
	for w := 0; w < 32; w++ {
		go func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(len(recs)) {
					done <- nil
					return
				}
				if err := fn(recs[i]); err != nil {
					done <- err
					return
				}
			}
		}()
	}
	for w := 0; w < 32; w++ {
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}
}

// usedMemory reads used_memory from INFO memory.
func usedMemory(b *testing.B, raw goredis.UniversalClient) int64 {
	b.Helper()
	info, err := raw.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatal("no used_memory in INFO memory")
	return 0
}
