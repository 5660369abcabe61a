package core_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/internal/attacks"
)

// attackSetups are the key setups the attack suite runs against: one per
// key family, with the vectors' keys.
var attackSetups = []struct{ alg, key string }{
	{"HS256", "hmac"}, {"RS256", "rsa2048"}, {"ES256", "ecp256"}, {"EdDSA", "ed25519"},
}

// attackSigningKey parses the vectors' private key the way attacks.Options
// wants it.
func attackSigningKey(t *testing.T, alg, key string) any {
	t.Helper()
	if key == "hmac" {
		return []byte(readKey(t, "hmac.txt"))
	}
	pemText := []byte(readKey(t, key+".pem"))
	var (
		k   any
		err error
	)
	switch {
	case strings.HasPrefix(alg, "RS"):
		k, err = jwt.ParseRSAPrivateKeyFromPEM(pemText)
	case strings.HasPrefix(alg, "ES"):
		k, err = jwt.ParseECPrivateKeyFromPEM(pemText)
	case alg == "EdDSA":
		var pk any
		pk, err = jwt.ParseEdPrivateKeyFromPEM(pemText)
		k, _ = pk.(ed25519.PrivateKey)
	}
	if err != nil || k == nil {
		t.Fatalf("%s key %s: %v", alg, key, err)
	}
	return k
}

// expiredCases are the token-layer cases whose exp has passed (and is the
// only member named exp): Simple JWT reports them as expired.
var expiredCases = map[string]bool{
	"expired an hour ago":    true,
	"expired one second ago": true,
	"exp at the epoch":       true,
	"exp negative":           true,
}

// wantAttackErr is the refusal an operation owes a hostile case: the exact
// sentinel where Simple JWT's answer is one detail, a category otherwise.
// Authenticate and Stateless wrap token failures in ErrNoValidTokenType (or
// refuse the header itself when the case holds whitespace).
func wantAttackErr(c attacks.Case, ep attacks.Endpoint) []error {
	auth := ep == attacks.Authenticate || ep == attacks.Stateless
	switch {
	case c.Name == "user id as 1e400" && auth:
		// No float64 holds 1e400, so the claims map the authenticate
		// operations return (Token.Claims) cannot be built: the token is
		// invalid before its user id is read.
		return []error{core.ErrNoUserClaim, core.ErrNoValidTokenType}
	case strings.HasPrefix(c.Name, "user id as"):
		// A user id claim that is neither a JSON string nor an int64.
		if auth {
			return []error{core.ErrNoUserClaim}
		}
		return []error{core.ErrNoActiveAccountForToken}
	case c.Layer == attacks.LayerUserLookup:
		if auth {
			return []error{core.ErrUserNotFound}
		}
		return []error{core.ErrNoActiveAccountForToken}
	case auth:
		return []error{core.ErrNoValidTokenType, core.ErrBadAuthHeader}
	case c.Layer == attacks.LayerType:
		return []error{core.ErrTokenWrongType, core.ErrTokenNoType, core.ErrTokenInvalid}
	case expiredCases[c.Name]:
		return []error{core.ErrTokenExpired}
	case c.Name == "exp missing":
		return []error{core.ErrTokenNoExp}
	}
	// Every other case (structure, encoding, signature, algorithm, header,
	// claim JSON types, jti type, duplicates, size) is "Token is invalid".
	return []error{core.ErrTokenInvalid}
}

// TestAttackTokens runs every attacks.Tokens case against every core
// operation that takes a token, for HMAC, RSA, EC and EdDSA keys: each
// case an operation must refuse gets the expected 401-kind error (never a
// success, a 503-kind error or a panic) and writes nothing to the
// blacklist store; every other case still never panics or fails open; the
// control token is accepted by every operation, so a core refusing
// everything would fail; and no case makes a request to the URLs its
// headers name.
func TestAttackTokens(t *testing.T) {
	var canaryHits atomic.Int64
	canary := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { canaryHits.Add(1) }))
	t.Cleanup(canary.Close)
	ctx := context.Background()
	now := time.Unix(testNow, 0)

	// ops are the core operations under attack, by endpoint, each for the
	// token type its endpoint takes.
	type op struct {
		ep        attacks.Endpoint
		tokenType string
		call      func(e *env, tok string) error
	}
	ops := []op{
		{attacks.Verify, "access", func(e *env, tok string) error { return e.svc.Verify(ctx, tok) }},
		{attacks.Authenticate, "access", func(e *env, tok string) error {
			_, _, err := e.svc.Authenticate(ctx, "Bearer "+tok)
			return err
		}},
		{attacks.Stateless, "access", func(e *env, tok string) error {
			_, _, err := e.svc.AuthenticateStateless(ctx, "Bearer "+tok)
			return err
		}},
		{attacks.Refresh, "refresh", func(e *env, tok string) error {
			_, err := e.svc.Refresh(ctx, tok)
			return err
		}},
		{attacks.Blacklist, "refresh", func(e *env, tok string) error { return e.svc.Blacklist(ctx, tok) }},
		{attacks.SlidingRefresh, "sliding", func(e *env, tok string) error {
			_, err := e.svc.RefreshSliding(ctx, tok)
			return err
		}},
	}

	for _, setup := range attackSetups {
		t.Run(setup.alg, func(t *testing.T) {
			t.Parallel()
			s := keySettings(t, setup.alg, setup.key)
			// Rotation with blacklisting makes an accepted refresh write to
			// the store, so a wrongly accepted case would show up there.
			s.RotateRefreshTokens = true
			s.BlacklistAfterRotation = true
			e := newEnv(t, s, envOpt{})
			key := attackSigningKey(t, setup.alg, setup.key)
			var pub []byte
			if setup.key != "hmac" {
				pub = []byte(readKey(t, setup.key+".pub.pem"))
			}
			cases := map[string][]attacks.Case{}
			opts := map[string]attacks.Options{}
			for _, tt := range []string{"access", "refresh", "sliding"} {
				o := attacks.Options{
					Alg: setup.alg, SigningKey: key, PublicKeyPEM: pub, TokenType: tt,
					UserID: e.alice.ID, Now: now, CanaryURL: canary.URL + "/jwks.json",
				}
				if tt == "sliding" {
					o.ExtraClaims = map[string]any{"refresh_exp": now.Add(24 * time.Hour).Unix()}
				}
				cs, err := attacks.Tokens(o)
				if err != nil {
					t.Fatal(err)
				}
				cases[tt], opts[tt] = cs, o
			}

			for _, o := range ops {
				t.Run(string(o.ep), func(t *testing.T) {
					// The control token is accepted (and, for refresh and
					// blacklist, written: the store check below can see
					// a write).
					valid, err := attacks.Valid(opts[o.tokenType])
					if err != nil {
						t.Fatal(err)
					}
					out0, bl0 := e.bl.Counts()
					if err := o.call(e, valid); err != nil {
						t.Fatalf("control token refused: %v", err)
					}
					if o.ep == attacks.Stateless {
						if fields, _, _ := e.svc.AuthenticateStateless(ctx, "Bearer "+valid); fields["id"] != e.alice.ID {
							t.Fatalf("stateless echoed id %#v, want %q", fields["id"], e.alice.ID)
						}
					}
					if out1, bl1 := e.bl.Counts(); (o.ep == attacks.Refresh || o.ep == attacks.Blacklist) && bl1 != bl0+1 {
						t.Fatalf("accepted %s wrote %d outstanding, %d blacklisted rows; want one blacklisted", o.ep, out1-out0, bl1-bl0)
					}

					for _, c := range cases[o.tokenType] {
						outBefore, blBefore := e.bl.Counts()
						err := o.call(e, c.Token)
						var ce *core.Error
						if err != nil && !errors.As(err, &ce) {
							t.Errorf("%q: non-core error %v", c.Name, err)
							continue
						}
						if core.IsUnavailable(err) {
							t.Errorf("%q: %v (a hostile token must be a 401, not a 503)", c.Name, err)
							continue
						}
						// A jti of the wrong JSON type is refused by every
						// operation that reads the token, verify included.
						must := c.MustReject(o.ep) || (c.Layer == attacks.LayerJTI && o.ep == attacks.Verify)
						if !must {
							continue
						}
						if err == nil {
							t.Errorf("%q (%s, %s): accepted, must be refused", c.Name, c.Layer, c.Ref)
							continue
						}
						if ce.Kind != core.KindTokenNotValid && ce.Kind != core.KindAuthenticationFailed {
							t.Errorf("%q: kind %d (%v), want a 401 kind", c.Name, ce.Kind, err)
						}
						want := wantAttackErr(c, o.ep)
						ok := false
						for _, w := range want {
							ok = ok || errors.Is(err, w)
						}
						if !ok {
							t.Errorf("%q (%s): refused with %q (%v), want one of %v", c.Name, c.Layer, ce.Detail, ce.Err, want)
						}
						if out, bl := e.bl.Counts(); out != outBefore || bl != blBefore {
							t.Errorf("%q: refused, yet the store went from %d/%d to %d/%d outstanding/blacklisted rows", c.Name, outBefore, blBefore, out, bl)
						}
					}
				})
			}
		})
	}
	t.Cleanup(func() {
		if n := canaryHits.Load(); n != 0 {
			t.Errorf("%d requests reached the URL named by jku/x5u headers; keys must never come from a token", n)
		}
	})
}
