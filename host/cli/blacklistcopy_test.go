package cli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/jwtdtest"
	"github.com/jwtd/jwtd/internal/redistest"
	"github.com/jwtd/jwtd/plugins/redis"
	"github.com/jwtd/jwtd/plugins/sqlite"
	"github.com/jwtd/jwtd/sdk"
)

// copyConfig is a jwtd config on the SQLite user store with the given
// blacklist section.
func copyConfig(t *testing.T, dir, name, blacklist string) string {
	t.Helper()
	text := `
[tokens]
signing_key = "file:jwtd.key"

` + jwtdtest.SQLiteUserStore("users.db") + "\n" + blacklist
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func redisSection(addr string) string {
	return fmt.Sprintf("[plugins.blacklist_store]\nuse = \"redis\"\n[plugins.blacklist_store.config]\naddrs = [%q]\ndial_timeout = \"300ms\"\nread_timeout = \"300ms\"\n", addr)
}

func TestBlacklistCopySQLiteToRedis(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	srv := redistest.Start(t)
	from := copyConfig(t, dir, "jwtd.toml", "[plugins.blacklist_store]\nuse = \"sqlite\"\n[plugins.blacklist_store.config]\npath = \"blacklist.db\"\n")
	to := copyConfig(t, dir, "jwtd-redis.toml", redisSection(srv.Addr))

	// The SQLite blacklist as a running deployment left it.
	now := time.Now()
	rec := func(jti, user string, ttl time.Duration) sdk.TokenRecord {
		return sdk.TokenRecord{JTI: jti, UserID: user, TokenType: "refresh", IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(ttl).Truncate(time.Second)}
	}
	live1, live2 := rec("live-1", "1", time.Hour), rec("live-2", "2", time.Hour)
	revoked := rec("revoked", "1", 2*time.Hour)
	oldOut, oldRevoked := rec("old-out", "1", -time.Hour), rec("old-revoked", "1", -time.Hour)
	src, err := sqlite.OpenBlacklistStore(ctx, sdk.Config{"path": filepath.Join(dir, "blacklist.db")})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []sdk.TokenRecord{live1, live2, revoked, oldOut} {
		if err := src.AddOutstanding(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []sdk.TokenRecord{revoked, oldRevoked} {
		if _, err := src.Blacklist(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	src.Close()

	code, out, errOut := run(t, "", "blacklist", "copy", "--config", from, "--to", to)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(out, "copied 3 outstanding and 1 blacklisted token(s) (0 already blacklisted there) from sqlite") {
		t.Fatalf("stdout %q", out)
	}

	dst, err := redis.New(ctx, sdk.Config{"addrs": []any{srv.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	for _, c := range []struct {
		name string
		jti  string
		want bool
	}{
		{"live blacklisted token", revoked.JTI, true},
		{"expired blacklisted token is not copied", oldRevoked.JTI, false},
		{"outstanding token is not blacklisted", live1.JTI, false},
	} {
		if got, err := dst.IsBlacklisted(ctx, c.jti); err != nil || got != c.want {
			t.Errorf("%s: IsBlacklisted = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	// The outstanding tokens arrived per user: revoking user 1 finds live-1
	// (revoked is blacklisted already; old-out had expired).
	if n, err := dst.RevokeUser(ctx, "1", time.Now()); err != nil || n != 1 {
		t.Fatalf("RevokeUser(1) after the copy = %d, %v; want 1", n, err)
	}
	if ok, _ := dst.IsBlacklisted(ctx, live2.JTI); ok {
		t.Fatal("user 2's token was revoked with user 1's")
	}

	// Running it again is safe and says what was there already.
	code, out, errOut = run(t, "", "blacklist", "copy", "--config", from, "--to", to)
	if code != 0 || !strings.Contains(out, "copied 3 outstanding and 0 blacklisted token(s) (1 already blacklisted there)") {
		t.Fatalf("second run: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestBlacklistCopyErrors(t *testing.T) {
	dir := t.TempDir()
	srv := redistest.Start(t)
	sqliteCfg := copyConfig(t, dir, "jwtd.toml", "[plugins.blacklist_store]\nuse = \"sqlite\"\n[plugins.blacklist_store.config]\npath = \"blacklist.db\"\n")
	redisCfg := copyConfig(t, dir, "jwtd-redis.toml", redisSection(srv.Addr))
	downCfg := copyConfig(t, dir, "jwtd-down.toml", redisSection("127.0.0.1:1"))
	noBlacklist := copyConfig(t, dir, "jwtd-none.toml", "")

	// One live entry, so that a dead destination is noticed.
	src, err := sqlite.OpenBlacklistStore(context.Background(), sdk.Config{"path": filepath.Join(dir, "blacklist.db")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Blacklist(context.Background(), sdk.TokenRecord{JTI: "x", UserID: "1", ExpiresAt: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	src.Close()

	cases := []struct {
		name    string
		args    []string
		code    int
		wantErr string
	}{
		{"--to missing", []string{"--config", sqliteCfg}, 2, "--to FILE is required"},
		{"same file", []string{"--config", sqliteCfg, "--to", sqliteCfg}, 2, "same config file"},
		{"source cannot export", []string{"--config", redisCfg, "--to", sqliteCfg}, 1, "cannot list its entries"},
		{"destination without blacklist", []string{"--config", sqliteCfg, "--to", noBlacklist}, 1, "no [plugins.blacklist_store] to copy to"},
		{"destination down", []string{"--config", sqliteCfg, "--to", downCfg}, 1, "safe to run again"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := run(t, "", append([]string{"blacklist", "copy"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errOut, tc.wantErr) {
				t.Fatalf("exit %d, stderr %q; want exit %d and %q", code, errOut, tc.code, tc.wantErr)
			}
			// Plugin logs may come first; the error is the last line.
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if last := lines[len(lines)-1]; !strings.Contains(last, tc.wantErr) {
				t.Fatalf("last stderr line %q lacks %q", last, tc.wantErr)
			}
		})
	}
}
