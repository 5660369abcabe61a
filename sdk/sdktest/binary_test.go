package sdktest_test

import (
	"context"
	"os"
	"testing"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
	"github.com/jwtd/jwtd/sdk/plugin"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// The test binary is also a plugin: started by sdktest.Launch it serves
// the in-memory stores and a rule keeping Simple JWT's default.
func TestMain(m *testing.M) {
	if plugin.Launched() {
		plugin.Serve(plugin.Set{
			UserStore:      func(context.Context, sdk.Config) (sdk.UserStore, error) { return memory.NewUserStore(), nil },
			BlacklistStore: func(context.Context, sdk.Config) (sdk.BlacklistStore, error) { return memory.NewBlacklistStore(), nil },
			AuthRule:       func(context.Context, sdk.Config) (sdk.AuthRule, error) { return activeOnly{}, nil },
		})
	}
	os.Exit(m.Run())
}

type activeOnly struct{}

func (activeOnly) Allow(_ context.Context, u sdk.User) (bool, error) { return u.IsActive, nil }

// TestBinaryRunsTheSuites runs the kit against this test binary as a real
// plugin process: every kind it serves passes its suite.
func TestBinaryRunsTheSuites(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	sdktest.TestBinary(t, sdktest.Binary{Path: self}, sdktest.Suites{})
}

// TestLaunchReportsTheServedKinds: the kinds a binary does not serve stay
// nil.
func TestLaunchReportsTheServedKinds(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := sdktest.Launch(t, sdktest.Binary{Path: self})
	if p.UserStore == nil || p.BlacklistStore == nil || p.AuthRule == nil || p.ClaimSerializer != nil {
		t.Fatalf("kinds = %v; want user store, blacklist store and auth rule only", p.Kinds)
	}
	if _, ok := sdk.As[sdk.UserAdmin](p.UserStore); !ok {
		t.Fatal("the memory user store's sdk.UserAdmin did not cross the boundary")
	}
	// TestBinary runs these capabilities' suites only when they are found:
	// they must be, or the suites would vanish without a word.
	if _, ok := sdk.As[sdk.LoginFailureStore](p.BlacklistStore); !ok {
		t.Fatal("the memory blacklist store's sdk.LoginFailureStore did not cross the boundary")
	}
	if _, ok := sdk.As[sdk.SessionStore](p.BlacklistStore); !ok {
		t.Fatal("the memory blacklist store's sdk.SessionStore did not cross the boundary")
	}
}
