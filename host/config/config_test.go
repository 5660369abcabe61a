package config_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/config"
)

const secret = "0123456789abcdef0123456789abcdef-secret"

// write puts a config file with body into a fresh directory and returns its path.
func write(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "jwtd.toml")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const minimal = `
[tokens]
signing_key = "` + secret + `"
[plugins.user_store]
use = "memory"
`

func TestLoadRefusesBadInput(t *testing.T) {
	// A key that resolves, so the case naming it in a plugin's env gets past
	// the key check.
	t.Setenv("CONFIG_TEST_KEYVAR", strings.Repeat("k", 64))
	cases := []struct {
		name, body, wantKey string
	}{
		{"unknown top-level key", minimal + "\n[extra]\nx = 1\n", "extra"},
		{"unknown tokens key", strings.Replace(minimal, "[tokens]", "[tokens]\naccess_token_lifetme = \"5m\"", 1), "tokens.access_token_lifetme"},
		{"unknown server key", minimal + "\n[server]\nlisten_addr = \"x\"\n", "server.listen_addr"},
		{"unknown plugin key", minimal + "\nsha = \"x\"\n", "plugins.user_store.sha"},
		{"unknown plugin kind", minimal + "\n[plugins.auth_rules]\nuse = \"default\"\n", "plugins.auth_rules"},
		{"wrong type bool", strings.Replace(minimal, "[tokens]", "[tokens]\nrotate_refresh_tokens = \"yes\"", 1), "rotate_refresh_tokens"},
		{"wrong type duration int", strings.Replace(minimal, "[tokens]", "[tokens]\naccess_token_lifetime = 300", 1), "access_token_lifetime"},
		{"bad duration", strings.Replace(minimal, "[tokens]", "[tokens]\naccess_token_lifetime = \"5 minutes\"", 1), "tokens.access_token_lifetime"},
		{"negative duration", strings.Replace(minimal, "[tokens]", "[tokens]\nrefresh_token_lifetime = \"-1h\"", 1), "tokens.refresh_token_lifetime"},
		{"audience of numbers", strings.Replace(minimal, "[tokens]", "[tokens]\naudience = [1, 2]", 1), "tokens.audience[0]"},
		{"bad header name", strings.Replace(minimal, "[tokens]", "[tokens]\nauth_header_name = \"Auth Header\"", 1), "tokens.auth_header_name"},
		{"no user store", "[tokens]\nsigning_key = \"" + secret + "\"\n", "plugins.user_store"},
		{"plugin without use", minimal + "\n[plugins.blacklist_store]\ncall_timeout = \"1s\"\n", "plugins.blacklist_store.use"},
		{"bad sha256", minimal + "\n[plugins.auth_rule]\nuse = \"./rule\"\nsha256 = \"abc\"\n", "plugins.auth_rule.sha256"},
		{"sha256 on a built-in", minimal + "\n[plugins.auth_rule]\nuse = \"default\"\nsha256 = \"" + strings.Repeat("a", 64) + "\"\n", "plugins.auth_rule.sha256"},
		{"bad log format", minimal + "\n[server]\nlog_format = \"xml\"\n", "server.log_format"},
		{"tiny body cap", minimal + "\n[server]\nmax_body_bytes = 10\n", "server.max_body_bytes"},
		{"missing key file", "[tokens]\nsigning_key = \"file:/nonexistent/jwtd.key\"\n[plugins.user_store]\nuse = \"memory\"\n", "tokens.signing_key"},
		{"missing env key", "[tokens]\nsigning_key = \"env:JWTD_TEST_SURELY_UNSET\"\n[plugins.user_store]\nuse = \"memory\"\n", "tokens.signing_key"},
		{"conflicting rule shorthand", strings.Replace(minimal, "[tokens]", "[tokens]\nuser_authentication_rule = \"default\"", 1) + "\n[plugins.auth_rule]\nuse = \"/opt/rule\"\n", "tokens.user_authentication_rule"},
		{"toml syntax", "[tokens\n", "invalid config"},
		{"env not a name", minimal + "\n[plugins.auth_rule]\nuse = \"./rule\"\nenv = [\"A=B\"]\n", "plugins.auth_rule.env[0]"},
		{"env like a signing key", minimal + "\n[plugins.auth_rule]\nuse = \"./rule\"\nenv = [\"OK\", \"JWTD_SIGNING_KEY\"]\n", "plugins.auth_rule.env[1]"},
		{"env of the plugin protocol", minimal + "\n[plugins.auth_rule]\nuse = \"./rule\"\nenv = [\"PLUGIN_CLIENT_CERT\"]\n", "plugins.auth_rule.env[0]"},
		{"env on a built-in", minimal + "\n[plugins.auth_rule]\nuse = \"default\"\nenv = [\"OK\"]\n", "plugins.auth_rule.env"},
		{"env naming the signing key's variable", "[tokens]\nsigning_key = \"env:CONFIG_TEST_KEYVAR\"\n[plugins.user_store]\nuse = \"./store\"\nenv = [\"CONFIG_TEST_KEYVAR\"]\n", "plugins.user_store.env"},
		{"bad trusted proxy", minimal + "\n[server.throttle]\ntrusted_proxies = [\"proxy.local\"]\n", "server.throttle.trusted_proxies[0]"},
		{"negative cache_ttl", minimal + "cache_ttl = \"-1s\"\n", "plugins.user_store.cache_ttl"},
		{"cache_ttl over a minute", minimal + "cache_ttl = \"61s\"\n", "plugins.user_store.cache_ttl"},
		{"cache_ttl not a duration", minimal + "cache_ttl = \"2 seconds\"\n", "plugins.user_store.cache_ttl"},
		{"cache_ttl on a blacklist store", minimal + "\n[plugins.blacklist_store]\nuse = \"memory\"\ncache_ttl = \"2s\"\n", "plugins.blacklist_store.cache_ttl"},
		{"zero cache_size", minimal + "cache_ttl = \"2s\"\ncache_size = 0\n", "plugins.user_store.cache_size"},
		{"negative cache_size", minimal + "cache_size = -5\n", "plugins.user_store.cache_size"},
		{"negative rate", minimal + "\n[server.throttle]\nlogin_rate_per_addr = -1.0\n", "server.throttle.login_rate_per_addr"},
		{"brute-force window too short", minimal + "\n[server.brute_force]\nwindow = \"500ms\"\n", "server.brute_force.window"},
		{"zero max_failures", minimal + "\n[server.brute_force]\nmax_failures = 0\n", "server.brute_force.max_failures"},
		{"negative per-address limit", minimal + "\n[server.brute_force]\nmax_failures_per_address = -1\n", "server.brute_force.max_failures_per_address"},
		{"unknown brute-force key", minimal + "\n[server.brute_force]\nban_time = \"5m\"\n", "server.brute_force.ban_time"},
		{"public_ops not a bool", minimal + "\n[server]\npublic_ops = \"yes\"\n", "server.public_ops"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Load(write(t, tc.body), config.Options{NoKeyGeneration: true})
			if err == nil {
				t.Fatal("Load accepted a bad config")
			}
			if !strings.Contains(err.Error(), tc.wantKey) {
				t.Fatalf("error %q does not name %q", err, tc.wantKey)
			}
		})
	}
}

func TestLoadMapsEveryTokensKey(t *testing.T) {
	t.Setenv("JWTD_TEST_VERIFYING", "pubkey-material")
	body := `
[server]
listen = "0.0.0.0:9000"
prefix = "/auth/jwt/"
max_body_bytes = 4096
read_timeout = "3s"
log_format = "json"
log_level = "DEBUG"

[server.throttle]
login_rate_per_addr = 30
login_rate_per_username = 5.5
login_burst = 3
trusted_proxies = ["10.0.0.0/8", "192.168.1.1"]
login_concurrency = 4
login_max_wait = "1s"

[server.brute_force]
enabled = false
window = "30m"
max_failures = 3
max_failures_per_account = 0
max_failures_per_address = 100

[tokens]
access_token_lifetime = "10m"
refresh_token_lifetime = "48h"
rotate_refresh_tokens = true
blacklist_after_rotation = true
update_last_login = true
algorithm = "HS512"
signing_key = "file:secret.txt"
verifying_key = "env:JWTD_TEST_VERIFYING"
audience = "my-api"
issuer = "https://issuer.example"
jwk_url = "https://issuer.example/jwks"
leeway = 30
auth_header_types = ["Bearer", "JWT"]
auth_header_name = "HTTP_X_ACCESS_TOKEN"
user_id_field = "username"
user_id_claim = "uid"
auth_token_classes = ["rest_framework_simplejwt.tokens.AccessToken", "sliding"]
token_type_claim = "typ2"
jti_claim = "id"
sliding_token_refresh_exp_claim = "rexp"
sliding_token_lifetime = "7m"
sliding_token_refresh_lifetime = "2h"
check_revoke_token = true
revoke_token_claim = "pw"
check_user_is_active = false
user_authentication_rule = "default"
token_user_class = "default"

[tokens.custom_token_types]
api = "720h"

[plugins.user_store]
use = "sqlite"
call_timeout = "2s"
[plugins.user_store.config]
path = "data/users.db"
table = "auth_user"

[plugins.blacklist_store]
use = "plugins/jwtd-plugin-redis"
sha256 = "` + strings.Repeat("AB", 32) + `"
[plugins.blacklist_store.config]
addrs = ["127.0.0.1:6379"]
`
	path := write(t, body)
	dir := filepath.Dir(path)
	if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Tokens
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen", cfg.Server.Listen, "0.0.0.0:9000"},
		{"prefix", cfg.Server.Prefix, "/auth/jwt"},
		{"max_body_bytes", cfg.Server.MaxBodyBytes, int64(4096)},
		{"read_timeout", cfg.Server.ReadTimeout, 3 * time.Second},
		{"write_timeout default", cfg.Server.WriteTimeout, 30 * time.Second},
		{"log_format", cfg.Server.LogFormat, "json"},
		{"log_level", cfg.Server.LogLevel, "debug"},
		{"throttle per addr", cfg.Server.Throttle.LoginRatePerAddr, 30.0},
		{"throttle per username", cfg.Server.Throttle.LoginRatePerUsername, 5.5},
		{"throttle burst", cfg.Server.Throttle.LoginBurst, 3},
		{"trusted proxies", fmt.Sprint(cfg.Server.Throttle.TrustedProxies), "[10.0.0.0/8 192.168.1.1/32]"},
		{"login concurrency", cfg.Server.Throttle.LoginConcurrency, 4},
		{"login max wait", cfg.Server.Throttle.LoginMaxWait, time.Second},
		{"brute force", cfg.Server.BruteForce, config.BruteForce{Window: 30 * time.Minute, MaxFailures: 3, MaxFailuresPerAddress: 100}},
		{"access", s.AccessTokenLifetime, 10 * time.Minute},
		{"refresh", s.RefreshTokenLifetime, 48 * time.Hour},
		{"rotate", s.RotateRefreshTokens, true},
		{"blacklist after rotation", s.BlacklistAfterRotation, true},
		{"update last login", s.UpdateLastLogin, true},
		{"algorithm", s.Algorithm, "HS512"},
		{"signing key from file, newline dropped", s.SigningKey, secret},
		{"verifying key from env", s.VerifyingKey, "pubkey-material"},
		{"audience string", strings.Join(s.Audience, ","), "my-api"},
		{"issuer", s.Issuer, "https://issuer.example"},
		{"jwk_url", s.JWKURL, "https://issuer.example/jwks"},
		{"leeway seconds", s.Leeway, 30 * time.Second},
		{"header types", strings.Join(s.AuthHeaderTypes, ","), "Bearer,JWT"},
		{"header name from META form", s.AuthHeaderName, "X-Access-Token"},
		{"user id field", s.UserIDField, "username"},
		{"user id claim", s.UserIDClaim, "uid"},
		{"token classes", strings.Join(s.AuthTokenClasses, ","), "access,sliding"},
		{"type claim", s.TokenTypeClaim, "typ2"},
		{"jti claim", s.JTIClaim, "id"},
		{"refresh exp claim", s.SlidingTokenRefreshExpClaim, "rexp"},
		{"sliding lifetime", s.SlidingTokenLifetime, 7 * time.Minute},
		{"sliding refresh lifetime", s.SlidingTokenRefreshLifetime, 2 * time.Hour},
		{"check revoke", s.CheckRevokeToken, true},
		{"revoke claim", s.RevokeTokenClaim, "pw"},
		{"check user is active", s.CheckUserIsActive, false},
		{"custom type", s.CustomTokenTypes["api"], 720 * time.Hour},
		{"rule shorthand", cfg.Plugins.AuthRule.Use, "default"},
		{"claims shorthand", cfg.Plugins.ClaimSerializer.Use, "default"},
		{"user store", cfg.Plugins.UserStore.Use, "sqlite"},
		{"call timeout", cfg.Plugins.UserStore.CallTimeout, 2 * time.Second},
		{"relative db path made absolute", cfg.Plugins.UserStore.Config["path"], filepath.Join(dir, "data/users.db")},
		{"other config values as they are", cfg.Plugins.UserStore.Config["table"], "auth_user"},
		{"external plugin path", cfg.Plugins.BlacklistStore.Use, filepath.Join(dir, "plugins/jwtd-plugin-redis")},
		{"external", cfg.Plugins.BlacklistStore.External, true},
		{"sha256 lowercased", cfg.Plugins.BlacklistStore.SHA256, strings.Repeat("ab", 32)},
		{"default call timeout", cfg.Plugins.BlacklistStore.CallTimeout, config.DefaultCallTimeout},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := config.Load(write(t, minimal), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Server; !reflect.DeepEqual(got, config.DefaultServer()) {
		t.Errorf("server defaults: got %+v", got)
	}
	if bf := cfg.Server.BruteForce; !bf.Enabled || bf.Window != 10*time.Minute || bf.MaxFailures != 5 || cfg.Server.PublicOps {
		t.Errorf("brute-force protection must be on, and ops off the API listener, by default: %+v", cfg.Server)
	}
	if cfg.Server.MaxBodyBytes != 1<<20 || cfg.Server.Prefix != "/api/token" || cfg.Server.Listen != "127.0.0.1:8000" {
		t.Errorf("unexpected server defaults %+v", cfg.Server)
	}
	s := cfg.Tokens
	if s.AccessTokenLifetime != 5*time.Minute || s.RefreshTokenLifetime != 24*time.Hour || s.Algorithm != "HS256" ||
		s.AuthHeaderName != "Authorization" || s.UserIDClaim != "user_id" || len(s.AuthTokenClasses) != 1 {
		t.Errorf("token defaults differ from Simple JWT's: %+v", config.Redacted(s))
	}
	if cfg.Plugins.BlacklistStore != nil || cfg.Plugins.AuthRule != nil {
		t.Errorf("absent plugin sections must stay nil")
	}
}

func TestHeaderName(t *testing.T) {
	cases := map[string]string{
		"HTTP_AUTHORIZATION":  "Authorization",
		"Authorization":       "Authorization",
		"HTTP_X_ACCESS_TOKEN": "X-Access-Token",
		"x-access-token":      "X-Access-Token",
	}
	for in, want := range cases {
		got, err := config.HeaderName(in)
		if err != nil || got != want {
			t.Errorf("HeaderName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "HTTP_", "X Token", "X:Token"} {
		if _, err := config.HeaderName(bad); err == nil {
			t.Errorf("HeaderName(%q) accepted", bad)
		}
	}
}

func TestResolve(t *testing.T) {
	t.Setenv(config.EnvConfig, "")
	if got := config.Resolve(""); got != "jwtd.toml" {
		t.Errorf("default: %q", got)
	}
	t.Setenv(config.EnvConfig, "/etc/jwtd/jwtd.toml")
	if got := config.Resolve(""); got != "/etc/jwtd/jwtd.toml" {
		t.Errorf("env: %q", got)
	}
	if got := config.Resolve("x.toml"); got != "x.toml" {
		t.Errorf("flag wins: %q", got)
	}
}

func TestKeyGeneratedOnceWith0600(t *testing.T) {
	path := write(t, `
[tokens]
signing_key = "file:jwtd.key"
[plugins.user_store]
use = "memory"
`)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	cfg, err := config.Load(path, config.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(filepath.Dir(path), "jwtd.key")
	if cfg.GeneratedKey != keyPath {
		t.Fatalf("GeneratedKey = %q, want %q", cfg.GeneratedKey, keyPath)
	}
	fi, err := os.Stat(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(keyPath)
	if len(data) != 128 || cfg.Tokens.SigningKey != string(data) {
		t.Errorf("key: %d hex chars, settings hold the file's content: %v", len(data), cfg.Tokens.SigningKey == string(data))
	}
	if strings.Contains(logs.String(), string(data)) {
		t.Error("the generated key was logged")
	}
	if n := strings.Count(logs.String(), "generated a new HMAC signing key"); n != 1 {
		t.Errorf("generation logged %d times", n)
	}

	logs.Reset()
	cfg2, err := config.Load(path, config.Options{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	if cfg2.GeneratedKey != "" || cfg2.Tokens.SigningKey != cfg.Tokens.SigningKey || logs.Len() != 0 {
		t.Errorf("second start regenerated or logged: %q", logs.String())
	}
}

func TestKeyNotGeneratedForAbsolutePathOrAsymmetric(t *testing.T) {
	for name, tokens := range map[string]string{
		"absolute path": `signing_key = "file:/nonexistent-dir/jwtd.key"`,
		"asymmetric":    "algorithm = \"RS256\"\nsigning_key = \"file:jwtd.key\"",
	} {
		t.Run(name, func(t *testing.T) {
			path := write(t, "[tokens]\n"+tokens+"\n[plugins.user_store]\nuse = \"memory\"\n")
			_, err := config.Load(path, config.Options{})
			if err == nil || !errors.Is(err, config.ErrInvalid) {
				t.Fatalf("want a refusal naming the key, got %v", err)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(path), "jwtd.key")); err == nil {
				t.Error("a key file was generated")
			}
		})
	}
}

func TestRedactedHidesKeys(t *testing.T) {
	cfg, err := config.Load(write(t, minimal), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("start", "tokens", config.Redacted(cfg.Tokens))
	for _, out := range []string{logs.String(), config.Redacted(cfg.Tokens).String()} {
		if strings.Contains(out, secret) {
			t.Fatalf("secret in %q", out)
		}
		if !strings.Contains(out, "redacted") {
			t.Errorf("no redaction note in %q", out)
		}
	}
}

// TestPluginEnvAllowList: a plugin binary's env list reaches
// config.Plugin.Env as written; without one, nothing is passed.
func TestPluginEnvAllowList(t *testing.T) {
	cases := []struct {
		name, section string
		want          []string
	}{
		{"named", "use = \"./store\"\nenv = [\"REDIS_PASSWORD\", \"HTTPS_PROXY\"]\n", []string{"REDIS_PASSWORD", "HTTPS_PROXY"}},
		{"none", "use = \"./store\"\n", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := "[tokens]\nsigning_key = \"" + strings.Repeat("s", 40) + "\"\n[plugins.user_store]\n" + tc.section
			cfg, err := config.Load(write(t, body), config.Options{NoKeyGeneration: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Plugins.UserStore.Env; !slices.Equal(got, tc.want) {
				t.Fatalf("Env = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestUserStoreCache: cache_ttl and cache_size reach config.Plugin; the
// cache is off unless cache_ttl is set.
func TestUserStoreCache(t *testing.T) {
	cases := []struct {
		name, extra string
		ttl         time.Duration
		size        int
	}{
		{"default off", "", 0, config.DefaultCacheSize},
		{"explicit off", "cache_ttl = \"0s\"\n", 0, config.DefaultCacheSize},
		{"two seconds", "cache_ttl = \"2s\"\n", 2 * time.Second, config.DefaultCacheSize},
		{"one minute, small", "cache_ttl = \"1m\"\ncache_size = 50\n", time.Minute, 50},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := config.Load(write(t, minimal+tc.extra), config.Options{NoKeyGeneration: true})
			if err != nil {
				t.Fatal(err)
			}
			us := cfg.Plugins.UserStore
			if us.CacheTTL != tc.ttl || us.CacheSize != tc.size {
				t.Fatalf("CacheTTL, CacheSize = %v, %d; want %v, %d", us.CacheTTL, us.CacheSize, tc.ttl, tc.size)
			}
		})
	}
}

// TestPluginUser: user and group reach config.Plugin for a plugin binary;
// they are refused for built-ins, malformed, or group without user.
func TestPluginUser(t *testing.T) {
	cases := []struct {
		name, section string
		user, group   string
		wantErr       string
	}{
		{"user and group", "use = \"./store\"\nuser = \"jwtd-plugin\"\ngroup = \"jwtd-plugin\"\n", "jwtd-plugin", "jwtd-plugin", ""},
		{"numeric uid", "use = \"./store\"\nuser = \"65534\"\n", "65534", "", ""},
		{"none", "use = \"./store\"\n", "", "", ""},
		{"built-in", "use = \"memory\"\nuser = \"nobody\"\n", "", "", "plugins.user_store.user: only applies to a plugin binary"},
		{"group alone", "use = \"./store\"\ngroup = \"nogroup\"\n", "", "", "plugins.user_store.group: needs user"},
		{"malformed", "use = \"./store\"\nuser = \"a b\"\n", "", "", "plugins.user_store.user: \"a b\" is not a user name"},
		{"not a string", "use = \"./store\"\nuser = 65534\n", "", "", "user"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := "[tokens]\nsigning_key = \"" + strings.Repeat("s", 40) + "\"\n[plugins.user_store]\n" + tc.section
			cfg, err := config.Load(write(t, body), config.Options{NoKeyGeneration: true})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if us := cfg.Plugins.UserStore; us.User != tc.user || us.Group != tc.group {
				t.Fatalf("User, Group = %q, %q; want %q, %q", us.User, us.Group, tc.user, tc.group)
			}
		})
	}
}
