package core_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/jwtd/jwtd/core"
)

// FuzzDecode feeds arbitrary strings to every decoding entry point: none
// may panic, every failure must be a core token error (never a stray error),
// and anything accepted must be a token signed with the service's key.
func FuzzDecode(f *testing.F) {
	e := newEnv(f, hsSettings(f), envOpt{})
	ctx := context.Background()
	pair, err := e.svc.Obtain(ctx, creds("alice", "pw"))
	if err != nil {
		f.Fatal(err)
	}
	key := []byte(readKey(f, "hmac.txt"))
	f.Add(pair.Access)
	f.Add(pair.Refresh)
	f.Add("a.b.c")
	f.Add("")
	f.Add("..")
	f.Fuzz(func(t *testing.T, token string) {
		err := e.svc.Verify(ctx, token)
		if err != nil && !errors.Is(err, core.ErrTokenNotValid) {
			t.Fatalf("Verify(%q) = %v: not a token error", token, err)
		}
		if err == nil {
			// Whatever the core accepts, an independent golang-jwt parse
			// with the same key and algorithm accepts too: the fuzzer
			// cannot get an unsigned or wrongly signed token through.
			if _, perr := jwt.Parse(token, func(*jwt.Token) (any, error) { return key, nil },
				jwt.WithValidMethods([]string{"HS256"}), jwt.WithoutClaimsValidation()); perr != nil {
				t.Fatalf("core accepted %q, golang-jwt says %v", token, perr)
			}
		}
		_, _, _ = e.svc.Authenticate(ctx, "Bearer "+token)
		_, _, _ = e.svc.AuthenticateStateless(ctx, token)
		_, _ = e.svc.Refresh(ctx, token)
		_, _ = e.svc.RefreshSliding(ctx, token)
	})
}

// FuzzJSONWalk checks the strict JSON walker against encoding/json: it
// accepts exactly the valid JSON objects without duplicate top-level keys.
func FuzzJSONWalk(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":1,"a":2}`, `{"a":[1,{"b":null}],"c":"\u0041"}`, `[1]`, `{"a":1e5,"b":-0.5}`, `{"a":01}`, ` {"x" : true } `, `{"\u0061":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := core.WalkObject(data, func(k, v []byte) error {
			if !json.Valid(v) {
				t.Fatalf("member value %q is not valid JSON", v)
			}
			return nil
		})
		want := referenceWalk(data)
		if (err == nil) != (want == nil) {
			t.Fatalf("WalkObject(%q) = %v, reference %v", data, err, want)
		}
		if err != nil {
			return
		}
		// Token.Claims must be what json.Unmarshal makes of the payload,
		// unless a claim rule refuses the token.
		got, err := core.PublicClaims(data)
		for _, rule := range core.ClaimRuleErrors {
			if errors.Is(err, rule) {
				return
			}
		}
		var ref map[string]any
		if uerr := json.Unmarshal(data, &ref); err != nil || uerr != nil || !reflect.DeepEqual(got, ref) {
			t.Fatalf("PublicClaims(%q) = %v, %v; json.Unmarshal %v, %v", data, got, err, ref, uerr)
		}
	})
}

// referenceWalk is the walker's contract built from encoding/json.
func referenceWalk(data []byte) error {
	// JSON text is UTF-8 (RFC 8259 §8.1); json.Valid does not check it.
	if !json.Valid(data) || !utf8.Valid(data) {
		return errors.New("invalid")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil || m == nil {
		return errors.New("not an object")
	}
	// Count members with a streaming decoder to find duplicates.
	dec := json.NewDecoder(strings.NewReader(string(data)))
	if _, err := dec.Token(); err != nil {
		return err
	}
	n := 0
	for dec.More() {
		if _, err := dec.Token(); err != nil {
			return err
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
		n++
	}
	if n != len(m) {
		return errors.New("duplicate")
	}
	if depth(data) > 64 {
		return errors.New("too deep")
	}
	return nil
}

// depth is the maximum nesting of data (valid JSON).
func depth(data []byte) int {
	d, maxD, inStr, esc := 0, 0, false, false
	for _, c := range data {
		switch {
		case esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '{' || c == '[':
			d++
			maxD = max(maxD, d)
		case c == '}' || c == ']':
			d--
		}
	}
	return maxD
}
