package cli_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/jwtd/jwtd/host/builtin"
	"github.com/jwtd/jwtd/host/config"
	"github.com/jwtd/jwtd/host/daemon"
)

// issue runs `jwtd token issue` and returns the pair.
func issue(t *testing.T, cfg string) map[string]string {
	t.Helper()
	code, out, errs := run(t, "", "token", "issue", "--user", "1", "--config", cfg)
	if code != 0 {
		t.Fatalf("token issue: %d %s", code, errs)
	}
	var pair map[string]string
	if err := json.Unmarshal([]byte(out), &pair); err != nil {
		t.Fatal(err)
	}
	return pair
}

func kidOf(t *testing.T, token string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	kid, _ := h["kid"].(string)
	return kid
}

// authenticates loads cfg as jwtd would after a reload and reports
// whether each token authenticates.
func authenticates(t *testing.T, cfg string, tokens ...string) []bool {
	t.Helper()
	c, err := config.Load(cfg, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := daemon.Build(context.Background(), c, daemon.BuildOptions{Registry: builtin.Default()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := make([]bool, len(tokens))
	for i, tok := range tokens {
		_, _, err := st.Service.Authenticate(context.Background(), "Bearer "+tok)
		out[i] = err == nil
	}
	return out
}

// TestKeyRotate: `jwtd key rotate --write` turns the one-key config into a
// ring: a new signing key with a new kid, the old key verify-only, the
// rest of the file (comments included) kept. Tokens of every key still in
// use authenticate after the reload; a second rotation to another
// algorithm keeps all three keys until their dates.
func TestKeyRotate(t *testing.T) {
	cfg := writeConfig(t, "# production jwtd\n"+configText)
	if code, _, errs := run(t, "pw-of-alice\n", "user", "add", "alice", "--config", cfg); code != 0 {
		t.Fatal(errs)
	}
	first := issue(t, cfg)

	code, out, errs := run(t, "", "key", "rotate", "--kid", "k2", "--retire-after", "48h", "--write", "--config", cfg)
	if code != 0 {
		t.Fatalf("key rotate: %d %s", code, errs)
	}
	if !strings.Contains(out, `kid "k2" signs from the next reload`) {
		t.Fatalf("stdout %q", out)
	}
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(text), "# production jwtd\n") || strings.Contains(string(text), "\nsigning_key = \"file:jwtd.key\"\n[") {
		t.Fatalf("rewritten config:\n%s", text)
	}
	if n := strings.Count(string(text), "[[tokens.keys]]"); n != 2 {
		t.Fatalf("%d ring keys in:\n%s", n, text)
	}
	if !regexp.MustCompile(`state = "verify"\nsigning_key = "file:jwtd.key"\nretire_after = \d{4}-`).Match(text) {
		t.Fatalf("the old key is not verify-only with a date:\n%s", text)
	}
	st, err := os.Stat(filepath.Join(filepath.Dir(cfg), "jwtd-k2.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("new key file: %v %v", st, err)
	}
	second := issue(t, cfg)
	if kidOf(t, second["access"]) != "k2" || kidOf(t, first["access"]) == "" || kidOf(t, first["access"]) == "k2" {
		t.Fatalf("kids: first %q, second %q", kidOf(t, first["access"]), kidOf(t, second["access"]))
	}

	if code, _, errs := run(t, "", "key", "rotate", "--kid", "k3", "--algorithm", "ES256", "--write", "--config", cfg); code != 0 {
		t.Fatalf("second rotation: %s", errs)
	}
	third := issue(t, cfg)
	if kidOf(t, third["access"]) != "k3" {
		t.Fatalf("third kid %q", kidOf(t, third["access"]))
	}
	if code, out, errs := run(t, "", "check-config", "--config", cfg); code != 0 || !strings.Contains(out, "tokens: ES256,") {
		t.Fatalf("check-config names the signing key's algorithm: %d %q %s", code, out, errs)
	}
	got := authenticates(t, cfg, first["access"], second["access"], third["access"])
	if !got[0] || !got[1] || !got[2] {
		t.Fatalf("after two rotations, tokens of each key authenticate: %v", got)
	}
}

// TestKeyRotateRefusesAndCleansUp: a config the rotation cannot rewrite
// is left alone, and the key files just made are removed.
func TestKeyRotateRefusesAndCleansUp(t *testing.T) {
	secret := strings.Repeat("s", 40)
	cfg := writeConfig(t, strings.Replace(configText, `signing_key = "file:jwtd.key"`, "signing_key = \"\"\"\n"+secret+"\"\"\"", 1))
	before, _ := os.ReadFile(cfg)
	code, _, errs := run(t, "", "key", "rotate", "--kid", "x", "--write", "--config", cfg)
	if code == 0 || !strings.Contains(errs, "multi-line") {
		t.Fatalf("%d %s", code, errs)
	}
	after, _ := os.ReadFile(cfg)
	if string(after) != string(before) {
		t.Fatal("config changed")
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(cfg), "jwtd-x.key")); !os.IsNotExist(err) {
		t.Fatalf("key file left behind: %v", err)
	}
}

// TestKeyGenerate: the key file is private, the public half beside it,
// and the printed table loads as a ring key.
func TestKeyGenerate(t *testing.T) {
	cfg := writeConfig(t, configText)
	code, out, errs := run(t, "", "key", "generate", "--algorithm", "RS256", "--kid", "r1", "--state", "verify", "--config", cfg)
	if code != 0 {
		t.Fatalf("%d %s", code, errs)
	}
	var doc struct {
		Tokens struct {
			Keys []map[string]any `toml:"keys"`
		} `toml:"tokens"`
	}
	if _, err := toml.Decode(out, &doc); err != nil || len(doc.Tokens.Keys) != 1 {
		t.Fatalf("snippet %q: %v", out, err)
	}
	k := doc.Tokens.Keys[0]
	if k["kid"] != "r1" || k["algorithm"] != "RS256" || k["state"] != "verify" || k["signing_key"] != "file:jwtd-r1.key" || k["verifying_key"] != "file:jwtd-r1.key.pub" {
		t.Fatalf("snippet %v", k)
	}
	dir := filepath.Dir(cfg)
	priv, err := os.Stat(filepath.Join(dir, "jwtd-r1.key"))
	if err != nil || priv.Mode().Perm() != 0o600 {
		t.Fatalf("private key file %v %v", priv, err)
	}
	pub, err := os.ReadFile(filepath.Join(dir, "jwtd-r1.key.pub"))
	if err != nil || !strings.HasPrefix(string(pub), "-----BEGIN PUBLIC KEY-----") {
		t.Fatalf("public key file %q %v", pub, err)
	}
	if code, _, errs := run(t, "", "key", "generate", "--kid", "r1", "--config", cfg); code == 0 || !strings.Contains(errs, "not overwriting") {
		t.Fatalf("second generate with the same kid: %d %s", code, errs)
	}
}

// TestKeyRotateKeepsOwner: the rewritten config keeps its owner, group and
// mode (root:jwtd 0640 under systemd stays readable by jwtd).
func TestKeyRotateKeepsOwner(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to give the config another owner")
	}
	cfg := writeConfig(t, configText)
	if code, _, errs := run(t, "", "check-config", "--config", cfg); code != 0 { // makes jwtd.key
		t.Fatal(errs)
	}
	if err := os.Chown(cfg, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(cfg, 0o640); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := run(t, "", "key", "rotate", "--kid", "k", "--write", "--config", cfg); code != 0 {
		t.Fatal(errs)
	}
	st, err := os.Stat(cfg)
	if err != nil {
		t.Fatal(err)
	}
	owner := st.Sys().(*syscall.Stat_t)
	if owner.Uid != 65534 || owner.Gid != 65534 || st.Mode().Perm() != 0o640 {
		t.Fatalf("config is now %d:%d %v", owner.Uid, owner.Gid, st.Mode())
	}
}
