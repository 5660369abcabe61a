package core_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/sdk/memory"
)

// TestDefaultSettings: every setting's default is Simple JWT's.
func TestDefaultSettings(t *testing.T) {
	d := core.DefaultSettings()
	cases := []struct {
		name      string
		got, want any
	}{
		{"ACCESS_TOKEN_LIFETIME", d.AccessTokenLifetime, 5 * time.Minute},
		{"REFRESH_TOKEN_LIFETIME", d.RefreshTokenLifetime, 24 * time.Hour},
		{"ROTATE_REFRESH_TOKENS", d.RotateRefreshTokens, false},
		{"BLACKLIST_AFTER_ROTATION", d.BlacklistAfterRotation, false},
		{"UPDATE_LAST_LOGIN", d.UpdateLastLogin, false},
		{"ALGORITHM", d.Algorithm, "HS256"},
		{"SIGNING_KEY", d.SigningKey, ""},
		{"VERIFYING_KEY", d.VerifyingKey, ""},
		{"AUDIENCE", len(d.Audience), 0},
		{"ISSUER", d.Issuer, ""},
		{"JWK_URL", d.JWKURL, ""},
		{"LEEWAY", d.Leeway, time.Duration(0)},
		{"AUTH_HEADER_TYPES", d.AuthHeaderTypes, []string{"Bearer"}},
		{"AUTH_HEADER_NAME", d.AuthHeaderName, "Authorization"},
		{"USER_ID_FIELD", d.UserIDField, "id"},
		{"USER_ID_CLAIM", d.UserIDClaim, "user_id"},
		{"AUTH_TOKEN_CLASSES", d.AuthTokenClasses, []string{"access"}},
		{"TOKEN_TYPE_CLAIM", d.TokenTypeClaim, "token_type"},
		{"JTI_CLAIM", d.JTIClaim, "jti"},
		{"SLIDING_TOKEN_REFRESH_EXP_CLAIM", d.SlidingTokenRefreshExpClaim, "refresh_exp"},
		{"SLIDING_TOKEN_LIFETIME", d.SlidingTokenLifetime, 5 * time.Minute},
		{"SLIDING_TOKEN_REFRESH_LIFETIME", d.SlidingTokenRefreshLifetime, 24 * time.Hour},
		{"CHECK_REVOKE_TOKEN", d.CheckRevokeToken, false},
		{"REVOKE_TOKEN_CLAIM", d.RevokeTokenClaim, "hash_password"},
		{"CHECK_USER_IS_ACTIVE", d.CheckUserIsActive, true},
		{"custom token types", len(d.CustomTokenTypes), 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Fatalf("default %v, want %v", c.got, c.want)
			}
		})
	}
	// Defaults plus a signing key validate.
	d.SigningKey = strings.Repeat("k", 32)
	if err := d.Validate(); err != nil {
		t.Fatalf("defaults with a key: %v", err)
	}
}

func pemOf(t *testing.T, typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// TestValidateRefusals: every refusal names its setting.
func TestValidateRefusals(t *testing.T) {
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	weakPriv := pemOf(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsa1024))
	weakPubDER, _ := x509.MarshalPKIXPublicKey(&rsa1024.PublicKey)
	weakPub := pemOf(t, "PUBLIC KEY", weakPubDER)
	otherEC, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherECDER, _ := x509.MarshalPKIXPublicKey(&otherEC.PublicKey)
	otherECPub := pemOf(t, "PUBLIC KEY", otherECDER)

	cases := []struct {
		name    string
		mod     func(*core.Settings)
		setting string
		reason  string
	}{
		{"unknown algorithm", func(s *core.Settings) { s.Algorithm = "HS1024" }, "algorithm", "unknown algorithm"},
		{"none algorithm", func(s *core.Settings) { s.Algorithm = "none" }, "algorithm", "unknown algorithm"},
		{"no signing key", func(s *core.Settings) { s.SigningKey = "" }, "signing_key", "must be set"},
		{"short HMAC key", func(s *core.Settings) { s.SigningKey = strings.Repeat("k", 31) }, "signing_key", "31 bytes"},
		{"PEM key for HMAC", func(s *core.Settings) { s.SigningKey = readKey(t, "rsa2048.pem") }, "signing_key", "does not fit"},
		{"RSA under 2048 bits (signing)", func(s *core.Settings) { *s = keySettings(t, "RS256", "rsa2048"); s.SigningKey = weakPriv }, "signing_key", "1024 bits"},
		{"RSA under 2048 bits (verifying)", func(s *core.Settings) { *s = keySettings(t, "RS256", "rsa2048"); s.VerifyingKey = weakPub }, "verifying_key", "1024 bits"},
		{"asymmetric without verifying key", func(s *core.Settings) { *s = keySettings(t, "RS256", "rsa2048"); s.VerifyingKey = "" }, "verifying_key", "must be set"},
		{"EC key for RS256", func(s *core.Settings) { *s = keySettings(t, "ES256", "ecp256"); s.Algorithm = "RS256" }, "signing_key", "needs an RSA key"},
		{"RSA key for ES256", func(s *core.Settings) { *s = keySettings(t, "RS256", "rsa2048"); s.Algorithm = "ES256" }, "signing_key", "needs an EC key"},
		{"P-384 key for ES256", func(s *core.Settings) { *s = keySettings(t, "ES384", "ecp384"); s.Algorithm = "ES256" }, "signing_key", "curve"},
		{"RSA key for EdDSA", func(s *core.Settings) { *s = keySettings(t, "RS256", "rsa2048"); s.Algorithm = "EdDSA" }, "signing_key", "Ed25519"},
		{"verifying key of other type", func(s *core.Settings) {
			*s = keySettings(t, "ES256", "ecp256")
			s.VerifyingKey = readKey(t, "rsa2048.pub.pem")
		}, "verifying_key", "needs an EC key"},
		{"verifying key not the pair", func(s *core.Settings) { *s = keySettings(t, "ES256", "ecp256"); s.VerifyingKey = otherECPub }, "verifying_key", "public half"},
		{"signing key not PEM", func(s *core.Settings) { *s = keySettings(t, "RS256", "rsa2048"); s.SigningKey = "not pem" }, "signing_key", "not PEM"},
		{"public key as signing key", func(s *core.Settings) { *s = keySettings(t, "RS256", "rsa2048"); s.SigningKey = s.VerifyingKey }, "signing_key", "not a private key"},
		{"verifying key not PEM", func(s *core.Settings) { *s = keySettings(t, "RS256", "rsa2048"); s.VerifyingKey = "xx" }, "verifying_key", "not PEM"},
		{"jwk_url with HMAC", func(s *core.Settings) { s.JWKURL = "https://example.com/jwks.json" }, "jwk_url", "asymmetric"},
		{"jwk_url not http", func(s *core.Settings) { *s = keySettings(t, "RS256", "rsa2048"); s.JWKURL = "ftp://x/jwks" }, "jwk_url", "not an https URL"},
		{"jwk_url plain http", func(s *core.Settings) { *s = keySettings(t, "RS256", "rsa2048"); s.JWKURL = "http://127.0.0.1/jwks" }, "jwk_url", "plain http"},
		{"jwk_url plain http to a remote host despite the opt-in", func(s *core.Settings) {
			*s = keySettings(t, "RS256", "rsa2048")
			s.JWKURL, s.UnsafeJWKURLAllowHTTP = "http://example.com/jwks", true
		}, "jwk_url", "not loopback"},
		{"jwk_max_stale negative", func(s *core.Settings) { s.JWKMaxStale = -time.Second }, "jwk_max_stale", "negative"},
		{"access lifetime zero", func(s *core.Settings) { s.AccessTokenLifetime = 0 }, "access_token_lifetime", "positive"},
		{"refresh lifetime negative", func(s *core.Settings) { s.RefreshTokenLifetime = -time.Second }, "refresh_token_lifetime", "positive"},
		{"sliding lifetime fractional", func(s *core.Settings) { s.SlidingTokenLifetime = 1500 * time.Millisecond }, "sliding_token_lifetime", "whole seconds"},
		{"sliding refresh lifetime zero", func(s *core.Settings) { s.SlidingTokenRefreshLifetime = 0 }, "sliding_token_refresh_lifetime", "positive"},
		{"negative leeway", func(s *core.Settings) { s.Leeway = -time.Second }, "leeway", "negative"},
		{"empty user id field", func(s *core.Settings) { s.UserIDField = "" }, "user_id_field", "empty"},
		{"empty user id claim", func(s *core.Settings) { s.UserIDClaim = " " }, "user_id_claim", "empty"},
		{"empty token type claim", func(s *core.Settings) { s.TokenTypeClaim = "" }, "token_type_claim", "empty"},
		{"empty jti claim", func(s *core.Settings) { s.JTIClaim = "" }, "jti_claim", "empty"},
		{"empty refresh exp claim", func(s *core.Settings) { s.SlidingTokenRefreshExpClaim = "" }, "sliding_token_refresh_exp_claim", "empty"},
		{"empty revoke claim", func(s *core.Settings) { s.RevokeTokenClaim = "" }, "revoke_token_claim", "empty"},
		{"claim name is exp", func(s *core.Settings) { s.UserIDClaim = "exp" }, "user_id_claim", "registered claim"},
		{"two settings one claim", func(s *core.Settings) { s.JTIClaim = "user_id" }, "jti_claim", "also user_id_claim"},
		{"no header types", func(s *core.Settings) { s.AuthHeaderTypes = nil }, "auth_header_types", "at least one"},
		{"header type with space", func(s *core.Settings) { s.AuthHeaderTypes = []string{"Bearer X"} }, "auth_header_types", "single word"},
		{"empty header name", func(s *core.Settings) { s.AuthHeaderName = "" }, "auth_header_name", "empty"},
		{"no token classes", func(s *core.Settings) { s.AuthTokenClasses = nil }, "auth_token_classes", "at least one"},
		{"unknown token class", func(s *core.Settings) { s.AuthTokenClasses = []string{"bogus"} }, "auth_token_classes", "unknown token type"},
		{"custom type shadows builtin", func(s *core.Settings) { s.CustomTokenTypes = map[string]time.Duration{"access": time.Hour} }, "custom_token_types", "built-in"},
		{"custom type untyped", func(s *core.Settings) { s.CustomTokenTypes = map[string]time.Duration{"untyped": time.Hour} }, "custom_token_types", "not a usable"},
		{"custom type zero lifetime", func(s *core.Settings) { s.CustomTokenTypes = map[string]time.Duration{"api": 0} }, "custom_token_types", "positive"},
		{"empty audience entry", func(s *core.Settings) { s.Audience = []string{""} }, "audience", "empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := hsSettings(t)
			c.mod(&s)
			err := s.Validate()
			var se *core.SettingError
			if !errors.As(err, &se) {
				t.Fatalf("Validate = %v, want a SettingError", err)
			}
			if se.Setting != c.setting || !strings.Contains(se.Reason, c.reason) {
				t.Fatalf("refused %q (%s), want %q containing %q", se.Setting, se.Reason, c.setting, c.reason)
			}
			if !strings.Contains(err.Error(), "tokens."+c.setting) {
				t.Fatalf("message %q does not name the setting", err)
			}
			if _, err := core.New(s, core.Plugins{Users: memory.NewUserStore()}); !errors.As(err, &se) {
				t.Fatal("New accepted refused settings")
			}
		})
	}
}

// TestValidateAccepts: every algorithm with its vector keys, PKCS#1 and
// certificate forms, JWK URL without a verifying key.
func TestValidateAccepts(t *testing.T) {
	for _, ak := range algKeys {
		t.Run(ak.alg, func(t *testing.T) {
			if err := keySettings(t, ak.alg, ak.key).Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("jwk_url replaces verifying key", func(t *testing.T) {
		s := keySettings(t, "RS256", "rsa2048")
		s.VerifyingKey = ""
		s.JWKURL = "https://example.com/.well-known/jwks.json"
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
		if _, err := core.New(s, core.Plugins{Users: newEnv(t, hsSettings(t), envOpt{}).users}); err == nil || !strings.Contains(err.Error(), "jwk_url") {
			t.Fatalf("New without fetcher: %v", err)
		}
	})
	t.Run("PKCS1 RSA keys", func(t *testing.T) {
		s := keySettings(t, "RS256", "rsa2048")
		block, _ := pem.Decode([]byte(s.SigningKey))
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		rk := k.(*rsa.PrivateKey)
		s.SigningKey = pemOf(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk))
		s.VerifyingKey = pemOf(t, "RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rk.PublicKey))
		if err := s.Validate(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("users required", func(t *testing.T) {
		if _, err := core.New(hsSettings(t), core.Plugins{}); err == nil {
			t.Fatal("New without a user store")
		}
	})
}

func TestResolveKey(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "k.txt"), []byte("secret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "crlf.txt"), []byte("crlf\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "empty.txt"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JWTD_TEST_KEY", "secret-from-env")
	t.Setenv("JWTD_TEST_EMPTY", "")
	cases := []struct {
		name, spec, base, want, errHas string
	}{
		{"inline", "inline-secret", dir, "inline-secret", ""},
		{"empty means unset", "", dir, "", ""},
		{"file relative to base", "file:k.txt", dir, "secret-from-file", ""},
		{"file absolute", "file:" + filepath.Join(dir, "k.txt"), "/nonexistent", "secret-from-file", ""},
		{"file CRLF trimmed once", "file:crlf.txt", dir, "crlf", ""},
		{"file missing", "file:nope.txt", dir, "", "reading key file"},
		{"file empty", "file:empty.txt", dir, "", "empty"},
		{"file no path", "file:", dir, "", "needs a path"},
		{"env", "env:JWTD_TEST_KEY", dir, "secret-from-env", ""},
		{"env unset", "env:JWTD_TEST_NOPE", dir, "", "not set"},
		{"env empty", "env:JWTD_TEST_EMPTY", dir, "", "is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := core.ResolveKey(c.spec, c.base)
			if c.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), c.errHas) {
					t.Fatalf("err = %v, want %q", err, c.errHas)
				}
				return
			}
			if err != nil || string(got) != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}
