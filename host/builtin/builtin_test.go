package builtin_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/host/builtin"
	"github.com/jwtd/jwtd/sdk"
)

// TestEveryBuiltinBuilds: each name jwtd.toml may use builds from a valid
// config, and the stores answer a ping where they can.
func TestEveryBuiltinBuilds(t *testing.T) {
	ctx := context.Background()
	r := builtin.Default()
	db := filepath.Join(t.TempDir(), "jwtd.db")
	users, err := r.UserStore(ctx, "sqlite", sdk.Config{"path": db})
	if err != nil {
		t.Fatal(err)
	}
	if fields, err := users.LoginFields(ctx); err != nil || strings.Join(fields, ",") != "username,password" {
		t.Errorf("sqlite login fields %v %v", fields, err)
	}
	bl, err := r.BlacklistStore(ctx, "sqlite", sdk.Config{"path": db})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{users, bl} {
		if p, ok := v.(sdk.Pinger); !ok || p.Ping(ctx) != nil {
			t.Errorf("%T does not answer a ping", v)
		}
		if c, ok := v.(interface{ Close() error }); ok {
			c.Close()
		}
	}
	if _, err := r.UserStore(ctx, "memory", nil); err != nil {
		t.Error(err)
	}
	if _, err := r.BlacklistStore(ctx, "memory", nil); err != nil {
		t.Error(err)
	}
	if rule, err := r.AuthRule(ctx, "default", nil); err != nil || rule == nil {
		t.Errorf("default rule: %v %v", rule, err)
	}
	if cs, err := r.ClaimSerializer(ctx, "default", nil); err != nil || cs == nil {
		t.Errorf("default claim serializer: %v %v", cs, err)
	}
	for _, name := range []string{"redis", "postgres", "mysql"} {
		if _, ok := r.BlacklistStores[name]; !ok {
			t.Errorf("%s blacklist not registered", name)
		}
	}
	for _, name := range []string{"postgres", "mysql"} {
		if _, ok := r.UserStores[name]; !ok {
			t.Errorf("%s user store not registered", name)
		}
	}
}

func TestBuiltinRefusals(t *testing.T) {
	ctx := context.Background()
	r := builtin.Default()
	_, err := r.UserStore(ctx, "oracle", nil)
	if err == nil || !strings.Contains(err.Error(), `no built-in "oracle"`) || !strings.Contains(err.Error(), "memory, mysql, postgres, sqlite") {
		t.Errorf("unknown name: %v", err)
	}
	_, err = r.BlacklistStore(ctx, "memory", sdk.Config{"size": 10})
	if !errors.Is(err, sdk.ErrInvalidConfig) || !strings.Contains(err.Error(), "plugins.blacklist_store") {
		t.Errorf("config typo: %v", err)
	}
	_, err = r.AuthRule(ctx, "default", sdk.Config{"allow": "all"})
	if !errors.Is(err, sdk.ErrInvalidConfig) {
		t.Errorf("rule config: %v", err)
	}
}
