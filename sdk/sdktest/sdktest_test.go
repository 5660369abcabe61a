package sdktest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// The kit against the in-memory reference stores, in process.

func TestMemoryUserStore(t *testing.T) {
	sdktest.TestUserStore(t, func(t *testing.T) sdktest.UserStoreSetup {
		return sdktest.UserStoreSetup{Store: memory.NewUserStore()}
	})
}

func TestMemoryUserStoreFixture(t *testing.T) {
	// The fixture path, as a read-only store would use it: users made up
	// front and declared with their passwords.
	sdktest.TestUserStore(t, func(t *testing.T) sdktest.UserStoreSetup {
		s := memory.NewUserStore()
		u, err := s.CreateUser(context.Background(), sdk.NewUser{Username: "dora", Password: "dora-pass-1", IsActive: true,
			Attributes: map[string]any{"email": "dora@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		return sdktest.UserStoreSetup{
			Store: readOnly{s},
			Users: []sdktest.KnownUser{{
				Credentials: sdk.Credentials{"username": "dora", "password": "dora-pass-1"},
				ID:          u.ID, Username: "dora", IsActive: true,
				Attributes: map[string]any{"email": "dora@example.com"},
			}},
		}
	})
}

// readOnly hides the admin methods, like a store over a file would.
type readOnly struct{ sdk.UserStore }

func TestMemoryBlacklistStore(t *testing.T) {
	sdktest.TestBlacklistStore(t, func(t *testing.T) sdk.BlacklistStore { return memory.NewBlacklistStore() })
}

// TestKitCatchesBrokenStores runs the suites against broken stores in a
// child test process and expects them to fail there: a kit that passes
// anything proves nothing.
func TestKitCatchesBrokenStores(t *testing.T) {
	if os.Getenv("SDKTEST_BROKEN") != "" {
		return
	}
	for _, name := range []string{"TestBrokenBlacklist", "TestBrokenRule", "TestBrokenUserStore"} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$")
			cmd.Env = append(os.Environ(), "SDKTEST_BROKEN=1")
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a broken implementation:\n%s", out)
			}
			if !strings.Contains(string(out), "--- FAIL") {
				t.Fatalf("child failed without a test failure: %v\n%s", err, out)
			}
		})
	}
}

func skipUnlessBroken(t *testing.T) {
	if os.Getenv("SDKTEST_BROKEN") == "" {
		t.Skip("run by TestKitCatchesBrokenStores")
	}
}

// alwaysAdds answers every Blacklist call with true.
type alwaysAdds struct{ sdk.BlacklistStore }

func (alwaysAdds) Blacklist(context.Context, sdk.TokenRecord) (bool, error) { return true, nil }

func TestBrokenBlacklist(t *testing.T) {
	skipUnlessBroken(t)
	sdktest.TestBlacklistStore(t, func(t *testing.T) sdk.BlacklistStore { return alwaysAdds{memory.NewBlacklistStore()} })
}

// allowAll lets inactive users in.
type allowAll struct{}

func (allowAll) Allow(context.Context, sdk.User) (bool, error) { return true, nil }

func TestBrokenRule(t *testing.T) {
	skipUnlessBroken(t)
	sdktest.TestAuthRule(t, allowAll{}, sdktest.DefaultRuleCases)
}

// wrongNotFound reports an unknown user as a plain error.
type wrongNotFound struct{ *memory.UserStore }

func (w wrongNotFound) LookupUser(ctx context.Context, field, value string) (sdk.User, error) {
	u, err := w.UserStore.LookupUser(ctx, field, value)
	if err != nil {
		return u, errors.New("no rows")
	}
	return u, nil
}

func TestBrokenUserStore(t *testing.T) {
	skipUnlessBroken(t)
	sdktest.TestUserStore(t, func(t *testing.T) sdktest.UserStoreSetup {
		return sdktest.UserStoreSetup{Store: wrongNotFound{memory.NewUserStore()}}
	})
}

func ExampleTestBlacklistStore() {
	// In a plugin's own _test.go file:
	//
	//	func TestConformance(t *testing.T) {
	//		sdktest.TestBlacklistStore(t, func(t *testing.T) sdk.BlacklistStore {
	//			return memory.NewBlacklistStore()
	//		})
	//	}
}
