package sqlite_test

import (
	"testing"

	"github.com/jwtd/jwtd/internal/docref"
	"github.com/jwtd/jwtd/plugins/sqlite"
)

// TestConfigReferenceListsEveryKey: every key of the SQLite stores' config
// tables has a row in docs/config.md, in the store's section or the shared
// SQL one it points to.
func TestConfigReferenceListsEveryKey(t *testing.T) {
	docref.CheckConfigKeys(t, sqlite.UserStoreConfig{}, "### `sqlite` user store", "### SQL user table keys")
	docref.CheckConfigKeys(t, sqlite.BlacklistConfig{}, "### `sqlite` blacklist store", "### Django blacklist table keys")
}
