package sqlite

import (
	"context"
	"database/sql"

	"github.com/jwtd/jwtd/plugins/sqlstore"
)

// SchemaVersion exposes a component's recorded schema version to the
// external tests.
func SchemaVersion(ctx context.Context, db *sql.DB, component string) (int, error) {
	return sqlstore.SchemaVersion(ctx, dialect{}, db, component)
}

// ReadPool exposes a blacklist store's read pool, to check its settings.
func ReadPool(s *BlacklistStore) *sql.DB { return s.ro }

// UserReadPool exposes a user store's read pool.
func UserReadPool(u *UserStore) *sql.DB { return u.ro }

// Commits is how many transactions the store's group committer has
// committed (0 without group commit).
func Commits(s *BlacklistStore) int64 {
	if s.group == nil {
		return 0
	}
	return s.group.commits.Load()
}

// Writer exposes a blacklist store's writer pool (one connection).
func Writer(s *BlacklistStore) *sql.DB { return s.db }

// The change kinds the session feed's triggers write.
const (
	BlacklistedKind    = blacklistedKind
	SessionRevokedKind = sessionRevokedKind
	UserNotBeforeKind  = userNotBeforeKind
)
