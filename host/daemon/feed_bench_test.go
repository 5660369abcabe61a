package daemon_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/host/config"
	"github.com/jwtd/jwtd/host/usercache"
	"github.com/jwtd/jwtd/sdk"
)

// BenchmarkFeed: verify of a refresh token (a blacklist question) and
// authenticate (a user lookup) through the core, with the SQLite stores
// out of process, with the change feeds on (memory answers) and off (a
// plugin call each, batched under parallel load).
//
//	go test ./host/daemon -run '^$' -bench Feed -benchtime 200ms
func BenchmarkFeed(b *testing.B) {
	for _, feed := range []bool{true, false} {
		db := filepath.Join(b.TempDir(), "jwtd.db")
		text := feedConfig(b, true, db, fmt.Sprintf("path = %q\n", db))
		if !feed {
			text = strings.ReplaceAll(text, "feed_max_lag = \"100ms\"\n", "change_feed = false\n")
		}
		st := buildStack(b, text, nil)
		ctx := context.Background()
		admin, _ := sdk.As[sdk.UserAdmin](st.Users)
		user, err := admin.CreateUser(ctx, sdk.NewUser{Username: "bench", Password: "pw", IsActive: true})
		if err != nil {
			b.Fatal(err)
		}
		pair, err := st.Service.IssueFor(ctx, user)
		if err != nil {
			b.Fatal(err)
		}
		if feed {
			watcher(b, st, config.KindBlacklistStore)
			watcher(b, st, config.KindUserStore)
		}
		name := map[bool]string{true: "feed on", false: "feed off"}[feed]
		b.Run(name+"/verify refresh", func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := st.Service.Verify(ctx, pair.Refresh); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
		b.Run(name+"/authenticate", func(b *testing.B) {
			actx := usercache.Cacheable(ctx)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, _, err := st.Service.Authenticate(actx, "Bearer "+pair.Access); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
