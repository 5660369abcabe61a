package sqlite_test

import (
	"testing"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// The sdk conformance kit against both stores, in process, on real files.

func TestConformanceUserStore(t *testing.T) {
	sdktest.TestUserStore(t, func(t *testing.T) sdktest.UserStoreSetup {
		return sdktest.UserStoreSetup{Store: openUsers(t, cheapArgon2(sdk.Config{"path": dbPath(t)}))}
	})
}

func TestConformanceBlacklistStore(t *testing.T) {
	path := dbPath(t)
	sdktest.TestBlacklistStore(t, func(t *testing.T) sdk.BlacklistStore {
		// One file for every subtest: the kit's JTIs are unique, and several
		// store instances on one file is how several processes share it.
		return openBlacklist(t, path)
	})
}
