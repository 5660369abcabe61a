package sqlite

import (
	"fmt"

	"github.com/jwtd/jwtd/plugins/sqlstore"
	"github.com/jwtd/jwtd/sdk"
)

// UserStoreConfig is the [plugins.user_store.config] table of the SQLite
// user store. Every key is optional except path. The table mapping and
// password keys are the SQL stores' own (sqlstore.UserMapping): django,
// table, id_column, username_column, password_column, is_active_column,
// last_login_column, attributes_column, attribute_columns, login_field,
// migrate, hasher, pbkdf2_iterations, bcrypt_rounds, argon2_*,
// rehash_on_login. On SQLite last_login is written as
// "YYYY-MM-DD HH:MM:SS.ffffff" in UTC, the form Django's SQLite backend
// writes and reads with USE_TZ = True, and the primary key is an integer.
type UserStoreConfig struct {
	// Path is the database file. Required. With migrate (the default for the
	// native table) it is created if absent.
	Path string `json:"path"`

	// BusyTimeout is how long a write waits for another connection's or
	// process's lock, as a Go duration. Default "5s".
	BusyTimeout string `json:"busy_timeout"`

	sqlstore.UserMapping
}

// resolveUserConfig resolves c's mapping (sqlstore.ResolveUserMapping)
// and refuses what SQLite does not serve.
func resolveUserConfig(c UserStoreConfig) (sqlstore.UserSchema, error) {
	m, err := sqlstore.ResolveUserMapping(c.UserMapping)
	if err != nil {
		return m, fmt.Errorf("sqlite user store: %w", err)
	}
	if m.IDType != sqlstore.IDInteger {
		return m, fmt.Errorf("%w: sqlite user store: id_type %q: the SQLite store serves integer keys only", sdk.ErrInvalidConfig, m.IDType)
	}
	return m, nil
}
