package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
)

type vectorFile struct {
	Now   int64        `json:"now"`
	Cases []vectorCase `json:"cases"`
}

type vectorCase struct {
	Name      string         `json:"name"`
	Algorithm string         `json:"algorithm"`
	Key       string         `json:"key"`
	Token     string         `json:"token"`
	Expect    string         `json:"expect"`
	Error     *string        `json:"error"`
	Claims    map[string]any `json:"claims"`
	Config    struct {
		Audience           string `json:"audience"`
		Issuer             string `json:"issuer"`
		Leeway             string `json:"leeway"`
		Now                int64  `json:"now"`
		CheckRevokeToken   bool   `json:"check_revoke_token"`
		StoredPasswordHash string `json:"stored_password_hash"`
	} `json:"config"`
}

func loadVectors(t *testing.T) vectorFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "vectors", "tokens.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v vectorFile
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// vectorService builds the Service a vector case describes, with a user
// store holding the user the token names (and the stored password hash the
// revoke claim was made from).
func vectorService(t *testing.T, v vectorFile, c vectorCase) (*core.Service, string) {
	t.Helper()
	s := keySettings(t, c.Algorithm, c.Key)
	if c.Config.Audience != "" {
		s.Audience = []string{c.Config.Audience}
	}
	s.Issuer = c.Config.Issuer
	if c.Config.Leeway != "" {
		d, err := time.ParseDuration(c.Config.Leeway)
		if err != nil {
			t.Fatal(err)
		}
		s.Leeway = d
	}
	s.CheckRevokeToken = c.Config.CheckRevokeToken
	s.AuthTokenClasses = []string{core.TypeAccess, core.TypeSliding, core.TypeRefresh}
	now := v.Now
	if c.Config.Now != 0 {
		now = c.Config.Now
	}
	users := memory.NewUserStore()
	uid := "1"
	switch id := c.Claims["user_id"].(type) {
	case string:
		uid = id
	case float64:
		uid = json.Number(jsonNum(id)).String()
	}
	if _, err := users.Import(context.Background(), sdk.User{ID: uid, Username: "u" + uid, IsActive: true, PasswordHash: c.Config.StoredPasswordHash}); err != nil {
		t.Fatal(err)
	}
	svc, err := core.New(s, core.Plugins{Users: users, Blacklist: memory.NewBlacklistStore()}, core.WithClock(func() time.Time { return time.Unix(now, 0) }))
	if err != nil {
		t.Fatal(err)
	}
	return svc, uid
}

func jsonNum(f float64) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// TestVectors runs every case of tokens.json (made by Simple JWT 5.2.2 and
// PyJWT): Verify must accept or refuse it with exactly the listed message,
// and Authenticate must agree (finding the user the token names).
func TestVectors(t *testing.T) {
	v := loadVectors(t)
	if len(v.Cases) != 76 {
		t.Fatalf("tokens.json has %d cases, want 76", len(v.Cases))
	}
	ctx := context.Background()
	for _, c := range v.Cases {
		t.Run(c.Name, func(t *testing.T) {
			svc, uid := vectorService(t, v, c)
			err := svc.Verify(ctx, c.Token)
			user, tok, aerr := svc.Authenticate(ctx, "Bearer "+c.Token)
			if c.Expect == "valid" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if aerr != nil {
					t.Fatalf("Authenticate: %v", aerr)
				}
				if tok.Type != c.Claims["token_type"] {
					t.Fatalf("accepted as %q, token says %v", tok.Type, c.Claims["token_type"])
				}
				if tok.Claims["jti"] != c.Claims["jti"] {
					t.Fatalf("claims jti %v, want %v", tok.Claims["jti"], c.Claims["jti"])
				}
				if user.ID != uid {
					t.Fatalf("user %q, want %q", user.ID, uid)
				}
				// Refresh and sliding tokens from Simple JWT refresh here.
				switch c.Claims["token_type"] {
				case core.TypeRefresh:
					out, err := svc.Refresh(ctx, c.Token)
					if err != nil {
						t.Fatalf("Refresh: %v", err)
					}
					if _, _, err := svc.Authenticate(ctx, "Bearer "+out.Access); err != nil {
						t.Fatalf("refreshed access: %v", err)
					}
				case core.TypeSliding:
					out, err := svc.RefreshSliding(ctx, c.Token)
					if err != nil {
						t.Fatalf("RefreshSliding: %v", err)
					}
					if claimsOf(t, out.Token)["jti"] != c.Claims["jti"] {
						t.Fatal("sliding refresh changed jti")
					}
				}
				return
			}
			if c.Error == nil {
				t.Fatal("invalid case without error")
			}
			if got := detail(err); got != *c.Error {
				t.Fatalf("Verify error %q, want %q", got, *c.Error)
			}
			var ce *core.Error
			if !errors.As(aerr, &ce) || !errors.Is(aerr, core.ErrNoValidTokenType) {
				t.Fatalf("Authenticate: %v, want ErrNoValidTokenType", aerr)
			}
			if len(ce.Messages) != 3 {
				t.Fatalf("messages %v, want one per class", ce.Messages)
			}
			for _, m := range ce.Messages {
				if m.Message != *c.Error {
					t.Fatalf("message %+v, want %q", m, *c.Error)
				}
			}
		})
	}
}

// TestVectorRevokeMismatch: the revoke vector fails Authenticate once the
// stored hash differs.
func TestVectorRevokeMismatch(t *testing.T) {
	v := loadVectors(t)
	for _, c := range v.Cases {
		if !c.Config.CheckRevokeToken {
			continue
		}
		c.Config.StoredPasswordHash += "x"
		svc, _ := vectorService(t, v, c)
		_, _, err := svc.Authenticate(context.Background(), "Bearer "+c.Token)
		mustIs(t, err, core.ErrPasswordChanged)
		return
	}
	t.Fatal("no revoke vector")
}

// TestIssuedWithVectorKeys: tokens the core issues with every vector key
// verify under the core's own rules, carry Simple JWT's claims, and verify
// with a bare golang-jwt parse using only the public key.
func TestIssuedWithVectorKeys(t *testing.T) {
	ctx := context.Background()
	for _, ak := range algKeys {
		t.Run(ak.alg, func(t *testing.T) {
			e := newEnv(t, keySettings(t, ak.alg, ak.key), envOpt{})
			pair, err := e.svc.IssueFor(ctx, e.alice)
			if err != nil {
				t.Fatal(err)
			}
			sl, err := e.svc.IssueSlidingFor(ctx, e.alice)
			if err != nil {
				t.Fatal(err)
			}
			for _, tok := range []string{pair.Access, pair.Refresh, sl.Token} {
				if err := e.svc.Verify(ctx, tok); err != nil {
					t.Fatalf("Verify own token: %v", err)
				}
				if h := headerOf(t, tok); h["alg"] != ak.alg || h["typ"] != "JWT" {
					t.Fatalf("header %v", h)
				}
			}
			if _, _, err := e.svc.Authenticate(ctx, "Bearer "+pair.Access); err != nil {
				t.Fatalf("Authenticate: %v", err)
			}
			var key any = []byte(readKey(t, "hmac.txt"))
			if ak.key != "hmac" {
				key = publicKey(t, ak.alg, readKey(t, ak.key+".pub.pem"))
			}
			parsed, err := jwt.Parse(pair.Access, func(*jwt.Token) (any, error) { return key, nil },
				jwt.WithValidMethods([]string{ak.alg}), jwt.WithTimeFunc(e.clk.Now))
			if err != nil || !parsed.Valid {
				t.Fatalf("golang-jwt rejects our token: %v", err)
			}
			if parsed.Claims.(jwt.MapClaims)["user_id"] != "1" {
				t.Fatalf("user_id %v", parsed.Claims.(jwt.MapClaims)["user_id"])
			}
			// One flipped signature bit must fail.
			bad := []byte(pair.Access)
			i := len(bad) - 5
			if bad[i] == 'A' {
				bad[i] = 'B'
			} else {
				bad[i] = 'A'
			}
			mustIs(t, e.svc.Verify(ctx, string(bad)), core.ErrTokenInvalid)
		})
	}
}

func publicKey(t *testing.T, alg, pemText string) any {
	t.Helper()
	var (
		k   any
		err error
	)
	switch alg[:2] {
	case "RS", "PS":
		k, err = jwt.ParseRSAPublicKeyFromPEM([]byte(pemText))
	case "ES":
		k, err = jwt.ParseECPublicKeyFromPEM([]byte(pemText))
	default:
		k, err = jwt.ParseEdPublicKeyFromPEM([]byte(pemText))
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}
