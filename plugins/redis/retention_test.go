package redis_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/internal/redistest"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
)

// retentionCore is a core over a real Redis blacklist (store leeway left
// at its default, 0) with [tokens] leeway = 60 s and rotation on, and a
// function building the same core with its clock shifted.
func retentionCore(t *testing.T) (alice sdk.User, at func(time.Duration) *core.Service, raw target) {
	t.Helper()
	srv := redistest.Start(t)
	tg := target{addrs: []string{srv.Addr}, raw: rawClient(t, []string{srv.Addr})}
	store := tg.open(t)
	users := memory.NewUserStore()
	u, err := users.CreateUser(context.Background(), sdk.NewUser{Username: "alice", Password: "alice-password-1", IsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	set := core.DefaultSettings()
	set.SigningKey = "jwtd-redis-retention-test-secret-0123456789"
	set.RotateRefreshTokens, set.BlacklistAfterRotation = true, true
	set.Leeway = time.Minute
	at = func(shift time.Duration) *core.Service {
		svc, err := core.New(set, core.Plugins{Users: users, Blacklist: store},
			core.WithClock(func() time.Time { return time.Now().Add(shift) }))
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	return u, at, tg
}

// keyLife is how long Redis keeps the blacklist key of jti.
func keyLife(t *testing.T, tg target, jti string) time.Duration {
	t.Helper()
	d, err := tg.raw.PTTL(context.Background(), "jwtd:bl:"+jti).Result()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// replayWait outlives the store's shortest key life (minBlacklistTTL, 5 s),
// which is all a key got when its expiry ignored [tokens] leeway.
const replayWait = 5500 * time.Millisecond

// TestRedisRevokedRefreshStaysRevokedInLeeway: the core accepts a token
// until exp + [tokens] leeway, so its Redis blacklist key must live that
// long, with the store's own leeway at its default of 0. A revoked refresh
// token replayed just after exp must not yield a fresh one.
func TestRedisRevokedRefreshStaysRevokedInLeeway(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alice, at, tg := retentionCore(t)
	// Issued a day and two seconds ago: expired two seconds ago, accepted
	// for 58 more.
	pair, err := at(-(24*time.Hour + 2*time.Second)).IssueFor(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	svc := at(0)
	if err := svc.Blacklist(ctx, pair.Refresh); err != nil {
		t.Fatal(err)
	}
	var claims struct{ JTI string }
	decodePayload(t, pair.Refresh, &claims)
	if life := keyLife(t, tg, claims.JTI); life < 50*time.Second {
		t.Fatalf("blacklist key lives %s, want until exp + leeway (about 58 s)", life)
	}
	time.Sleep(replayWait)
	if _, err := svc.Refresh(ctx, pair.Refresh); !errors.Is(err, core.ErrTokenBlacklisted) {
		t.Fatalf("replay inside the leeway: %v, want Token is blacklisted", err)
	}
}

// TestRedisBlacklistedSlidingOutlivesFresherCopies: blacklisting one copy
// of a sliding token holds for every fresher copy (same jti, later exp),
// also after the blacklisted copy's own exp.
func TestRedisBlacklistedSlidingOutlivesFresherCopies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	alice, at, tg := retentionCore(t)
	// Issued 4 min 59 s ago: this copy expires in a second.
	old, err := at(-(5*time.Minute - time.Second)).IssueSlidingFor(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	svc := at(0)
	fresh, err := svc.RefreshSliding(ctx, old.Token)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.BlacklistAny(ctx, old.Token); err != nil {
		t.Fatal(err)
	}
	var claims struct{ JTI string }
	decodePayload(t, old.Token, &claims)
	if life := keyLife(t, tg, claims.JTI); life < 23*time.Hour {
		t.Fatalf("blacklist key lives %s, want until refresh_exp + sliding lifetime + leeway (about a day)", life)
	}
	time.Sleep(replayWait)
	if _, err := svc.RefreshSliding(ctx, fresh.Token); !errors.Is(err, core.ErrTokenBlacklisted) {
		t.Fatalf("sliding refresh of the fresher copy: %v, want Token is blacklisted", err)
	}
	if err := svc.Verify(ctx, fresh.Token); !errors.Is(err, core.ErrBlacklistedOnVerify) {
		t.Fatalf("verify of the fresher copy: %v, want Token is blacklisted", err)
	}
}

// decodePayload decodes a token's payload into v (the core verified it).
func decodePayload(t *testing.T, tok string, v any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err == nil {
		err = json.Unmarshal(raw, v)
	}
	if err != nil {
		t.Fatal(err)
	}
}
