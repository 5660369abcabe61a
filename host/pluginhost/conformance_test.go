package pluginhost_test

import (
	"context"
	"testing"

	"github.com/jwtd/jwtd/host/pluginhost"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// The conformance kit against the in-memory stores and the defaults, each
// served by a real plugin process through the Host.

func TestConformanceOutOfProcess(t *testing.T) {
	ctx := context.Background()
	h := newHost(t)
	spec := pluginhost.Spec{Path: pluginPath("memory")}

	us, err := h.UserStore(ctx, withName(spec, "user_store"))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sdk.As[sdk.UserAdmin](us); !ok {
		t.Fatal("user store of an admin-capable plugin is no sdk.UserAdmin")
	}
	bl, err := h.BlacklistStore(ctx, withName(spec, "blacklist_store"))
	if err != nil {
		t.Fatal(err)
	}
	rule, err := h.AuthRule(ctx, withName(spec, "auth_rule"))
	if err != nil {
		t.Fatal(err)
	}
	cs, err := h.ClaimSerializer(ctx, withName(spec, "claim_serializer"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("UserStore", func(t *testing.T) {
		sdktest.TestUserStore(t, func(t *testing.T) sdktest.UserStoreSetup {
			return sdktest.UserStoreSetup{Store: us}
		})
	})
	t.Run("BlacklistStore", func(t *testing.T) {
		sdktest.TestBlacklistStore(t, func(t *testing.T) sdk.BlacklistStore { return bl })
	})
	t.Run("LoginFailureStore", func(t *testing.T) {
		// The capability crosses the boundary: the memory blacklist store
		// has it, so the host's view of the plugin offers it too.
		f, ok := sdk.As[sdk.LoginFailureStore](bl)
		if !ok {
			t.Fatal("blacklist store of a plugin with sdk.LoginFailureStore does not offer it")
		}
		sdktest.TestLoginFailureStore(t, func(t *testing.T) sdk.LoginFailureStore { return f })
	})
	t.Run("SessionStore", func(t *testing.T) {
		ss, ok := sdk.As[sdk.SessionStore](bl)
		if !ok {
			t.Fatal("blacklist store of a plugin with sdk.SessionStore does not offer it")
		}
		sdktest.TestSessionStore(t, func(t *testing.T) sdk.SessionStore { return ss })
	})
	t.Run("AuthRule", func(t *testing.T) {
		sdktest.TestAuthRule(t, rule, sdktest.DefaultRuleCases)
	})
	t.Run("ClaimSerializer", func(t *testing.T) {
		sdktest.TestClaimSerializer(t, cs, sdktest.DefaultClaimSerializerCases)
	})

	// Asking again for a running kind reuses it: no new process, and no
	// second Configure, which would give the plugin a fresh, empty memory
	// store and lose the user made here.
	before := h.Ping(ctx)
	if _, err := sdktest.Admin(t, us).CreateUser(ctx, sdk.NewUser{Username: "kept", Password: "kept-password", IsActive: true}); err != nil {
		t.Fatal(err)
	}
	again, err := h.UserStore(ctx, withName(spec, "user_store"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := again.LookupUser(ctx, "username", "kept"); err != nil {
		t.Fatalf("user made before asking again: %v (the kind was configured anew)", err)
	}
	if after := h.Ping(ctx); after[0].PID != before[0].PID || after[0].Restarts != before[0].Restarts {
		t.Fatalf("asking again restarted the plugin: %+v -> %+v", before[0], after[0])
	}

	// Four kinds with one path and config share one process.
	st := h.Ping(ctx)
	if len(st) != 4 {
		t.Fatalf("Ping = %d statuses, want 4: %+v", len(st), st)
	}
	for _, s := range st {
		if !s.Up || s.Err != nil || s.PID == 0 || s.PID != st[0].PID {
			t.Fatalf("status %+v: want up, one shared pid %d", s, st[0].PID)
		}
	}
}

func withName(s pluginhost.Spec, name string) pluginhost.Spec {
	s.Name = name
	return s
}
