package core_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtd/jwtd/core"
)

// craft signs header and payload JSON text as given (no re-encoding, so
// duplicate keys and odd types survive) with the vectors' HMAC key.
func craft(t testing.TB, method jwt.SigningMethod, header, payload string) string {
	t.Helper()
	enc := base64.RawURLEncoding
	si := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	sig, err := method.Sign(si, []byte(readKey(t, "hmac.txt")))
	if err != nil {
		t.Fatal(err)
	}
	return si + "." + enc.EncodeToString(sig)
}

const hs256 = `{"alg":"HS256","typ":"JWT"}`

// payload builds an access token payload around testNow with extra members
// appended verbatim.
func payload(extra string) string {
	p := fmt.Sprintf(`{"token_type":"access","exp":%d,"iat":%d,"jti":"0123456789abcdef0123456789abcdef","user_id":"1"`, testNow+300, testNow)
	if extra != "" {
		p += "," + extra
	}
	return p + "}"
}

// manyKeys is n members "k0".."k(n-1)", past the walker's small-set size.
func manyKeys(n int) string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf(`"k%d":%d`, i, i)
	}
	return strings.Join(keys, ",")
}

// TestDecodeRules covers every decoding rule: segment syntax, algorithm
// pinning, strict JSON, header handling and registered-claim checks.
func TestDecodeRules(t *testing.T) {
	ctx := context.Background()
	good := craft(t, jwt.SigningMethodHS256, hs256, payload(""))
	parts := strings.Split(good, ".")
	cases := []struct {
		name     string
		token    string
		settings func(*core.Settings)
		want     string // Simple JWT detail; "" = valid
	}{
		{"well-formed", good, nil, ""},
		{"two segments", parts[0] + "." + parts[1], nil, "Token is invalid"},
		{"four segments", good + ".x", nil, "Token is invalid"},
		{"empty", "", nil, "Token is invalid"},
		{"padding character", parts[0] + "=." + parts[1] + "." + parts[2], nil, "Token is invalid"},
		{"standard base64 char", parts[0] + "." + parts[1] + "+." + parts[2], nil, "Token is invalid"},
		{"whitespace inside", parts[0] + " ." + parts[1] + "." + parts[2], nil, "Token is invalid"},
		{"empty signature (alg none style)", parts[0] + "." + parts[1] + ".", nil, "Token is invalid"},
		{"alg none", craftNone(payload("")), nil, "Token is invalid"},
		{"alg HS384 under HS256", craft(t, jwt.SigningMethodHS384, `{"alg":"HS384","typ":"JWT"}`, payload("")), nil, "Token is invalid"},
		{"header alg lies about signature", craft(t, jwt.SigningMethodHS384, hs256, payload("")), nil, "Token is invalid"},
		{"alg lowercase", craft(t, jwt.SigningMethodHS256, `{"alg":"hs256"}`, payload("")), nil, "Token is invalid"},
		{"alg not a string", craft(t, jwt.SigningMethodHS256, `{"alg":["HS256"]}`, payload("")), nil, "Token is invalid"},
		{"header without alg", craft(t, jwt.SigningMethodHS256, `{"typ":"JWT"}`, payload("")), nil, "Token is invalid"},
		{"duplicate header key", craft(t, jwt.SigningMethodHS256, `{"alg":"HS256","alg":"HS256"}`, payload("")), nil, "Token is invalid"},
		{"duplicate header key via escape", craft(t, jwt.SigningMethodHS256, `{"alg":"HS256","\u0061lg":"none"}`, payload("")), nil, "Token is invalid"},
		{"header not an object", craft(t, jwt.SigningMethodHS256, `["HS256"]`, payload("")), nil, "Token is invalid"},
		{"header not JSON", craft(t, jwt.SigningMethodHS256, `{"alg":"HS256"`, payload("")), nil, "Token is invalid"},
		{"crit header", craft(t, jwt.SigningMethodHS256, `{"alg":"HS256","crit":["exp"]}`, payload("")), nil, "Token is invalid"},
		{"empty crit header", craft(t, jwt.SigningMethodHS256, `{"alg":"HS256","crit":[]}`, payload("")), nil, "Token is invalid"},
		{"jwk header ignored", craft(t, jwt.SigningMethodHS256, `{"alg":"HS256","jwk":{"kty":"oct","k":"AAAA"}}`, payload("")), nil, ""},
		{"jku x5u x5c headers ignored", craft(t, jwt.SigningMethodHS256, `{"alg":"HS256","jku":"http://evil","x5u":"http://evil","x5c":["AAAA"]}`, payload("")), nil, ""},
		{"kid must be a string", craft(t, jwt.SigningMethodHS256, `{"alg":"HS256","kid":1}`, payload("")), nil, "Token is invalid"},
		{"duplicate payload key", craft(t, jwt.SigningMethodHS256, hs256, payload(`"exp":9999999999`)), nil, "Token is invalid"},
		{"duplicate payload key via escape", craft(t, jwt.SigningMethodHS256, hs256, payload(`"e\u0078p":9999999999`)), nil, "Token is invalid"},
		{"payload not an object", craft(t, jwt.SigningMethodHS256, hs256, `[1,2]`), nil, "Token is invalid"},
		{"payload trailing garbage", craft(t, jwt.SigningMethodHS256, hs256, payload("")+"x"), nil, "Token is invalid"},
		{"payload not JSON", craft(t, jwt.SigningMethodHS256, hs256, `{"exp":}`), nil, "Token is invalid"},
		{"exp as string", craft(t, jwt.SigningMethodHS256, hs256, `{"token_type":"access","exp":"9999999999","jti":"j"}`), nil, "Token is invalid"},
		{"exp null", craft(t, jwt.SigningMethodHS256, hs256, `{"token_type":"access","exp":null,"jti":"j"}`), nil, "Token is invalid"},
		{"nbf as string", craft(t, jwt.SigningMethodHS256, hs256, payload(`"nbf":"1"`)), nil, "Token is invalid"},
		{"iat as bool", craft(t, jwt.SigningMethodHS256, hs256, `{"token_type":"access","exp":9999999999,"iat":true,"jti":"j"}`), nil, "Token is invalid"},
		{"exp equal to now is expired", craft(t, jwt.SigningMethodHS256, hs256, fmt.Sprintf(`{"token_type":"access","exp":%d,"jti":"j"}`, testNow)), nil, "Token is expired"},
		{"exp one second ahead", craft(t, jwt.SigningMethodHS256, hs256, fmt.Sprintf(`{"token_type":"access","exp":%d,"jti":"j"}`, testNow+1)), nil, ""},
		{"exp fractional truncated", craft(t, jwt.SigningMethodHS256, hs256, fmt.Sprintf(`{"token_type":"access","exp":%d.9,"jti":"j"}`, testNow)), nil, "Token is expired"},
		{"exp within leeway", craft(t, jwt.SigningMethodHS256, hs256, fmt.Sprintf(`{"token_type":"access","exp":%d,"jti":"j"}`, testNow-5)), leeway(10 * time.Second), ""},
		{"exp at leeway edge", craft(t, jwt.SigningMethodHS256, hs256, fmt.Sprintf(`{"token_type":"access","exp":%d,"jti":"j"}`, testNow-10)), leeway(10 * time.Second), "Token is expired"},
		{"nbf in future", craft(t, jwt.SigningMethodHS256, hs256, payload(fmt.Sprintf(`"nbf":%d`, testNow+1))), nil, "Token is invalid"},
		{"nbf now", craft(t, jwt.SigningMethodHS256, hs256, payload(fmt.Sprintf(`"nbf":%d`, testNow))), nil, ""},
		{"nbf future within leeway", craft(t, jwt.SigningMethodHS256, hs256, payload(fmt.Sprintf(`"nbf":%d`, testNow+5))), leeway(10 * time.Second), ""},
		{"iat in future", craft(t, jwt.SigningMethodHS256, hs256, fmt.Sprintf(`{"token_type":"access","exp":%d,"iat":%d,"jti":"j"}`, testNow+300, testNow+1)), nil, "Token is invalid"},
		{"iat future within leeway", craft(t, jwt.SigningMethodHS256, hs256, fmt.Sprintf(`{"token_type":"access","exp":%d,"iat":%d,"jti":"j"}`, testNow+300, testNow+5)), leeway(10 * time.Second), ""},
		{"no exp", craft(t, jwt.SigningMethodHS256, hs256, `{"token_type":"access","jti":"j"}`), nil, "Token has no 'exp' claim"},
		{"no jti", craft(t, jwt.SigningMethodHS256, hs256, fmt.Sprintf(`{"token_type":"access","exp":%d}`, testNow+300)), nil, "Token has no id"},
		{"no type is fine for verify", craft(t, jwt.SigningMethodHS256, hs256, fmt.Sprintf(`{"exp":%d,"jti":"j"}`, testNow+300)), nil, ""},
		{"integer user id", craft(t, jwt.SigningMethodHS256, hs256, fmt.Sprintf(`{"token_type":"access","exp":%d,"jti":"j","user_id":1}`, testNow+300)), nil, ""},
		{"aud string matches", craft(t, jwt.SigningMethodHS256, hs256, payload(`"aud":"api"`)), audience("api"), ""},
		{"aud list matches", craft(t, jwt.SigningMethodHS256, hs256, payload(`"aud":["x","api"]`)), audience("api"), ""},
		{"aud mismatch", craft(t, jwt.SigningMethodHS256, hs256, payload(`"aud":"other"`)), audience("api"), "Token is invalid"},
		{"aud missing", good, audience("api"), "Token is invalid"},
		{"aud list with non-string", craft(t, jwt.SigningMethodHS256, hs256, payload(`"aud":["api",1]`)), audience("api"), "Token is invalid"},
		{"aud not checked when unset", craft(t, jwt.SigningMethodHS256, hs256, payload(`"aud":"whatever"`)), nil, ""},
		{"iss matches", craft(t, jwt.SigningMethodHS256, hs256, payload(`"iss":"me"`)), issuer("me"), ""},
		{"iss mismatch", craft(t, jwt.SigningMethodHS256, hs256, payload(`"iss":"you"`)), issuer("me"), "Token is invalid"},
		{"iss missing", good, issuer("me"), "Token is invalid"},
		{"iss not checked when unset", craft(t, jwt.SigningMethodHS256, hs256, payload(`"iss":"you"`)), nil, ""},
		{"nested duplicate allowed", craft(t, jwt.SigningMethodHS256, hs256, payload(`"x":{"a":1}`)), nil, ""},
		{"deep nesting refused", craft(t, jwt.SigningMethodHS256, hs256, payload(`"x":`+strings.Repeat("[", 100)+strings.Repeat("]", 100))), nil, "Token is invalid"},
		{"oversized token", good + strings.Repeat("A", 17<<10), nil, "Token is invalid"},
		{"signed token over the size cap", craft(t, jwt.SigningMethodHS256, hs256, payload(`"pad":"`+strings.Repeat("a", 17<<10)+`"`)), nil, "Token is invalid"},
		{"duplicate key past 16 members", craft(t, jwt.SigningMethodHS256, hs256, payload(manyKeys(18)+`,"k0":1`)), nil, "Token is invalid"},
		{"18 distinct members", craft(t, jwt.SigningMethodHS256, hs256, payload(manyKeys(18))), nil, ""},
		{"token at the size cap", craft(t, jwt.SigningMethodHS256, hs256, payload(`"pad":"`+strings.Repeat("a", 11<<10)+`"`)), nil, ""},
		{"newline inside the signature", parts[0] + "." + parts[1] + "." + parts[2][:4] + "\n" + parts[2][4:], nil, "Token is invalid"},
		{"CR LF inside the payload", parts[0] + "." + parts[1][:4] + "\r\n" + parts[1][4:] + "." + parts[2], nil, "Token is invalid"},
		{"newline inside the header", parts[0][:4] + "\n" + parts[0][4:] + "." + parts[1] + "." + parts[2], nil, "Token is invalid"},
		{"trailing newline", good + "\n", nil, "Token is invalid"},
		{"padding on the signature", good + "=", nil, "Token is invalid"},
		{"NUL byte in the signature", good + "\x00", nil, "Token is invalid"},
		{"payload invalid UTF-8", craft(t, jwt.SigningMethodHS256, hs256, payload("\"name\":\"\xff\xfe\"")), nil, "Token is invalid"},
		{"payload key invalid UTF-8", craft(t, jwt.SigningMethodHS256, hs256, payload("\"\xc3\":1")), nil, "Token is invalid"},
		{"header invalid UTF-8", craft(t, jwt.SigningMethodHS256, "{\"alg\":\"HS256\",\"x\":\"\xff\"}", payload("")), nil, "Token is invalid"},
		{"payload escaped non-ASCII is fine", craft(t, jwt.SigningMethodHS256, hs256, payload(`"name":"\u00e9t\u00e9 été"`)), nil, ""},
		{"jti a number", craft(t, jwt.SigningMethodHS256, hs256, fmt.Sprintf(`{"token_type":"access","exp":%d,"jti":1}`, testNow+300)), nil, "Token is invalid"},
		{"jti an object", craft(t, jwt.SigningMethodHS256, hs256, fmt.Sprintf(`{"token_type":"access","exp":%d,"jti":{"$ne":null}}`, testNow+300)), nil, "Token is invalid"},
		{"jti null", craft(t, jwt.SigningMethodHS256, hs256, fmt.Sprintf(`{"token_type":"access","exp":%d,"jti":null}`, testNow+300)), nil, "Token is invalid"},
		{"jti empty", craft(t, jwt.SigningMethodHS256, hs256, fmt.Sprintf(`{"token_type":"access","exp":%d,"jti":""}`, testNow+300)), nil, "Token is invalid"},
		{"exp 1e400", craft(t, jwt.SigningMethodHS256, hs256, `{"token_type":"access","exp":1e400,"jti":"j"}`), nil, "Token is invalid"},
		{"exp -1e400", craft(t, jwt.SigningMethodHS256, hs256, `{"token_type":"access","exp":-1e400,"jti":"j"}`), nil, "Token is invalid"},
		{"kid path traversal is only a name", craft(t, jwt.SigningMethodHS256, `{"alg":"HS256","kid":"../../../../dev/null"}`, payload("")), nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := hsSettings(t)
			if c.settings != nil {
				c.settings(&s)
			}
			e := newEnv(t, s, envOpt{})
			got := detail(e.svc.Verify(ctx, c.token))
			if got != c.want {
				t.Fatalf("Verify = %q, want %q", got, c.want)
			}
		})
	}
}

func craftNone(p string) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(p)) + "."
}

func leeway(d time.Duration) func(*core.Settings) {
	return func(s *core.Settings) { s.Leeway = d }
}

func audience(a ...string) func(*core.Settings) {
	return func(s *core.Settings) { s.Audience = a }
}

func issuer(i string) func(*core.Settings) {
	return func(s *core.Settings) { s.Issuer = i }
}

// TestTypeRules: the per-type checks of Token.verify, through
// Authenticate with one accepted class.
func TestTypeRules(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, payload, class, want string
	}{
		{"access as access", payload(""), core.TypeAccess, ""},
		{"access as sliding", payload(""), core.TypeSliding, "Token has wrong type"},
		{"no type", fmt.Sprintf(`{"exp":%d,"jti":"j","user_id":"1"}`, testNow+300), core.TypeAccess, "Token has no type"},
		{"type not a string", fmt.Sprintf(`{"token_type":1,"exp":%d,"jti":"j","user_id":"1"}`, testNow+300), core.TypeAccess, "Token has wrong type"},
		{"no jti before type", fmt.Sprintf(`{"exp":%d,"user_id":"1"}`, testNow+300), core.TypeAccess, "Token has no id"},
		{"no exp first", `{"user_id":"1"}`, core.TypeAccess, "Token has no 'exp' claim"},
		{"custom type", fmt.Sprintf(`{"token_type":"api","exp":%d,"jti":"j","user_id":"1"}`, testNow+300), "api", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := hsSettings(t)
			s.CustomTokenTypes = map[string]time.Duration{"api": time.Hour}
			s.AuthTokenClasses = []string{c.class}
			e := newEnv(t, s, envOpt{})
			_, tok, err := e.svc.Authenticate(ctx, "Bearer "+craft(t, jwt.SigningMethodHS256, hs256, c.payload))
			if c.want == "" {
				if err != nil || tok.Type != c.class {
					t.Fatalf("got %v, %v", tok, err)
				}
				return
			}
			var ce *core.Error
			mustIs(t, err, core.ErrNoValidTokenType)
			if !asErr(err, &ce) || len(ce.Messages) != 1 || ce.Messages[0].Message != c.want || ce.Messages[0].TokenType != c.class {
				t.Fatalf("messages %+v, want %q", ce.Messages, c.want)
			}
		})
	}
}
