package sqlite

import (
	"context"
	"database/sql"
)

// SchemaVersion exposes a component's recorded schema version to the
// external tests.
func SchemaVersion(ctx context.Context, db *sql.DB, component string) (int, error) {
	return schemaVersion(ctx, db, component)
}
