package core_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
)

// testNow is the vectors' fixed clock (2026-11-24T00:00:00Z).
const testNow = 1795478400

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(sec int64) *clock { return &clock{t: time.Unix(sec, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// readKey reads testdata/vectors/keys/NAME.
func readKey(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "vectors", "keys", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// keyFile maps a vector "key" and algorithm to settings with its keys.
func keySettings(t testing.TB, alg, key string) core.Settings {
	t.Helper()
	s := core.DefaultSettings()
	s.Algorithm = alg
	if key == "hmac" {
		s.SigningKey = readKey(t, "hmac.txt")
		return s
	}
	s.SigningKey = readKey(t, key+".pem")
	s.VerifyingKey = readKey(t, key+".pub.pem")
	return s
}

var algKeys = []struct{ alg, key string }{
	{"HS256", "hmac"}, {"HS384", "hmac"}, {"HS512", "hmac"},
	{"RS256", "rsa2048"}, {"RS384", "rsa2048"}, {"RS512", "rsa2048"},
	{"PS256", "rsa2048"}, {"PS384", "rsa2048"}, {"PS512", "rsa2048"},
	{"ES256", "ecp256"}, {"ES384", "ecp384"}, {"ES512", "ecp521"},
	{"EdDSA", "ed25519"},
}

// env is a Service on real in-memory stores with one active user "alice"
// (id "1", password "pw") and one inactive user "bob" (id "2").
type env struct {
	svc   *core.Service
	users *memory.UserStore
	bl    *memory.BlacklistStore
	clk   *clock
	alice sdk.User
	bob   sdk.User
}

type envOpt struct {
	noBlacklist bool
	rule        sdk.AuthRule
	claims      sdk.ClaimSerializer
	opts        []core.Option
}

func newEnv(t testing.TB, s core.Settings, o envOpt) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{users: memory.NewUserStore(), clk: newClock(testNow)}
	var err error
	if e.alice, err = e.users.CreateUser(ctx, sdk.NewUser{Username: "alice", Password: "pw", IsActive: true, Attributes: map[string]any{"email": "alice@example.com"}}); err != nil {
		t.Fatal(err)
	}
	if e.bob, err = e.users.CreateUser(ctx, sdk.NewUser{Username: "bob", Password: "pw", IsActive: false}); err != nil {
		t.Fatal(err)
	}
	p := core.Plugins{Users: e.users, Rule: o.rule, Claims: o.claims}
	if !o.noBlacklist {
		e.bl = memory.NewBlacklistStore()
		p.Blacklist = e.bl
	}
	opts := append([]core.Option{core.WithClock(e.clk.Now)}, o.opts...)
	e.svc, err = core.New(s, p, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func hsSettings(t testing.TB) core.Settings { return keySettings(t, "HS256", "hmac") }

// claimsOf decodes a token's payload without verifying it.
func claimsOf(t testing.TB, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q has %d segments", token, len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func headerOf(t testing.TB, token string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// detail is the Simple JWT detail of a core error ("" for nil).
func detail(err error) string {
	var ce *core.Error
	if errors.As(err, &ce) {
		return ce.Detail
	}
	if err != nil {
		return "non-core error: " + err.Error()
	}
	return ""
}

func mustIs(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want %v", err, want)
	}
}

func asErr(err error, target **core.Error) bool { return errors.As(err, target) }

var jwtHS256 = jwt.SigningMethodHS256

type timeDuration = time.Duration

const hour = time.Hour
