package core_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
)

// TestErrorWireValues: every error's detail and code, as docs/http-api.md and Simple
// JWT 5.5 word them.
func TestErrorWireValues(t *testing.T) {
	cases := []struct {
		name         string
		err          *core.Error
		kind         core.Kind
		detail, code string
	}{
		{"invalid", core.ErrTokenInvalid, core.KindTokenNotValid, "Token is invalid", "token_not_valid"},
		{"expired", core.ErrTokenExpired, core.KindTokenNotValid, "Token is expired", "token_not_valid"},
		{"wrong type", core.ErrTokenWrongType, core.KindTokenNotValid, "Token has wrong type", "token_not_valid"},
		{"no id", core.ErrTokenNoID, core.KindTokenNotValid, "Token has no id", "token_not_valid"},
		{"no type", core.ErrTokenNoType, core.KindTokenNotValid, "Token has no type", "token_not_valid"},
		{"no exp", core.ErrTokenNoExp, core.KindTokenNotValid, "Token has no 'exp' claim", "token_not_valid"},
		{"blacklisted", core.ErrTokenBlacklisted, core.KindTokenNotValid, "Token is blacklisted", "token_not_valid"},
		{"refresh_exp", core.RefreshExpiredError("refresh_exp"), core.KindTokenNotValid, "Token 'refresh_exp' claim has expired", "token_not_valid"},
		{"no valid type", core.ErrNoValidTokenType, core.KindTokenNotValid, "Given token not valid for any token type", "token_not_valid"},
		{"no user claim", core.ErrNoUserClaim, core.KindTokenNotValid, "Token contained no recognizable user identification", "token_not_valid"},
		{"no active account", core.ErrNoActiveAccount, core.KindAuthenticationFailed, "No active account found with the given credentials", ""},
		{"no active account for token", core.ErrNoActiveAccountForToken, core.KindAuthenticationFailed, "No active account found for the given token.", ""},
		{"password changed on refresh", core.ErrPasswordChangedOnRefresh, core.KindAuthenticationFailed, "The user's password has been changed.", ""},
		{"password changed", core.ErrPasswordChanged, core.KindAuthenticationFailed, "The user's password has been changed.", "password_changed"},
		{"user not found", core.ErrUserNotFound, core.KindAuthenticationFailed, "User not found", "user_not_found"},
		{"user inactive", core.ErrUserInactive, core.KindAuthenticationFailed, "User is inactive", "user_inactive"},
		{"bad header", core.ErrBadAuthHeader, core.KindAuthenticationFailed, "Authorization header must contain two space-delimited values", "bad_authorization_header"},
		{"not authenticated", core.ErrNotAuthenticated, core.KindNotAuthenticated, "Authentication credentials were not provided.", ""},
		{"blacklisted on verify", core.ErrBlacklistedOnVerify, core.KindInvalidInput, "Token is blacklisted", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.err.Kind != c.kind || c.err.Detail != c.detail || c.err.Code != c.code {
				t.Fatalf("got %d %q %q", c.err.Kind, c.err.Detail, c.err.Code)
			}
			wrapped := c.err.With(errors.New("cause"))
			if !errors.Is(wrapped, c.err) {
				t.Fatal("a copy with a cause no longer matches its sentinel")
			}
		})
	}
	if errors.Is(core.ErrTokenExpired, core.ErrTokenInvalid) {
		t.Fatal("distinct details match")
	}
	if !errors.Is(core.ErrTokenExpired, core.ErrTokenNotValid) || errors.Is(core.ErrUserInactive, core.ErrTokenNotValid) {
		t.Fatal("category matching broken")
	}
}

// flakyBlacklist is the in-memory store behind a switch that makes it fail,
// to prove that every operation needing the store fails closed.
type flakyBlacklist struct {
	*memory.BlacklistStore
	down bool
}

var errDown = errors.New("store down")

func (f *flakyBlacklist) AddOutstanding(ctx context.Context, r sdk.TokenRecord) error {
	if f.down {
		return errDown
	}
	return f.BlacklistStore.AddOutstanding(ctx, r)
}

func (f *flakyBlacklist) Blacklist(ctx context.Context, r sdk.TokenRecord) (bool, error) {
	if f.down {
		return false, errDown
	}
	return f.BlacklistStore.Blacklist(ctx, r)
}

func (f *flakyBlacklist) IsBlacklisted(ctx context.Context, jti string) (bool, error) {
	if f.down {
		return false, errDown
	}
	return f.BlacklistStore.IsBlacklisted(ctx, jti)
}

func (f *flakyBlacklist) FlushExpired(ctx context.Context, now time.Time) (int, error) {
	if f.down {
		return 0, errDown
	}
	return f.BlacklistStore.FlushExpired(ctx, now)
}

func TestBlacklistStoreDownFailsClosed(t *testing.T) {
	ctx := context.Background()
	users := memory.NewUserStore()
	alice, _ := users.CreateUser(ctx, sdk.NewUser{Username: "alice", Password: "pw", IsActive: true})
	bl := &flakyBlacklist{BlacklistStore: memory.NewBlacklistStore()}
	s := hsSettings(t)
	s.RotateRefreshTokens, s.BlacklistAfterRotation = true, true
	s.AuthTokenClasses = []string{"sliding"}
	svc, err := core.New(s, core.Plugins{Users: users, Blacklist: bl})
	if err != nil {
		t.Fatal(err)
	}
	pair, _ := svc.IssueFor(ctx, alice)
	sl, _ := svc.IssueSlidingFor(ctx, alice)
	bl.down = true
	ops := map[string]func() error{
		"obtain":         func() error { _, err := svc.Obtain(ctx, creds("alice", "pw")); return err },
		"refresh":        func() error { _, err := svc.Refresh(ctx, pair.Refresh); return err },
		"verify":         func() error { return svc.Verify(ctx, pair.Refresh) },
		"blacklist":      func() error { return svc.Blacklist(ctx, pair.Refresh) },
		"sliding":        func() error { _, err := svc.RefreshSliding(ctx, sl.Token); return err },
		"authenticate":   func() error { _, _, err := svc.Authenticate(ctx, "Bearer "+sl.Token); return err },
		"flush expired":  func() error { _, err := svc.FlushExpired(ctx); return err },
		"issue for user": func() error { _, err := svc.IssueFor(ctx, alice); return err },
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			err := op()
			mustIs(t, err, core.ErrUnavailable)
			if !errors.Is(err, errDown) {
				t.Fatalf("cause lost: %v", err)
			}
		})
	}
	bl.down = false
	if _, err := svc.Refresh(ctx, pair.Refresh); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

// countingBlacklist is the in-memory store counting IsBlacklisted calls.
type countingBlacklist struct {
	flakyBlacklist
	lookups atomic.Int64
}

func (c *countingBlacklist) IsBlacklisted(ctx context.Context, jti string) (bool, error) {
	c.lookups.Add(1)
	return c.flakyBlacklist.IsBlacklisted(ctx, jti)
}

// TestAccessTokensAskNoBlacklist: access tokens are never blacklisted, so
// verify and authenticate of one ask the blacklist store nothing: they
// answer while it is down, and make no call while it is up. Refresh and
// sliding tokens still ask it (and fail closed), whatever the auth classes'
// order.
func TestAccessTokensAskNoBlacklist(t *testing.T) {
	ctx := context.Background()
	for _, classes := range [][]string{{"access"}, {"sliding", "access"}, {"access", "sliding"}} {
		t.Run(strings.Join(classes, ","), func(t *testing.T) {
			users := memory.NewUserStore()
			alice, _ := users.CreateUser(ctx, sdk.NewUser{Username: "alice", Password: "pw", IsActive: true})
			bl := &countingBlacklist{flakyBlacklist: flakyBlacklist{BlacklistStore: memory.NewBlacklistStore()}}
			s := hsSettings(t)
			s.AuthTokenClasses = classes
			svc, err := core.New(s, core.Plugins{Users: users, Blacklist: bl})
			if err != nil {
				t.Fatal(err)
			}
			pair, _ := svc.IssueFor(ctx, alice)
			sl, _ := svc.IssueSlidingFor(ctx, alice)
			for _, down := range []bool{false, true} {
				bl.down = down
				before := bl.lookups.Load()
				if err := svc.Verify(ctx, pair.Access); err != nil {
					t.Fatalf("down=%v: verify access: %v", down, err)
				}
				if _, _, err := svc.Authenticate(ctx, "Bearer "+pair.Access); err != nil {
					t.Fatalf("down=%v: authenticate access: %v", down, err)
				}
				if _, _, err := svc.AuthenticateStateless(ctx, "Bearer "+pair.Access); err != nil {
					t.Fatalf("down=%v: stateless access: %v", down, err)
				}
				if n := bl.lookups.Load() - before; n != 0 {
					t.Fatalf("down=%v: %d blacklist lookups for an access token", down, n)
				}
				err := svc.Verify(ctx, pair.Refresh)
				if down {
					mustIs(t, err, core.ErrUnavailable)
				} else if err != nil {
					t.Fatalf("verify refresh: %v", err)
				}
				if slices.Contains(classes, "sliding") {
					_, _, err := svc.Authenticate(ctx, "Bearer "+sl.Token)
					if down {
						mustIs(t, err, core.ErrUnavailable)
					} else if err != nil {
						t.Fatalf("authenticate sliding: %v", err)
					}
				}
				if bl.lookups.Load() == before {
					t.Fatalf("down=%v: refresh and sliding tokens asked the store nothing", down)
				}
			}
		})
	}
}

// meetingBlacklist is the in-memory store whose Blacklist answers only once
// AddOutstanding has been called too (or after a timeout, as a failure).
type meetingBlacklist struct {
	*memory.BlacklistStore
	outstanding chan struct{}
}

func (m *meetingBlacklist) AddOutstanding(ctx context.Context, r sdk.TokenRecord) error {
	select {
	case m.outstanding <- struct{}{}:
	default:
	}
	return m.BlacklistStore.AddOutstanding(ctx, r)
}

var errNotTogether = errors.New("AddOutstanding was not in flight beside Blacklist")

func (m *meetingBlacklist) Blacklist(ctx context.Context, r sdk.TokenRecord) (bool, error) {
	select {
	case <-m.outstanding:
	case <-time.After(5 * time.Second):
		return false, errNotTogether
	}
	return m.BlacklistStore.Blacklist(ctx, r)
}

// TestRotationWritesTogether: a rotating refresh hands the store its two
// writes (consume the old token, record the new one) at once, so that a
// group-committing store commits them together and an out-of-process one
// serves them in one round trip's time. The new token is recorded, and
// usable; the old one is consumed.
func TestRotationWritesTogether(t *testing.T) {
	ctx := context.Background()
	users := memory.NewUserStore()
	alice, _ := users.CreateUser(ctx, sdk.NewUser{Username: "alice", Password: "pw", IsActive: true})
	bl := &meetingBlacklist{BlacklistStore: memory.NewBlacklistStore(), outstanding: make(chan struct{}, 1)}
	s := hsSettings(t)
	s.RotateRefreshTokens, s.BlacklistAfterRotation = true, true
	svc, err := core.New(s, core.Plugins{Users: users, Blacklist: bl})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := svc.IssueFor(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	<-bl.outstanding // the pair's own record
	next, err := svc.Refresh(ctx, pair.Refresh)
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if _, err := svc.Refresh(ctx, pair.Refresh); !errors.Is(err, core.ErrTokenBlacklisted) {
		t.Fatalf("old token again: %v", err)
	}
	jti, _ := claimsOf(t, next.Refresh)["jti"].(string)
	if _, found := bl.Outstanding(jti); !found {
		t.Fatal("the new refresh token was not recorded as outstanding")
	}
}
