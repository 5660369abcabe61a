package core_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/sdk"
)

// denyUser is an AuthRule refusing one username (and inactive users).
type denyUser string

func (d denyUser) Allow(ctx context.Context, u sdk.User) (bool, error) {
	return u.IsActive && u.Username != string(d), nil
}

// failingRule is an AuthRule whose backend is down.
type failingRule struct{}

func (failingRule) Allow(context.Context, sdk.User) (bool, error) {
	return false, errors.New("rule backend down")
}

// emailClaims is a ClaimSerializer adding the user's email to tokens and
// responses, and mapping it back for the stateless token user.
type emailClaims struct{ override string }

func (c emailClaims) TokenClaims(ctx context.Context, u sdk.User, typ string) (map[string]any, error) {
	m := map[string]any{"email": u.Attributes["email"], "kind": typ}
	if c.override != "" {
		m[c.override] = "forged"
	}
	return m, nil
}

func (c emailClaims) ResponseFields(ctx context.Context, u sdk.User) (map[string]any, error) {
	return map[string]any{"username": u.Username}, nil
}

func (c emailClaims) TokenUser(ctx context.Context, claims map[string]any) (map[string]any, error) {
	return map[string]any{"email": claims["email"], "id": "ignored"}, nil
}

var jtiRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

func num(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v (%T) is not a JSON number", v, v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("%v is not an integer", v)
	}
	return i
}

func creds(user, pw string) sdk.Credentials {
	return sdk.Credentials{"username": user, "password": pw}
}

// TestObtainClaims: every claim rule of an issued pair and sliding token.
func TestObtainClaims(t *testing.T) {
	ctx := context.Background()
	s := hsSettings(t)
	s.CheckRevokeToken = true
	e := newEnv(t, s, envOpt{claims: emailClaims{}})
	pair, err := e.svc.Obtain(ctx, creds("alice", "pw"))
	if err != nil {
		t.Fatal(err)
	}
	sl, err := e.svc.ObtainSliding(ctx, creds("alice", "pw"))
	if err != nil {
		t.Fatal(err)
	}
	r, a, sc := claimsOf(t, pair.Refresh), claimsOf(t, pair.Access), claimsOf(t, sl.Token)
	sum := md5.Sum([]byte(e.alice.PasswordHash))
	revoke := strings.ToUpper(hex.EncodeToString(sum[:]))
	cases := []struct {
		name      string
		got, want any
	}{
		{"refresh type", r["token_type"], "refresh"},
		{"access type", a["token_type"], "access"},
		{"sliding type", sc["token_type"], "sliding"},
		{"refresh exp = now + 24h", num(t, r["exp"]), int64(testNow + 86400)},
		{"access exp = now + 5m", num(t, a["exp"]), int64(testNow + 300)},
		{"sliding exp = now + 5m", num(t, sc["exp"]), int64(testNow + 300)},
		{"sliding refresh_exp = now + 24h", num(t, sc["refresh_exp"]), int64(testNow + 86400)},
		{"refresh has no refresh_exp", r["refresh_exp"], nil},
		{"refresh iat", num(t, r["iat"]), int64(testNow)},
		{"access iat", num(t, a["iat"]), int64(testNow)},
		{"refresh jti is uuid4 hex", jtiRE.MatchString(r["jti"].(string)), true},
		{"access jti is uuid4 hex", jtiRE.MatchString(a["jti"].(string)), true},
		{"uuid version 4", r["jti"].(string)[12:13], "4"},
		{"access jti fresh", a["jti"] != r["jti"], true},
		{"user id is a string", r["user_id"], "1"},
		{"access user id", a["user_id"], "1"},
		{"revoke claim md5 upper", r["hash_password"], revoke},
		{"access copies revoke claim", a["hash_password"], revoke},
		{"serializer claim on refresh", r["email"], "alice@example.com"},
		{"serializer claim copied to access", a["email"], "alice@example.com"},
		{"access keeps refresh's serializer type arg", a["kind"], "refresh"},
		{"sliding serializer claim", sc["kind"], "sliding"},
		{"no aud by default", r["aud"], nil},
		{"no iss by default", r["iss"], nil},
		{"response fields", pair.Extra["username"], "alice"},
		{"pair has no token", pair.Token, ""},
		{"sliding has no pair", sl.Access + sl.Refresh, ""},
		{"claim count access", len(a), 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Fatalf("got %v, want %v", c.got, c.want)
			}
		})
	}
}

// TestClaimSettings: configurable claim names, user id field, aud and iss.
func TestClaimSettings(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		mod   func(*core.Settings)
		claim string
		want  any
	}{
		{"token type claim", func(s *core.Settings) { s.TokenTypeClaim = "typ2" }, "typ2", "access"},
		{"jti claim", func(s *core.Settings) { s.JTIClaim = "tid" }, "tid", "*"},
		{"user id claim", func(s *core.Settings) { s.UserIDClaim = "uid" }, "uid", "1"},
		{"user id field username", func(s *core.Settings) { s.UserIDField = "username" }, "user_id", "alice"},
		{"user id field attribute", func(s *core.Settings) { s.UserIDField = "email" }, "user_id", "alice@example.com"},
		{"revoke claim name", func(s *core.Settings) { s.CheckRevokeToken = true; s.RevokeTokenClaim = "pw" }, "pw", "*"},
		{"single audience is a string", audience("api"), "aud", "api"},
		{"issuer", issuer("jwtd"), "iss", "jwtd"},
		{"access lifetime", func(s *core.Settings) { s.AccessTokenLifetime = time.Hour }, "exp", json.Number("1795482000")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := hsSettings(t)
			c.mod(&s)
			e := newEnv(t, s, envOpt{})
			pair, err := e.svc.Obtain(ctx, creds("alice", "pw"))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := claimsOf(t, pair.Access)[c.claim]
			if !ok || (c.want != "*" && got != c.want) {
				t.Fatalf("%s = %v, want %v", c.claim, got, c.want)
			}
			// The token works end to end under the same settings.
			if _, _, err := e.svc.Authenticate(ctx, "Bearer "+pair.Access); err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			if _, err := e.svc.Refresh(ctx, pair.Refresh); err != nil {
				t.Fatalf("Refresh: %v", err)
			}
		})
	}
	t.Run("audience list", func(t *testing.T) {
		s := hsSettings(t)
		s.Audience = []string{"a", "b"}
		e := newEnv(t, s, envOpt{})
		pair, _ := e.svc.Obtain(ctx, creds("alice", "pw"))
		if aud, _ := claimsOf(t, pair.Access)["aud"].([]any); len(aud) != 2 {
			t.Fatalf("aud %v", aud)
		}
		if err := e.svc.Verify(ctx, pair.Access); err != nil {
			t.Fatal(err)
		}
	})
}

// TestObtainErrors: obtain refuses bad credentials and refused users with
// Simple JWT's message, and fails closed when a plugin fails.
func TestObtainErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		opt   envOpt
		mod   func(*core.Settings)
		creds sdk.Credentials
		want  error
	}{
		{"wrong password", envOpt{}, nil, creds("alice", "nope"), core.ErrNoActiveAccount},
		{"unknown user", envOpt{}, nil, creds("zed", "pw"), core.ErrNoActiveAccount},
		{"inactive user", envOpt{}, nil, creds("bob", "pw"), core.ErrNoActiveAccount},
		{"rule refuses", envOpt{rule: denyUser("alice")}, nil, creds("alice", "pw"), core.ErrNoActiveAccount},
		{"rule fails", envOpt{rule: failingRule{}}, nil, creds("alice", "pw"), core.ErrUnavailable},
		{"serializer overrides owned claim", envOpt{claims: emailClaims{override: "user_id"}}, nil, creds("alice", "pw"), core.ErrUnavailable},
		{"serializer overrides exp", envOpt{claims: emailClaims{override: "exp"}}, nil, creds("alice", "pw"), core.ErrUnavailable},
		{"missing user id attribute", envOpt{}, func(s *core.Settings) { s.UserIDField = "nope" }, creds("alice", "pw"), core.ErrUnavailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := hsSettings(t)
			if c.mod != nil {
				c.mod(&s)
			}
			e := newEnv(t, s, c.opt)
			_, err := e.svc.Obtain(ctx, c.creds)
			mustIs(t, err, c.want)
			_, err = e.svc.ObtainSliding(ctx, c.creds)
			mustIs(t, err, c.want)
		})
	}
	t.Run("inactive allowed without check_user_is_active", func(t *testing.T) {
		s := hsSettings(t)
		s.CheckUserIsActive = false
		e := newEnv(t, s, envOpt{})
		if _, err := e.svc.Obtain(ctx, creds("bob", "pw")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("cancelled context is unavailable", func(t *testing.T) {
		e := newEnv(t, hsSettings(t), envOpt{})
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := e.svc.Obtain(cctx, creds("alice", "pw"))
		mustIs(t, err, core.ErrUnavailable)
	})
}

// TestUpdateLastLoginAndOutstanding: obtain records the login only when
// UPDATE_LAST_LOGIN, and outstanding refresh/sliding tokens always when a
// blacklist store is configured.
func TestUpdateLastLoginAndOutstanding(t *testing.T) {
	ctx := context.Background()
	for _, update := range []bool{false, true} {
		t.Run(map[bool]string{false: "off", true: "on"}[update], func(t *testing.T) {
			s := hsSettings(t)
			s.UpdateLastLogin = update
			e := newEnv(t, s, envOpt{})
			pair, err := e.svc.Obtain(ctx, creds("alice", "pw"))
			if err != nil {
				t.Fatal(err)
			}
			u, _ := e.users.LookupUser(ctx, "id", "1")
			if got := u.LastLogin.Equal(time.Unix(testNow, 0)); got != update {
				t.Fatalf("last login %v with update_last_login=%v", u.LastLogin, update)
			}
			jti := claimsOf(t, pair.Refresh)["jti"].(string)
			rec, ok := e.bl.Outstanding(jti)
			if !ok || rec.UserID != "1" || rec.TokenType != "refresh" || rec.ExpiresAt.Unix() != testNow+86400 || rec.IssuedAt.Unix() != testNow {
				t.Fatalf("outstanding %+v, %v", rec, ok)
			}
			sl, _ := e.svc.ObtainSliding(ctx, creds("alice", "pw"))
			if _, ok := e.bl.Outstanding(claimsOf(t, sl.Token)["jti"].(string)); !ok {
				t.Fatal("sliding token not outstanding")
			}
		})
	}
}

// TestRefresh covers rotation, blacklist-after-rotation and the user
// re-checks.
func TestRefresh(t *testing.T) {
	ctx := context.Background()
	t.Run("access only without rotation", func(t *testing.T) {
		e := newEnv(t, hsSettings(t), envOpt{claims: emailClaims{}})
		pair, _ := e.svc.Obtain(ctx, creds("alice", "pw"))
		e.clk.Advance(time.Minute)
		out, err := e.svc.Refresh(ctx, pair.Refresh)
		if err != nil {
			t.Fatal(err)
		}
		if out.Refresh != "" || out.Access == "" {
			t.Fatalf("%+v", out)
		}
		r, a := claimsOf(t, pair.Refresh), claimsOf(t, out.Access)
		if a["token_type"] != "access" || a["jti"] == r["jti"] || num(t, a["iat"]) != testNow+60 || num(t, a["exp"]) != testNow+360 {
			t.Fatalf("access claims %v", a)
		}
		if a["email"] != "alice@example.com" || a["user_id"] != "1" {
			t.Fatalf("claims not copied: %v", a)
		}
		// Without blacklist-after-rotation the refresh token still works.
		if _, err := e.svc.Refresh(ctx, pair.Refresh); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("rotation keeps claims, renews jti exp iat", func(t *testing.T) {
		s := hsSettings(t)
		s.RotateRefreshTokens = true
		e := newEnv(t, s, envOpt{claims: emailClaims{}})
		pair, _ := e.svc.Obtain(ctx, creds("alice", "pw"))
		e.clk.Advance(time.Hour)
		out, err := e.svc.Refresh(ctx, pair.Refresh)
		if err != nil {
			t.Fatal(err)
		}
		old, nw := claimsOf(t, pair.Refresh), claimsOf(t, out.Refresh)
		if nw["jti"] == old["jti"] || num(t, nw["exp"]) != testNow+3600+86400 || num(t, nw["iat"]) != testNow+3600 || nw["email"] != old["email"] || nw["token_type"] != "refresh" {
			t.Fatalf("rotated %v from %v", nw, old)
		}
		if _, ok := e.bl.Outstanding(nw["jti"].(string)); !ok {
			t.Fatal("rotated token not outstanding")
		}
		// The old one is still usable (no blacklist after rotation).
		if _, err := e.svc.Refresh(ctx, pair.Refresh); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("blacklist after rotation consumes the old token", func(t *testing.T) {
		s := hsSettings(t)
		s.RotateRefreshTokens, s.BlacklistAfterRotation = true, true
		e := newEnv(t, s, envOpt{})
		pair, _ := e.svc.Obtain(ctx, creds("alice", "pw"))
		out, err := e.svc.Refresh(ctx, pair.Refresh)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Refresh(ctx, pair.Refresh)
		mustIs(t, err, core.ErrTokenBlacklisted)
		mustIs(t, e.svc.Verify(ctx, pair.Refresh), core.ErrBlacklistedOnVerify)
		if _, err := e.svc.Refresh(ctx, out.Refresh); err != nil {
			t.Fatalf("rotated token: %v", err)
		}
	})

	cases := []struct {
		name  string
		mod   func(*core.Settings)
		opt   envOpt
		after func(e *env)
		token func(e *env, p core.Issued) string
		want  error
	}{
		{"access token refused", nil, envOpt{}, nil, func(e *env, p core.Issued) string { return p.Access }, core.ErrTokenWrongType},
		{"expired", nil, envOpt{}, func(e *env) { e.clk.Advance(24 * time.Hour) }, nil, core.ErrTokenExpired},
		{"garbage", nil, envOpt{}, nil, func(*env, core.Issued) string { return "a.b.c" }, core.ErrTokenInvalid},
		{"deleted user", nil, envOpt{}, func(e *env) { _ = e.users.DeleteUser(context.Background(), "alice") }, nil, core.ErrNoActiveAccountForToken},
		{"deactivated user", nil, envOpt{}, func(e *env) { _ = e.users.SetActive(context.Background(), "alice", false) }, nil, core.ErrNoActiveAccountForToken},
		{"rule refuses", nil, envOpt{rule: denyUser("alice")}, nil, func(e *env, _ core.Issued) string {
			// Issued while the rule allowed her: mint with a rule-free service.
			p, _ := newEnv(t, hsSettings(t), envOpt{}).svc.IssueFor(context.Background(), e.alice)
			return p.Refresh
		}, core.ErrNoActiveAccountForToken},
		{"rule fails", nil, envOpt{rule: failingRule{}}, nil, func(e *env, _ core.Issued) string {
			p, _ := newEnv(t, hsSettings(t), envOpt{}).svc.IssueFor(context.Background(), e.alice)
			return p.Refresh
		}, core.ErrUnavailable},
		{"blacklisted", nil, envOpt{}, nil, func(e *env, p core.Issued) string {
			_ = e.svc.Blacklist(context.Background(), p.Refresh)
			return p.Refresh
		}, core.ErrTokenBlacklisted},
		{"password changed", func(s *core.Settings) { s.CheckRevokeToken = true }, envOpt{}, func(e *env) { _ = e.users.SetPassword(context.Background(), "alice", "new") }, nil, core.ErrPasswordChangedOnRefresh},
		{"refresh without user claim", nil, envOpt{}, nil, func(e *env, _ core.Issued) string {
			return craft(t, jwtHS256, hs256, `{"token_type":"refresh","exp":9999999999,"jti":"j1"}`)
		}, core.ErrNoActiveAccountForToken},
		{"refresh without jti", nil, envOpt{}, nil, func(e *env, _ core.Issued) string {
			return craft(t, jwtHS256, hs256, `{"token_type":"refresh","exp":9999999999,"user_id":"1"}`)
		}, core.ErrTokenNoID},
		{"non-numeric user id", nil, envOpt{}, nil, func(e *env, _ core.Issued) string {
			return craft(t, jwtHS256, hs256, `{"token_type":"refresh","exp":9999999999,"jti":"j2","user_id":"abc"}`)
		}, core.ErrNoActiveAccountForToken},
		{"user id object", nil, envOpt{}, nil, func(e *env, _ core.Issued) string {
			return craft(t, jwtHS256, hs256, `{"token_type":"refresh","exp":9999999999,"jti":"j3","user_id":{"a":1}}`)
		}, core.ErrNoActiveAccountForToken},
		{"integer user id accepted", nil, envOpt{}, nil, func(e *env, _ core.Issued) string {
			return craft(t, jwtHS256, hs256, `{"token_type":"refresh","exp":9999999999,"jti":"j4","user_id":1}`)
		}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := hsSettings(t)
			if c.mod != nil {
				c.mod(&s)
			}
			e := newEnv(t, s, c.opt)
			var pair core.Issued
			if c.opt.rule == nil {
				var err error
				if pair, err = e.svc.Obtain(ctx, creds("alice", "pw")); err != nil {
					t.Fatal(err)
				}
			}
			tok := pair.Refresh
			if c.token != nil {
				tok = c.token(e, pair)
			}
			if c.after != nil {
				c.after(e)
			}
			_, err := e.svc.Refresh(ctx, tok)
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			mustIs(t, err, c.want)
		})
	}
	t.Run("password change blacklists the refresh token", func(t *testing.T) {
		s := hsSettings(t)
		s.CheckRevokeToken = true
		e := newEnv(t, s, envOpt{})
		pair, _ := e.svc.Obtain(ctx, creds("alice", "pw"))
		_ = e.users.SetPassword(ctx, "alice", "new")
		_, err := e.svc.Refresh(ctx, pair.Refresh)
		mustIs(t, err, core.ErrPasswordChangedOnRefresh)
		if black, _ := e.bl.IsBlacklisted(ctx, claimsOf(t, pair.Refresh)["jti"].(string)); !black {
			t.Fatal("refresh token not blacklisted after password change")
		}
	})
}

// TestConcurrentRotation: 20 goroutines refresh one token under rotation
// with blacklist-after-rotation: exactly one wins.
func TestConcurrentRotation(t *testing.T) {
	ctx := context.Background()
	s := hsSettings(t)
	s.RotateRefreshTokens, s.BlacklistAfterRotation = true, true
	e := newEnv(t, s, envOpt{})
	pair, err := e.svc.Obtain(ctx, creds("alice", "pw"))
	if err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = e.svc.Refresh(ctx, pair.Refresh)
		}()
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, core.ErrTokenBlacklisted):
			t.Fatalf("unexpected error %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d refreshes succeeded, want exactly 1", ok)
	}
}

func TestVerify(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, hsSettings(t), envOpt{})
	pair, _ := e.svc.Obtain(ctx, creds("alice", "pw"))
	sl, _ := e.svc.ObtainSliding(ctx, creds("alice", "pw"))
	for name, tok := range map[string]string{"access": pair.Access, "refresh": pair.Refresh, "sliding": sl.Token} {
		if err := e.svc.Verify(ctx, tok); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if err := e.svc.Blacklist(ctx, pair.Refresh); err != nil {
		t.Fatal(err)
	}
	err := e.svc.Verify(ctx, pair.Refresh)
	mustIs(t, err, core.ErrBlacklistedOnVerify)
	var ce *core.Error
	if !asErr(err, &ce) || ce.Kind != core.KindInvalidInput || ce.Fields["non_field_errors"][0] != "Token is blacklisted" {
		t.Fatalf("blacklisted verify error %+v", ce)
	}
	e.clk.Advance(5 * time.Minute)
	mustIs(t, e.svc.Verify(ctx, pair.Access), core.ErrTokenExpired)

	t.Run("no blacklist store", func(t *testing.T) {
		e := newEnv(t, hsSettings(t), envOpt{noBlacklist: true})
		pair, _ := e.svc.Obtain(ctx, creds("alice", "pw"))
		if err := e.svc.Verify(ctx, pair.Refresh); err != nil {
			t.Fatal(err)
		}
		mustIs(t, e.svc.Blacklist(ctx, pair.Refresh), core.ErrUnavailable)
		_, err := e.svc.FlushExpired(ctx)
		mustIs(t, err, core.ErrUnavailable)
	})
}

func TestBlacklist(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, hsSettings(t), envOpt{})
	pair, _ := e.svc.Obtain(ctx, creds("alice", "pw"))
	sl, _ := e.svc.ObtainSliding(ctx, creds("alice", "pw"))
	// anyType: BlacklistAny (the CLI), which also takes sliding tokens;
	// otherwise Blacklist (the endpoint), which takes refresh tokens only.
	cases := []struct {
		name, token string
		anyType     bool
		want        error
	}{
		{"refresh", pair.Refresh, false, nil},
		{"refresh again", pair.Refresh, false, core.ErrTokenBlacklisted},
		{"refresh again, any type", pair.Refresh, true, core.ErrTokenBlacklisted},
		{"sliding refused by the endpoint", sl.Token, false, core.ErrTokenWrongType},
		{"sliding, any type", sl.Token, true, nil},
		{"access refused", pair.Access, false, core.ErrTokenWrongType},
		{"access refused, any type", pair.Access, true, core.ErrTokenWrongType},
		{"untyped refused", craft(t, jwtHS256, hs256, `{"exp":9999999999,"jti":"x"}`), false, core.ErrTokenNoType},
		{"untyped refused, any type", craft(t, jwtHS256, hs256, `{"exp":9999999999,"jti":"x"}`), true, core.ErrTokenNoType},
		{"jti a number", craft(t, jwtHS256, hs256, `{"token_type":"refresh","exp":9999999999,"jti":1,"user_id":"1"}`), false, core.ErrTokenInvalid},
		{"jti empty", craft(t, jwtHS256, hs256, `{"token_type":"refresh","exp":9999999999,"jti":"","user_id":"1"}`), true, core.ErrTokenInvalid},
		{"invalid", "x.y.z", false, core.ErrTokenInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			blacklist := e.svc.Blacklist
			if c.anyType {
				blacklist = e.svc.BlacklistAny
			}
			err := blacklist(ctx, c.token)
			if c.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			mustIs(t, err, c.want)
		})
	}
	// A blacklisted sliding token can no longer authenticate or refresh.
	_, err := e.svc.RefreshSliding(ctx, sl.Token)
	mustIs(t, err, core.ErrTokenBlacklisted)

	e.clk.Advance(25 * time.Hour)
	n, err := e.svc.FlushExpired(ctx)
	if err != nil || n < 3 {
		t.Fatalf("flushed %d, %v; want the expired outstanding and blacklisted rows", n, err)
	}
}

func TestRefreshSliding(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, hsSettings(t), envOpt{})
	sl, _ := e.svc.ObtainSliding(ctx, creds("alice", "pw"))
	e.clk.Advance(4 * time.Minute)
	out, err := e.svc.RefreshSliding(ctx, sl.Token)
	if err != nil {
		t.Fatal(err)
	}
	old, nw := claimsOf(t, sl.Token), claimsOf(t, out.Token)
	cases := []struct {
		name      string
		got, want any
	}{
		{"jti kept", nw["jti"], old["jti"]},
		{"refresh_exp kept", nw["refresh_exp"], old["refresh_exp"]},
		{"new exp", num(t, nw["exp"]), int64(testNow + 240 + 300)},
		{"new iat", num(t, nw["iat"]), int64(testNow + 240)},
		{"type", nw["token_type"], "sliding"},
		{"user", nw["user_id"], "1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Fatalf("got %v, want %v", c.got, c.want)
			}
		})
	}
	errCases := []struct {
		name  string
		token func() string
		want  string
	}{
		{"refresh window passed", func() string {
			return craft(t, jwtHS256, hs256, `{"token_type":"sliding","exp":9999999999,"jti":"s1","user_id":"1","refresh_exp":1795478400}`)
		}, "Token 'refresh_exp' claim has expired"},
		{"no refresh_exp", func() string {
			return craft(t, jwtHS256, hs256, `{"token_type":"sliding","exp":9999999999,"jti":"s2","user_id":"1"}`)
		}, "Token has no 'refresh_exp' claim"},
		{"refresh_exp not a number", func() string {
			return craft(t, jwtHS256, hs256, `{"token_type":"sliding","exp":9999999999,"jti":"s3","user_id":"1","refresh_exp":"x"}`)
		}, "Token is invalid"},
		{"access token", func() string { p, _ := e.svc.IssueFor(ctx, e.alice); return p.Access }, "Token has wrong type"},
		{"expired sliding", func() string {
			return craft(t, jwtHS256, hs256, `{"token_type":"sliding","exp":1795478400,"jti":"s4","user_id":"1","refresh_exp":9999999999}`)
		}, "Token is expired"},
		{"deleted user", func() string {
			return craft(t, jwtHS256, hs256, `{"token_type":"sliding","exp":9999999999,"jti":"s5","user_id":"77","refresh_exp":9999999999}`)
		}, "No active account found for the given token."},
	}
	for _, c := range errCases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.svc.RefreshSliding(ctx, c.token())
			if got := detail(err); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			if !errors.Is(err, core.ErrTokenNotValid) && !errors.Is(err, core.ErrAuthenticationFailed) {
				t.Fatalf("error kind of %v", err)
			}
		})
	}
}

func TestIssueToken(t *testing.T) {
	ctx := context.Background()
	s := hsSettings(t)
	s.CustomTokenTypes = map[string]time.Duration{"api": 30 * 24 * time.Hour}
	s.AuthTokenClasses = []string{"access", "api"}
	e := newEnv(t, s, envOpt{})
	cases := []struct {
		typ     string
		life    int64
		outstnd bool
	}{
		{"access", 300, false},
		{"refresh", 86400, true},
		{"sliding", 300, true},
		{"api", 30 * 86400, false},
	}
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) {
			tok, err := e.svc.IssueToken(ctx, e.alice, c.typ)
			if err != nil {
				t.Fatal(err)
			}
			m := claimsOf(t, tok)
			if m["token_type"] != c.typ || num(t, m["exp"]) != testNow+c.life || m["user_id"] != "1" {
				t.Fatalf("claims %v", m)
			}
			if _, ok := e.bl.Outstanding(m["jti"].(string)); ok != c.outstnd {
				t.Fatalf("outstanding = %v", ok)
			}
		})
	}
	apiTok, _ := e.svc.IssueToken(ctx, e.alice, "api")
	if _, tok, err := e.svc.Authenticate(ctx, "Bearer "+apiTok); err != nil || tok.Type != "api" {
		t.Fatalf("custom type authenticate: %v", err)
	}
	if _, err := e.svc.IssueToken(ctx, e.alice, "bogus"); err == nil {
		t.Fatal("unknown type issued")
	}
	if _, err := e.svc.IssueToken(ctx, e.bob, "access"); !errors.Is(err, core.ErrNoActiveAccount) {
		t.Fatalf("inactive user: %v", err)
	}
	if _, err := e.svc.IssueFor(ctx, e.bob); !errors.Is(err, core.ErrNoActiveAccount) {
		t.Fatalf("IssueFor inactive user: %v", err)
	}
}

// TestSlidingSettings: the sliding lifetimes and refresh_exp claim name.
func TestSlidingSettings(t *testing.T) {
	ctx := context.Background()
	s := hsSettings(t)
	s.SlidingTokenLifetime = 10 * time.Minute
	s.SlidingTokenRefreshLifetime = time.Hour
	s.SlidingTokenRefreshExpClaim = "rx"
	e := newEnv(t, s, envOpt{})
	sl, err := e.svc.ObtainSliding(ctx, creds("alice", "pw"))
	if err != nil {
		t.Fatal(err)
	}
	m := claimsOf(t, sl.Token)
	if num(t, m["exp"]) != testNow+600 || num(t, m["rx"]) != testNow+3600 || m["refresh_exp"] != nil {
		t.Fatalf("claims %v", m)
	}
	// Slide within the refresh window, every 9 minutes, until it closes.
	tok := sl.Token
	for i := range 6 {
		e.clk.Advance(9 * time.Minute)
		out, err := e.svc.RefreshSliding(ctx, tok)
		if err != nil {
			t.Fatalf("slide %d: %v", i, err)
		}
		tok = out.Token
	}
	e.clk.Advance(9 * time.Minute) // 63 minutes: past rx
	_, err = e.svc.RefreshSliding(ctx, tok)
	if detail(err) != "Token 'rx' claim has expired" {
		t.Fatalf("got %v", err)
	}
}

// bigClaims adds an integer claim beyond float64's exact range.
type bigClaims struct{ emailClaims }

func (bigClaims) TokenClaims(context.Context, sdk.User, string) (map[string]any, error) {
	return map[string]any{"big": json.Number("9007199254740993")}, nil
}

// TestRefreshKeepsNumbersExact: claims copied at refresh (into the access
// token and the rotated refresh token) keep integers beyond 2^53 exactly.
func TestRefreshKeepsNumbersExact(t *testing.T) {
	ctx := context.Background()
	s := hsSettings(t)
	s.RotateRefreshTokens = true
	e := newEnv(t, s, envOpt{claims: bigClaims{}})
	pair, err := e.svc.Obtain(ctx, creds("alice", "pw"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Refresh(ctx, pair.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"obtained access": pair.Access, "refreshed access": got.Access, "rotated refresh": got.Refresh} {
		if v := claimsOf(t, tok)["big"]; v != json.Number("9007199254740993") {
			t.Errorf("%s: big = %v (%T)", name, v, v)
		}
	}
}

// TestRevokeRefusesUserWithoutHash: under CHECK_REVOKE_TOKEN a user whose
// store keeps no password hash matches no revoke claim, not even the MD5
// of "" that anyone can compute.
func TestRevokeRefusesUserWithoutHash(t *testing.T) {
	ctx := context.Background()
	s := hsSettings(t)
	s.CheckRevokeToken = true
	e := newEnv(t, s, envOpt{})
	u, err := e.users.Import(ctx, sdk.User{Username: "nohash", IsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := e.svc.IssueFor(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.svc.Authenticate(ctx, "Bearer "+pair.Access)
	mustIs(t, err, core.ErrPasswordChanged)
	_, err = e.svc.Refresh(ctx, pair.Refresh)
	mustIs(t, err, core.ErrPasswordChangedOnRefresh)
}
