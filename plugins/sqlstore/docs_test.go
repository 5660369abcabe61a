package sqlstore_test

import (
	"testing"

	"github.com/jwtd/jwtd/internal/docref"
	"github.com/jwtd/jwtd/plugins/sqlstore"
)

// TestConfigReferenceListsEveryKey: every key of the PostgreSQL and MySQL
// stores' config tables (sqlstore's) has a row in docs/config.md.
func TestConfigReferenceListsEveryKey(t *testing.T) {
	docref.CheckConfigKeys(t, sqlstore.UserStoreConfig{}, "### `postgres` and `mysql` stores", "### SQL user table keys")
	docref.CheckConfigKeys(t, sqlstore.BlacklistConfig{}, "### `postgres` and `mysql` stores", "### Django blacklist table keys")
}
