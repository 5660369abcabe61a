// Package config loads jwtd.toml (docs/config.md): the [server] section, the
// [tokens] section (Simple JWT's settings, mapped onto core.Settings) and the
// [plugins.*] sections. Loading is strict: an unknown key or a value of the
// wrong type is refused with the key's full name, so a typo is a start-up
// error rather than a silently ignored setting.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/host/httpapi"
)

// DefaultPath is the config file used when neither --config nor JWTD_CONFIG
// names one.
const DefaultPath = "jwtd.toml"

// EnvConfig is the environment variable naming the config file.
const EnvConfig = "JWTD_CONFIG"

// Config is a loaded, checked jwtd.toml.
type Config struct {
	// Path is the absolute path of the file it was loaded from.
	Path string
	// Dir is the file's directory: relative paths inside the file (key files,
	// plugin binaries, database files) are taken relative to it.
	Dir string
	// Server holds the [server] section with defaults applied.
	Server Server
	// Tokens holds the [tokens] section as core settings, with key material
	// resolved (never log it directly; use Redacted).
	Tokens core.Settings
	// Plugins holds the [plugins.*] sections.
	Plugins Plugins
	// ForwardAuth holds the [forward_auth] section (/api/forward-auth/).
	ForwardAuth httpapi.ForwardAuth
	// Cookies holds the [cookies] section: the opt-in cookie transport
	// for browser apps.
	Cookies httpapi.Cookies
	// GeneratedKey is the path of a signing key file Load generated because
	// it was absent (the embedded default's first start), or "".
	GeneratedKey string
}

// ErrInvalid wraps every refusal of a config file's content.
var ErrInvalid = errors.New("invalid config")

// Options tune Load.
type Options struct {
	// Logger receives the one-time notice that a signing key was generated.
	// Nil means slog.Default().
	Logger *slog.Logger
	// NoKeyGeneration disables generating an absent HMAC key file.
	NoKeyGeneration bool
}

// Resolve picks the config file path: flagValue when set, else $JWTD_CONFIG,
// else ./jwtd.toml.
func Resolve(flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	if env := os.Getenv(EnvConfig); env != "" {
		return env
	}
	return DefaultPath
}

// Load reads, decodes and checks the config file at path.
func Load(path string, opts Options) (*Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := Parse(data, filepath.Dir(abs), opts)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	cfg.Path = abs
	return cfg, nil
}

// Parse decodes and checks config text; baseDir is the directory relative
// paths are taken from.
func Parse(data []byte, baseDir string, opts Options) (*Config, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	var raw rawFile
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		names := make([]string, len(und))
		for i, k := range und {
			names[i] = k.String()
		}
		return nil, fmt.Errorf("%w: unknown key %s", ErrInvalid, strings.Join(names, ", "))
	}
	cfg := &Config{Dir: baseDir}
	if cfg.Server, err = raw.Server.build(); err != nil {
		return nil, err
	}
	if cfg.Cookies, err = raw.Cookies.build(cfg.Server.Prefix); err != nil {
		return nil, err
	}
	if cfg.ForwardAuth, err = raw.ForwardAuth.build(); err != nil {
		return nil, err
	}
	if cfg.Plugins, err = raw.Plugins.build(baseDir); err != nil {
		return nil, err
	}
	if err := applyShorthands(raw.Tokens, &cfg.Plugins, baseDir); err != nil {
		return nil, err
	}
	if !opts.NoKeyGeneration {
		generated, err := ensureSigningKey(raw.Tokens, baseDir)
		if err != nil {
			return nil, err
		}
		if generated != "" {
			cfg.GeneratedKey = generated
			logger.Info("generated a new HMAC signing key; keep this file secret", "path", generated)
		}
	}
	if cfg.Tokens, err = raw.Tokens.build(baseDir); err != nil {
		return nil, err
	}
	if err := keyEnvNotPassed(raw.Tokens, cfg.Plugins); err != nil {
		return nil, err
	}
	return cfg, nil
}

// rawFile is the file's shape as TOML sees it.
type rawFile struct {
	Server      rawServer      `toml:"server"`
	Tokens      rawTokens      `toml:"tokens"`
	Plugins     rawPlugins     `toml:"plugins"`
	ForwardAuth rawForwardAuth `toml:"forward_auth"`
	Cookies     rawCookies     `toml:"cookies"`
}

// keyEnvNotPassed refuses a plugin env allow-list naming the variable the
// signing or verifying key is read from ("env:NAME"): keeping the key out
// of plugin processes is why they get no environment by default.
func keyEnvNotPassed(t rawTokens, p Plugins) error {
	secret := map[string]string{}
	for key, v := range keySpecs(t) {
		if v != nil && strings.HasPrefix(*v, "env:") {
			secret[strings.TrimPrefix(*v, "env:")] = key
		}
	}
	for _, pl := range []*Plugin{p.UserStore, p.BlacklistStore, p.AuthRule, p.ClaimSerializer} {
		if pl == nil {
			continue
		}
		for _, name := range pl.Env {
			if from, ok := secret[name]; ok {
				return invalid("plugins."+pl.Kind+".env", "%q holds %s and is never passed to a plugin", name, from)
			}
		}
	}
	return nil
}

func invalid(key, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalid, key, fmt.Sprintf(format, args...))
}

// applyShorthands honours Simple JWT's class-naming settings under [tokens]
// (user_authentication_rule; token_user_class, json_encoder and the six
// serializer settings) as shorthands for [plugins.auth_rule] and
// [plugins.claim_serializer]'s `use`. A shorthand and a section naming
// different plugins is refused rather than guessed at.
func applyShorthands(t rawTokens, p *Plugins, baseDir string) error {
	if t.UserAuthenticationRule != nil {
		var err error
		if p.AuthRule, err = shorthand(p.AuthRule, KindAuthRule, "tokens.user_authentication_rule", *t.UserAuthenticationRule, baseDir); err != nil {
			return err
		}
	}
	claims := []struct {
		key string
		v   *string
	}{
		{"tokens.token_user_class", t.TokenUserClass},
		{"tokens.json_encoder", t.JSONEncoder},
		{"tokens.token_obtain_serializer", t.TokenObtainSerializer},
		{"tokens.token_refresh_serializer", t.TokenRefreshSerializer},
		{"tokens.token_verify_serializer", t.TokenVerifySerializer},
		{"tokens.token_blacklist_serializer", t.TokenBlacklistSerializer},
		{"tokens.sliding_token_obtain_serializer", t.SlidingTokenObtainSerializer},
		{"tokens.sliding_token_refresh_serializer", t.SlidingTokenRefreshSerializer},
	}
	for _, c := range claims {
		if c.v == nil {
			continue
		}
		var err error
		if p.ClaimSerializer, err = shorthand(p.ClaimSerializer, KindClaimSerializer, c.key, *c.v, baseDir); err != nil {
			return err
		}
	}
	return nil
}

func shorthand(cur *Plugin, kind, key, use, baseDir string) (*Plugin, error) {
	if use == "" {
		return cur, nil
	}
	r := rawPlugin{Use: &use}
	p, err := r.build(kind, baseDir)
	if err != nil {
		return nil, invalid(key, "%v", err)
	}
	if cur == nil {
		return p, nil
	}
	if cur.Use != p.Use {
		return nil, invalid(key, "names %q but [plugins.%s] uses %q", use, kind, cur.Use)
	}
	return cur, nil
}
