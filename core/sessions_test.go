package core_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/sdk"
)

// sessionEnv is an env with sessions, rotation and blacklisting after
// rotation on, recording the reuse hook's reports.
type sessionEnv struct {
	*env
	mu     sync.Mutex
	reuses []core.Reuse
}

func newSessionEnv(t *testing.T, tweak func(*core.Settings)) *sessionEnv {
	t.Helper()
	s := hsSettings(t)
	s.Sessions = true
	s.RotateRefreshTokens = true
	s.BlacklistAfterRotation = true
	s.AuthTokenClasses = []string{core.TypeAccess, core.TypeSliding}
	if tweak != nil {
		tweak(&s)
	}
	se := &sessionEnv{}
	hook := core.WithReuseHook(func(_ context.Context, r core.Reuse) {
		se.mu.Lock()
		se.reuses = append(se.reuses, r)
		se.mu.Unlock()
	})
	se.env = newEnv(t, s, envOpt{opts: []core.Option{hook}})
	return se
}

func (se *sessionEnv) reuseCount() (all, revoked int) {
	se.mu.Lock()
	defer se.mu.Unlock()
	for _, r := range se.reuses {
		all++
		if r.Revoked {
			revoked++
		}
	}
	return all, revoked
}

func (se *sessionEnv) login(t *testing.T) core.Issued {
	t.Helper()
	ctx := core.WithSessionClient(context.Background(), core.SessionClient{Addr: "198.51.100.4", UserAgent: "test-agent"})
	out, err := se.svc.Obtain(ctx, creds("alice", "pw"))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (se *sessionEnv) refresh(t *testing.T, tok string) core.Issued {
	t.Helper()
	out, err := se.svc.Refresh(context.Background(), tok)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	return out
}

func (se *sessionEnv) liveSessions(t *testing.T) int {
	t.Helper()
	list, err := se.svc.Sessions(context.Background(), "1")
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

// TestSessionTransitions walks every transition of a token family.
func TestSessionTransitions(t *testing.T) {
	ctx := context.Background()
	blacklisted := func(t *testing.T, err error) {
		t.Helper()
		if !errors.Is(err, core.ErrTokenBlacklisted) {
			t.Fatalf("err = %v; want %q", err, core.ErrTokenBlacklisted.Detail)
		}
	}
	cases := []struct {
		name  string
		tweak func(*core.Settings)
		run   func(t *testing.T, se *sessionEnv)
	}{
		{"login starts a session with sid and auth_time", nil, func(t *testing.T, se *sessionEnv) {
			p := se.login(t)
			rc, ac := claimsOf(t, p.Refresh), claimsOf(t, p.Access)
			sid, _ := rc["sid"].(string)
			if sid == "" || ac["sid"] != sid || num(t, rc["auth_time"]) != testNow || num(t, ac["auth_time"]) != testNow {
				t.Fatalf("claims: refresh %v, access %v; want sid and auth_time on both", rc, ac)
			}
			list, _ := se.svc.Sessions(ctx, "1")
			if len(list) != 1 || list[0].ID != sid || list[0].ClientAddr != "198.51.100.4" || list[0].UserAgent != "test-agent" {
				t.Fatalf("sessions = %+v", list)
			}
		}},
		{"rotate keeps sid and auth_time", nil, func(t *testing.T, se *sessionEnv) {
			p := se.login(t)
			se.clk.Advance(time.Minute)
			n := se.refresh(t, p.Refresh)
			old, nw := claimsOf(t, p.Refresh), claimsOf(t, n.Refresh)
			if nw["sid"] != old["sid"] || num(t, nw["auth_time"]) != testNow || nw["jti"] == old["jti"] || num(t, nw["iat"]) != testNow+60 {
				t.Fatalf("rotated claims %v from %v", nw, old)
			}
			if err := se.svc.Verify(ctx, p.Refresh); !errors.Is(err, core.ErrBlacklistedOnVerify) {
				t.Fatalf("verify of the rotated parent = %v; want blacklisted", err)
			}
			se.refresh(t, n.Refresh)
		}},
		{"replay inside the reuse interval gets the same child", nil, func(t *testing.T, se *sessionEnv) {
			p := se.login(t)
			first := se.refresh(t, p.Refresh)
			se.clk.Advance(3 * time.Second)
			again := se.refresh(t, p.Refresh)
			if again.Refresh != first.Refresh {
				t.Fatalf("replay within the interval issued another refresh token:\n%v\n%v", claimsOf(t, again.Refresh), claimsOf(t, first.Refresh))
			}
			if again.Access == "" || again.Access == first.Access {
				t.Fatal("replay within the interval: want a fresh access token")
			}
			if all, _ := se.reuseCount(); all != 0 || se.liveSessions(t) != 1 {
				t.Fatalf("replay within the interval revoked: reuses %d, live %d", all, se.liveSessions(t))
			}
			se.refresh(t, first.Refresh) // the child still rotates, once
		}},
		{"replay outside the reuse interval revokes the session", nil, func(t *testing.T, se *sessionEnv) {
			p := se.login(t)
			child := se.refresh(t, p.Refresh)
			se.clk.Advance(11 * time.Second)
			_, err := se.svc.Refresh(ctx, p.Refresh)
			blacklisted(t, err)
			_, err = se.svc.Refresh(ctx, child.Refresh)
			blacklisted(t, err)
			if all, revoked := se.reuseCount(); all != 1 || revoked != 1 {
				t.Fatalf("reuse hook: %d reports, %d revoking; want 1, 1", all, revoked)
			}
			if se.reuses[0].UserID != "1" || se.reuses[0].SessionID != claimsOf(t, p.Refresh)["sid"] {
				t.Fatalf("reuse report %+v", se.reuses[0])
			}
			if se.liveSessions(t) != 0 {
				t.Fatal("session still listed")
			}
		}},
		{"reuse interval 0s revokes at once", func(s *core.Settings) { s.ReuseInterval = 0 }, func(t *testing.T, se *sessionEnv) {
			p := se.login(t)
			se.refresh(t, p.Refresh)
			_, err := se.svc.Refresh(ctx, p.Refresh)
			blacklisted(t, err)
			if _, revoked := se.reuseCount(); revoked != 1 {
				t.Fatal("no revocation with the interval off")
			}
		}},
		{"replay after logout", nil, func(t *testing.T, se *sessionEnv) {
			p := se.login(t)
			child := se.refresh(t, p.Refresh)
			if err := se.svc.Logout(ctx, child.Refresh); err != nil {
				t.Fatal(err)
			}
			_, err := se.svc.Refresh(ctx, child.Refresh)
			blacklisted(t, err)
			_, err = se.svc.Refresh(ctx, p.Refresh) // within the interval, but the session is gone
			blacklisted(t, err)
			blacklisted(t, se.svc.Logout(ctx, child.Refresh))
		}},
		{"replay of the grandparent revokes even inside the interval", nil, func(t *testing.T, se *sessionEnv) {
			p := se.login(t)
			c1 := se.refresh(t, p.Refresh)
			c2 := se.refresh(t, c1.Refresh)
			se.clk.Advance(time.Second)
			_, err := se.svc.Refresh(ctx, p.Refresh)
			blacklisted(t, err)
			_, err = se.svc.Refresh(ctx, c2.Refresh)
			blacklisted(t, err)
		}},
		{"sliding token replay", nil, func(t *testing.T, se *sessionEnv) {
			s1, err := se.svc.ObtainSliding(ctx, creds("alice", "pw"))
			if err != nil {
				t.Fatal(err)
			}
			se.clk.Advance(time.Minute)
			s2, err := se.svc.RefreshSliding(ctx, s1.Token)
			if err != nil {
				t.Fatal(err)
			}
			c1, c2 := claimsOf(t, s1.Token), claimsOf(t, s2.Token)
			if c2["sid"] != c1["sid"] || c2["jti"] == c1["jti"] || num(t, c2["auth_time"]) != testNow {
				t.Fatalf("sliding rotation %v from %v", c2, c1)
			}
			if _, _, err := se.svc.Authenticate(ctx, "Bearer "+s2.Token); err != nil {
				t.Fatal(err)
			}
			se.clk.Advance(time.Minute)
			_, err = se.svc.RefreshSliding(ctx, s1.Token)
			blacklisted(t, err)
			if _, _, err := se.svc.Authenticate(ctx, "Bearer "+s2.Token); !errors.Is(err, core.ErrNoValidTokenType) {
				t.Fatalf("authenticate with the revoked session's sliding token = %v; want refused", err)
			}
		}},
		{"absolute expiry reached", func(s *core.Settings) { s.SessionAbsoluteLifetime = time.Hour }, func(t *testing.T, se *sessionEnv) {
			p := se.login(t)
			if exp := num(t, claimsOf(t, p.Refresh)["exp"]); exp != testNow+3600 {
				t.Fatalf("refresh exp %d; want clamped to auth_time+1h", exp)
			}
			se.clk.Advance(50 * time.Minute)
			n := se.refresh(t, p.Refresh)
			c := claimsOf(t, n.Refresh)
			if num(t, c["exp"]) != testNow+3600 || num(t, c["auth_time"]) != testNow || num(t, claimsOf(t, n.Access)["exp"]) > testNow+3600 {
				t.Fatalf("rotated past the session's end: %v", c)
			}
			se.clk.Advance(11 * time.Minute)
			if _, err := se.svc.Refresh(ctx, n.Refresh); !errors.Is(err, core.ErrTokenExpired) {
				t.Fatalf("refresh after the absolute lifetime = %v; want expired", err)
			}
		}},
		{"revoke-all, old access token without access revocation", nil, func(t *testing.T, se *sessionEnv) {
			p := se.login(t)
			if n, err := se.svc.RevokeUser(ctx, "1"); err != nil || n != 1 {
				t.Fatalf("RevokeUser = %d, %v", n, err)
			}
			if _, _, err := se.svc.Authenticate(ctx, "Bearer "+p.Access); err != nil {
				t.Fatalf("access token refused without revoke_access_tokens: %v", err)
			}
			_, err := se.svc.Refresh(ctx, p.Refresh)
			blacklisted(t, err)
		}},
		{"revoke-all, old access token with access revocation", func(s *core.Settings) { s.RevokeAccessTokens = true }, func(t *testing.T, se *sessionEnv) {
			p := se.login(t)
			if _, _, err := se.svc.Authenticate(ctx, "Bearer "+p.Access); err != nil {
				t.Fatal(err)
			}
			se.clk.Advance(1500 * time.Millisecond)
			if _, err := se.svc.RevokeUser(ctx, "1"); err != nil {
				t.Fatal(err)
			}
			if _, _, err := se.svc.Authenticate(ctx, "Bearer "+p.Access); !errors.Is(err, core.ErrNoValidTokenType) {
				t.Fatalf("authenticate after revoke-all = %v; want refused", err)
			}
			if err := se.svc.Verify(ctx, p.Access); !errors.Is(err, core.ErrBlacklistedOnVerify) {
				t.Fatalf("verify after revoke-all = %v; want blacklisted", err)
			}
			se.clk.Advance(time.Second)
			again := se.login(t)
			if _, _, err := se.svc.Authenticate(ctx, "Bearer "+again.Access); err != nil {
				t.Fatalf("a login after revoke-all is refused: %v", err)
			}
		}},
		{"end one session with access revocation", func(s *core.Settings) { s.RevokeAccessTokens = true }, func(t *testing.T, se *sessionEnv) {
			a, b := se.login(t), se.login(t)
			sid := claimsOf(t, a.Refresh)["sid"].(string)
			if err := se.svc.EndSession(ctx, "2", sid); !errors.Is(err, core.ErrSessionNotFound) {
				t.Fatalf("ending another user's session = %v; want not found", err)
			}
			if err := se.svc.EndSession(ctx, "1", sid); err != nil {
				t.Fatal(err)
			}
			if _, _, err := se.svc.Authenticate(ctx, "Bearer "+a.Access); err == nil {
				t.Fatal("access token of an ended session accepted")
			}
			if _, _, err := se.svc.Authenticate(ctx, "Bearer "+b.Access); err != nil {
				t.Fatalf("the other session's access token refused: %v", err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, newSessionEnv(t, c.tweak)) })
	}
}

// TestConcurrentReplaysRevokeOnce: 20 replays of a rotated token at once
// revoke the session exactly once.
func TestConcurrentReplaysRevokeOnce(t *testing.T) {
	se := newSessionEnv(t, func(s *core.Settings) { s.ReuseInterval = 0 })
	p := se.login(t)
	se.refresh(t, p.Refresh)
	var ok atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := se.svc.Refresh(context.Background(), p.Refresh); err == nil {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	all, revoked := se.reuseCount()
	// Replays that reach the store after the revocation are refused as
	// tokens of a revoked session, without a report.
	if ok.Load() != 0 || all < 1 || revoked != 1 {
		t.Fatalf("%d replays succeeded, %d reports, %d revoking; want 0, >=1, 1", ok.Load(), all, revoked)
	}
}

// noSessions is a blacklist store without the sdk.SessionStore capability.
type noSessions struct{ sdk.BlacklistStore }

func TestSessionsNeedTheCapability(t *testing.T) {
	e := newEnv(t, hsSettings(t), envOpt{})
	s := hsSettings(t)
	s.Sessions = true
	_, err := core.New(s, core.Plugins{Users: e.users, Blacklist: noSessions{e.bl}})
	var se *core.SettingError
	if !errors.As(err, &se) || se.Setting != "sessions" {
		t.Fatalf("New with a store without sessions = %v; want a sessions SettingError", err)
	}
	s.Sessions, s.RevokeAccessTokens = false, true
	if _, err := core.New(s, core.Plugins{Users: e.users, Blacklist: e.bl}); !errors.As(err, &se) || se.Setting != "revoke_access_tokens" {
		t.Fatalf("revoke_access_tokens without sessions = %v; want refused", err)
	}
}
