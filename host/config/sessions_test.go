package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/host/config"
)

// TestSessionKeys: the [tokens] session keys map to core.Settings, with
// reuse_interval "0s" allowed (it turns the interval off) and bad values
// refused naming the key.
func TestSessionKeys(t *testing.T) {
	load := func(lines string) (core.Settings, error) {
		cfg, err := config.Load(write(t, strings.Replace(minimal, "[tokens]", "[tokens]\n"+lines, 1)), config.Options{NoKeyGeneration: true})
		if err != nil {
			return core.Settings{}, err
		}
		return cfg.Tokens, nil
	}
	s, err := load("")
	if err != nil || s.Sessions || s.SessionIDClaim != "sid" || s.ReuseInterval != 10*time.Second ||
		s.SessionAbsoluteLifetime != 720*time.Hour || s.RevokeAccessTokens || !s.SessionClientInfo {
		t.Fatalf("defaults: %+v, %v", s, err)
	}
	s, err = load("sessions = true\nsession_id_claim = \"fam\"\nreuse_interval = \"0s\"\nsession_absolute_lifetime = \"12h\"\nrevoke_access_tokens = true\nsession_client_info = false")
	if err != nil || !s.Sessions || s.SessionIDClaim != "fam" || s.ReuseInterval != 0 ||
		s.SessionAbsoluteLifetime != 12*time.Hour || !s.RevokeAccessTokens || s.SessionClientInfo {
		t.Fatalf("set: %+v, %v", s, err)
	}
	for _, c := range []struct{ lines, key string }{
		{"reuse_interval = \"-1s\"", "tokens.reuse_interval"},
		{"reuse_interval = \"soon\"", "tokens.reuse_interval"},
		{"session_absolute_lifetime = \"0s\"", "tokens.session_absolute_lifetime"},
		{"session_id_claim = \"\"", "tokens.session_id_claim"},
		{"sessions = true\nsession_id_claim = \"jti\"", "tokens.session_id_claim"},
		{"revoke_access_tokens = true", "tokens.revoke_access_tokens"},
	} {
		s, err := load(c.lines)
		if err == nil {
			// Some refusals are core's, at Validate.
			err = s.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%q: %v; want a refusal naming %s", c.lines, err, c.key)
		}
	}
}
