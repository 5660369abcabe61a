package mysql_test

import (
	"testing"

	"github.com/jwtd/jwtd/internal/mariadbtest"
	"github.com/jwtd/jwtd/plugins/sqlstore/sqlstoretest"
)

// TestConformance runs the sdk conformance kit against both stores on a
// real MariaDB, on jwtd's own schema and on Django's, in process and
// as the real plugin process (sqlstoretest.TestConformance).
func TestConformance(t *testing.T) {
	srv := mariadbtest.Start(t)
	sqlstoretest.TestConformance(t, stores, func(t *testing.T, django bool) string { return newDB(t, srv, django) })
}
