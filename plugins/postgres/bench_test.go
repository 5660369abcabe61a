package postgres_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/pgtest"
	"github.com/jwtd/jwtd/sdk"
)

// Store calls against a local PostgreSQL: the lookup behind authenticate
// and the blacklist write behind a rotation, in parallel.
func BenchmarkStoreCalls(b *testing.B) {
	srv := pgtest.Start(b)
	dsn := newDB(b, srv, false)
	ctx := context.Background()
	users := openUsers(b, userConfig(dsn, false))
	u, err := users.(sdk.UserAdmin).CreateUser(ctx, sdk.NewUser{Username: "bench", Password: "pw", IsActive: true})
	if err != nil {
		b.Fatal(err)
	}
	bl := openBlacklist(b, sdk.Config{"dsn": dsn, "sweep_interval": "0"})
	b.Run("LookupUser", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := users.LookupUser(ctx, "id", u.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("Blacklist", func(b *testing.B) {
		exp := time.Now().Add(time.Hour)
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				jti := fmt.Sprintf("b-%d", n.Add(1))
				if _, err := bl.Blacklist(ctx, sdk.TokenRecord{JTI: jti, UserID: u.ID, TokenType: "refresh", ExpiresAt: exp}); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("IsBlacklisted", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := bl.IsBlacklisted(ctx, "absent"); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
