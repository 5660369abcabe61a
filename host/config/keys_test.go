package config_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/host/config"
)

const ring = `
[tokens]
algorithm = "HS512"

[[tokens.keys]]
kid = "2026-12"
state = "signing"
signing_key = "file:new.key"

[[tokens.keys]]
kid = "2026-11"
algorithm = "HS256"
state = "verify"
signing_key = "env:JWTD_TEST_OLD_KEY"
retire_after = 2026-12-24T00:00:00Z

[[tokens.keys]]
kid = "2026-10"
state = "retired"
signing_key = "` + secret + `"
retire_after = "2026-11-24T00:00:00Z"

[plugins.user_store]
use = "memory"
`

// TestKeyRingConfig: [[tokens.keys]] tables become the core's ring, with
// key material resolved like signing_key and dates as TOML date-times or
// RFC 3339 strings; the loaded settings pass the core's checks, and logs
// name each key without its material.
func TestKeyRingConfig(t *testing.T) {
	path := write(t, ring)
	newKey := strings.Repeat("n", 40)
	oldKey := strings.Repeat("o", 40)
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), "new.key"), []byte(newKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JWTD_TEST_OLD_KEY", oldKey)
	cfg, err := config.Load(path, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []core.Key{
		{ID: "2026-12", State: core.KeySigning, SigningKey: newKey},
		{ID: "2026-11", Algorithm: "HS256", State: core.KeyVerify, SigningKey: oldKey, RetireAfter: time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC)},
		{ID: "2026-10", State: core.KeyRetired, SigningKey: secret, RetireAfter: time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)},
	}
	got := cfg.Tokens.Keys
	if len(got) != len(want) {
		t.Fatalf("keys %+v", got)
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Algorithm != want[i].Algorithm || got[i].State != want[i].State ||
			got[i].SigningKey != want[i].SigningKey || !got[i].RetireAfter.Equal(want[i].RetireAfter) {
			t.Errorf("keys[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	if err := cfg.Tokens.Validate(); err != nil {
		t.Fatalf("the loaded ring fails the core's checks: %v", err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("start", "tokens", config.Redacted(cfg.Tokens))
	for _, out := range []string{logs.String(), config.Redacted(cfg.Tokens).String()} {
		for _, k := range []string{newKey, oldKey, secret} {
			if strings.Contains(out, k) {
				t.Fatalf("key material in %q", out)
			}
		}
	}
	if !strings.Contains(logs.String(), "2026-11 HS256 verify until 2026-12-24T00:00:00Z") {
		t.Errorf("log does not describe the ring: %s", logs.String())
	}
}

// TestKeyRingConfigRefusals: a bad ring key is refused naming the key.
func TestKeyRingConfigRefusals(t *testing.T) {
	cases := []struct{ name, keys, want string }{
		{"bad date", `kid = "a"
state = "verify"
signing_key = "` + secret + `"
retire_after = "next tuesday"`, `tokens.keys[0].retire_after: kid "a":`},
		{"missing file", `kid = "b"
state = "signing"
signing_key = "file:absent.key"`, `tokens.keys[0].signing_key: kid "b":`},
		{"empty kid", `kid = ""
state = "signing"`, "tokens.keys[0].kid"},
		{"unknown member", `kid = "c"
stat = "signing"`, "tokens.keys"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := "[[tokens.keys]]\n" + c.keys + "\n[plugins.user_store]\nuse = \"memory\"\n"
			_, err := config.Load(write(t, body), config.Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to name %s", err, c.want)
			}
		})
	}
}
