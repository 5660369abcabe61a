package defaults_test

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/jwtd/jwtd/host/pluginhost"
	"github.com/jwtd/jwtd/plugins/defaults"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

func TestInProcess(t *testing.T) {
	ctx := context.Background()
	rule, err := defaults.NewAuthRule(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := defaults.NewClaimSerializer(ctx, sdk.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("AuthRule", func(t *testing.T) { sdktest.TestAuthRule(t, rule, sdktest.DefaultRuleCases) })
	t.Run("ClaimSerializer", func(t *testing.T) {
		sdktest.TestClaimSerializer(t, cs, sdktest.DefaultClaimSerializerCases)
	})
}

func TestFactoriesRefuseSettings(t *testing.T) {
	ctx := context.Background()
	cfg := sdk.Config{"allow_inactive": true}
	if _, err := defaults.NewAuthRule(ctx, cfg); !errors.Is(err, sdk.ErrInvalidConfig) {
		t.Fatalf("NewAuthRule with a setting: %v, want sdk.ErrInvalidConfig", err)
	}
	if _, err := defaults.NewClaimSerializer(ctx, cfg); !errors.Is(err, sdk.ErrInvalidConfig) {
		t.Fatalf("NewClaimSerializer with a setting: %v, want sdk.ErrInvalidConfig", err)
	}
}

// TestOutOfProcess builds the real jwtd-plugin-defaults binary and runs the
// conformance suites through a Host, both kinds in one process.
func TestOutOfProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a plugin binary")
	}
	bin := filepath.Join(t.TempDir(), "jwtd-plugin-defaults")
	if out, err := exec.Command("go", "build", "-o", bin, "./cmd/jwtd-plugin-defaults").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx := context.Background()
	h := pluginhost.New(nil)
	defer h.Close()
	rule, err := h.AuthRule(ctx, pluginhost.Spec{Name: "auth_rule", Path: bin})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := h.ClaimSerializer(ctx, pluginhost.Spec{Name: "claim_serializer", Path: bin})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("AuthRule", func(t *testing.T) { sdktest.TestAuthRule(t, rule, sdktest.DefaultRuleCases) })
	t.Run("ClaimSerializer", func(t *testing.T) {
		sdktest.TestClaimSerializer(t, cs, sdktest.DefaultClaimSerializerCases)
	})
	st := h.Ping(ctx)
	if len(st) != 2 || !st[0].Up || !st[1].Up || st[0].PID != st[1].PID {
		t.Fatalf("Ping = %+v, want both kinds up in one process", st)
	}
	if _, err := h.UserStore(ctx, pluginhost.Spec{Name: "user_store", Path: bin}); err == nil {
		t.Fatal("the defaults binary claimed to serve a user store")
	}
	if _, err := h.AuthRule(ctx, pluginhost.Spec{Name: "auth_rule", Path: bin, Config: sdk.Config{"x": 1}}); !errors.Is(err, sdk.ErrInvalidConfig) {
		t.Fatalf("a setting for the default rule: %v, want sdk.ErrInvalidConfig", err)
	}
}

func ExampleNewAuthRule() {
	rule, _ := defaults.NewAuthRule(context.Background(), nil)
	ok, _ := rule.Allow(context.Background(), sdk.User{ID: "1", IsActive: false})
	_ = ok // false: inactive users may not authenticate
}
