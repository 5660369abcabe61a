package core_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/jwtd/jwtd/core"
)

// TestAuthenticateHeader: header parsing exactly as JWTAuthentication.
func TestAuthenticateHeader(t *testing.T) {
	ctx := context.Background()
	s := hsSettings(t)
	s.AuthHeaderTypes = []string{"Bearer", "JWT"}
	e := newEnv(t, s, envOpt{})
	pair, _ := e.svc.Obtain(ctx, creds("alice", "pw"))
	cases := []struct {
		name, header string
		want         error
	}{
		{"bearer", "Bearer " + pair.Access, nil},
		{"second header type", "JWT " + pair.Access, nil},
		{"extra whitespace", "  Bearer \t " + pair.Access + "  ", nil},
		{"no header", "", core.ErrNotAuthenticated},
		{"blank header", "   ", core.ErrNotAuthenticated},
		{"unknown scheme", "Token " + pair.Access, core.ErrNotAuthenticated},
		{"case-sensitive scheme", "bearer " + pair.Access, core.ErrNotAuthenticated},
		{"scheme alone", "Bearer", core.ErrBadAuthHeader},
		{"three words", "Bearer " + pair.Access + " x", core.ErrBadAuthHeader},
		{"bad token", "Bearer x.y.z", core.ErrNoValidTokenType},
		{"refresh token not accepted", "Bearer " + pair.Refresh, core.ErrNoValidTokenType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, tok, err := e.svc.Authenticate(ctx, c.header)
			if c.want != nil {
				mustIs(t, err, c.want)
				return
			}
			if err != nil || u.Username != "alice" || tok.Type != "access" || tok.Claims["user_id"] != "1" {
				t.Fatalf("got %+v %+v %v", u, tok, err)
			}
		})
	}
}

// TestAuthenticateMessages: one message per accepted class, in order, with
// Simple JWT's class and type names.
func TestAuthenticateMessages(t *testing.T) {
	ctx := context.Background()
	s := hsSettings(t)
	s.AuthTokenClasses = []string{"access", "sliding", "api"}
	s.CustomTokenTypes = map[string]timeDuration{"api": hour}
	e := newEnv(t, s, envOpt{})
	pair, _ := e.svc.Obtain(ctx, creds("alice", "pw"))
	_, _, err := e.svc.Authenticate(ctx, "Bearer "+pair.Refresh)
	var ce *core.Error
	if !asErr(err, &ce) || ce.Detail != "Given token not valid for any token type" || ce.Code != "token_not_valid" {
		t.Fatalf("%v", err)
	}
	want := []core.TokenMessage{
		{TokenClass: "AccessToken", TokenType: "access", Message: "Token has wrong type"},
		{TokenClass: "SlidingToken", TokenType: "sliding", Message: "Token has wrong type"},
		{TokenClass: "api", TokenType: "api", Message: "Token has wrong type"},
	}
	if !reflect.DeepEqual(ce.Messages, want) {
		t.Fatalf("messages %+v", ce.Messages)
	}
	e.clk.Advance(hour * 48)
	_, _, err = e.svc.Authenticate(ctx, "Bearer "+pair.Access)
	if !asErr(err, &ce) || len(ce.Messages) != 3 || ce.Messages[2].Message != "Token is expired" {
		t.Fatalf("%+v", err)
	}
	// The shared sentinel is not mutated.
	if len(core.ErrNoValidTokenType.Messages) != 0 {
		t.Fatal("sentinel mutated")
	}
	// A sliding token is accepted by the second class.
	sl, _ := e.svc.IssueSlidingFor(ctx, e.alice)
	if _, tok, err := e.svc.Authenticate(ctx, "Bearer "+sl.Token); err != nil || tok.Type != "sliding" {
		t.Fatalf("sliding: %v", err)
	}
	// A blacklisted sliding token fails that class with "Token is blacklisted".
	if err := e.svc.BlacklistAny(ctx, sl.Token); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.svc.Authenticate(ctx, "Bearer "+sl.Token)
	if !asErr(err, &ce) || ce.Messages[1].Message != "Token is blacklisted" {
		t.Fatalf("%+v", ce)
	}
}

// TestAuthenticateUser: the user checks after the token.
func TestAuthenticateUser(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name    string
		mod     func(*core.Settings)
		opt     envOpt
		payload string
		after   func(*env)
		want    error
	}{
		{"active user", nil, envOpt{}, `"user_id":"1"`, nil, nil},
		{"integer user id", nil, envOpt{}, `"user_id":1`, nil, nil},
		{"no user claim", nil, envOpt{}, `"x":1`, nil, core.ErrNoUserClaim},
		{"unknown user", nil, envOpt{}, `"user_id":"99"`, nil, core.ErrUserNotFound},
		{"non-numeric user id", nil, envOpt{}, `"user_id":"abc"`, nil, core.ErrUserNotFound},
		{"null user id", nil, envOpt{}, `"user_id":null`, nil, core.ErrNoUserClaim},
		{"object user id", nil, envOpt{}, `"user_id":{"$ne":null}`, nil, core.ErrNoUserClaim},
		{"list user id", nil, envOpt{}, `"user_id":["1"]`, nil, core.ErrNoUserClaim},
		{"bool user id", nil, envOpt{}, `"user_id":true`, nil, core.ErrNoUserClaim},
		{"float user id", nil, envOpt{}, `"user_id":1.5`, nil, core.ErrNoUserClaim},
		{"exponent user id", nil, envOpt{}, `"user_id":1e0`, nil, core.ErrNoUserClaim},
		{"user id 2^80", nil, envOpt{}, `"user_id":1208925819614629174706176`, nil, core.ErrNoUserClaim},
		{"user id beyond int64", nil, envOpt{}, `"user_id":9223372036854775808`, nil, core.ErrNoUserClaim},
		{"user id negative zero is 0", nil, envOpt{}, `"user_id":-0`, nil, core.ErrUserNotFound},
		{"inactive user", nil, envOpt{}, `"user_id":"2"`, nil, core.ErrUserInactive},
		{"inactive allowed when not checked", func(s *core.Settings) { s.CheckUserIsActive = false }, envOpt{}, `"user_id":"2"`, nil, nil},
		{"rule refuses", nil, envOpt{rule: denyUser("alice")}, `"user_id":"1"`, nil, core.ErrUserInactive},
		{"rule fails", nil, envOpt{rule: failingRule{}}, `"user_id":"1"`, nil, core.ErrUnavailable},
		{"user id field username", func(s *core.Settings) { s.UserIDField = "username" }, envOpt{}, `"user_id":"alice"`, nil, nil},
		{"revoke claim missing", func(s *core.Settings) { s.CheckRevokeToken = true }, envOpt{}, `"user_id":"1"`, nil, core.ErrPasswordChanged},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := hsSettings(t)
			if c.mod != nil {
				c.mod(&s)
			}
			e := newEnv(t, s, c.opt)
			tok := craft(t, jwtHS256, hs256, `{"token_type":"access","exp":9999999999,"jti":"j",`+c.payload+`}`)
			u, _, err := e.svc.Authenticate(ctx, "Bearer "+tok)
			if c.want != nil {
				mustIs(t, err, c.want)
				return
			}
			if err != nil || u.ID == "" {
				t.Fatalf("got %+v, %v", u, err)
			}
		})
	}
	t.Run("password changed after issue", func(t *testing.T) {
		s := hsSettings(t)
		s.CheckRevokeToken = true
		e := newEnv(t, s, envOpt{})
		pair, _ := e.svc.Obtain(ctx, creds("alice", "pw"))
		if _, _, err := e.svc.Authenticate(ctx, "Bearer "+pair.Access); err != nil {
			t.Fatal(err)
		}
		_ = e.users.SetPassword(ctx, "alice", "pw")
		_, _, err := e.svc.Authenticate(ctx, "Bearer "+pair.Access)
		mustIs(t, err, core.ErrPasswordChanged)
	})
	t.Run("cancelled context", func(t *testing.T) {
		e := newEnv(t, hsSettings(t), envOpt{})
		pair, _ := e.svc.Obtain(ctx, creds("alice", "pw"))
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, _, err := e.svc.Authenticate(cctx, "Bearer "+pair.Access)
		mustIs(t, err, core.ErrUnavailable)
	})
}

func TestAuthenticateStateless(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, hsSettings(t), envOpt{claims: emailClaims{}})
	pair, _ := e.svc.Obtain(ctx, creds("alice", "pw"))
	// Deleting the user does not matter: no lookup.
	_ = e.users.DeleteUser(ctx, "alice")
	fields, tok, err := e.svc.AuthenticateStateless(ctx, "Bearer "+pair.Access)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": "1", "email": "alice@example.com"}
	if !reflect.DeepEqual(fields, want) || tok.Type != "access" {
		t.Fatalf("fields %v", fields)
	}
	old := craft(t, jwtHS256, hs256, `{"token_type":"access","exp":9999999999,"jti":"j","user_id":7}`)
	fields, _, err = e.svc.AuthenticateStateless(ctx, "Bearer "+old)
	if err != nil || fields["id"] != int64(7) {
		t.Fatalf("integer id: %v %v", fields, err)
	}
	// An integer id beyond 2^53 comes back exactly, not rounded via float64.
	big := craft(t, jwtHS256, hs256, `{"token_type":"access","exp":9999999999,"jti":"j","user_id":9007199254740993}`)
	fields, _, err = e.svc.AuthenticateStateless(ctx, "Bearer "+big)
	if err != nil || fields["id"] != int64(9007199254740993) {
		t.Fatalf("big integer id: %v %v", fields, err)
	}
	noUser := craft(t, jwtHS256, hs256, `{"token_type":"access","exp":9999999999,"jti":"j"}`)
	_, _, err = e.svc.AuthenticateStateless(ctx, "Bearer "+noUser)
	mustIs(t, err, core.ErrNoUserClaim)
	_, _, err = e.svc.AuthenticateStateless(ctx, "Basic abc")
	mustIs(t, err, core.ErrNotAuthenticated)
}
