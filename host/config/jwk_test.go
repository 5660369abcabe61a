package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/config"
)

// TestLoadJWKURLSettings: jwtd's own JWK_URL keys reach core.Settings, and
// a bad jwk_max_stale is refused naming the key.
func TestLoadJWKURLSettings(t *testing.T) {
	body := strings.Replace(minimal, "[tokens]", "[tokens]\njwk_max_stale = \"20m\"\nunsafe_jwk_url_allow_http = true", 1)
	cfg, err := config.Load(write(t, body), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Tokens.JWKMaxStale != 20*time.Minute || !cfg.Tokens.UnsafeJWKURLAllowHTTP {
		t.Fatalf("jwk_max_stale %s, unsafe_jwk_url_allow_http %v", cfg.Tokens.JWKMaxStale, cfg.Tokens.UnsafeJWKURLAllowHTTP)
	}
	cfg, err = config.Load(write(t, minimal), config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Tokens.JWKMaxStale != 0 || cfg.Tokens.UnsafeJWKURLAllowHTTP {
		t.Fatalf("defaults: jwk_max_stale %s (0 is the core's default), unsafe_jwk_url_allow_http %v", cfg.Tokens.JWKMaxStale, cfg.Tokens.UnsafeJWKURLAllowHTTP)
	}
	for _, bad := range []string{`"-1m"`, `"soon"`, `"0s"`} {
		_, err := config.Load(write(t, strings.Replace(minimal, "[tokens]", "[tokens]\njwk_max_stale = "+bad, 1)), config.Options{})
		if err == nil || !strings.Contains(err.Error(), "tokens.jwk_max_stale") {
			t.Errorf("jwk_max_stale = %s: %v, want a refusal naming tokens.jwk_max_stale", bad, err)
		}
	}
}
