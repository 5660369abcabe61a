package djangotest_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/mattn/go-sqlite3"

	"github.com/jwtd/jwtd/internal/djangotest"
	"github.com/jwtd/jwtd/internal/mariadbtest"
	"github.com/jwtd/jwtd/internal/pgtest"
)

// kind is one database kind the tests run Django and jwtd on.
type kind struct {
	engine djangotest.Engine
	// server starts what the kind needs for the test (a PostgreSQL or
	// MariaDB server; nothing for SQLite) and returns a function that
	// creates one more empty database on it.
	server func(t *testing.T) func(t *testing.T, name string) *database
	// schema describes every table of db (columns in order, constraints,
	// indexes) as the database reports them, without Django's migration
	// bookkeeping and jwtd's own tables (jwtd_*), to compare two databases.
	schema func(t *testing.T, db *sql.DB) string
}

// database is one empty database of a kind.
type database struct {
	// django is how Django reaches it.
	django djangotest.Database
	// db is a connection for the test's own statements.
	db *sql.DB
	// dsn is how jwtd's SQL stores reach it (a path for SQLite).
	dsn string
}

// kinds are SQLite, PostgreSQL and MariaDB (Django's MySQL backend).
var kinds = []kind{
	{djangotest.SQLite, func(t *testing.T) func(*testing.T, string) *database {
		dir := t.TempDir()
		return func(t *testing.T, name string) *database {
			path := filepath.Join(dir, name+".sqlite3")
			db, err := sql.Open("sqlite3", path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return &database{django: djangotest.Database{Engine: djangotest.SQLite, Path: path}, db: db, dsn: path}
		}
	}, sqliteSchema},
	{djangotest.Postgres, func(t *testing.T) func(*testing.T, string) *database {
		djangotest.Require(t, djangotest.Postgres)
		srv := pgtest.Start(t)
		return func(t *testing.T, name string) *database {
			dsn := srv.CreateDatabase(t, name)
			return &database{
				django: djangotest.Database{Engine: djangotest.Postgres, Name: name, User: pgtest.User, Host: "127.0.0.1", Port: srv.Port},
				db:     srv.Open(t, name),
				dsn:    dsn,
			}
		}
	}, postgresSchema},
	{djangotest.MySQL, func(t *testing.T) func(*testing.T, string) *database {
		djangotest.Require(t, djangotest.MySQL)
		srv := mariadbtest.Start(t)
		return func(t *testing.T, name string) *database {
			dsn := srv.CreateDatabase(t, name)
			return &database{
				django: djangotest.Database{Engine: djangotest.MySQL, Name: name, User: mariadbtest.User, Host: "127.0.0.1", Port: srv.Port},
				db:     srv.Open(t, name),
				dsn:    dsn,
			}
		}
	}, mysqlSchema},
}

// rowsText is every row of a query, one line each, columns joined by " | ".
func rowsText(t *testing.T, db *sql.DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = v.String
			if !v.Valid {
				parts[i] = "NULL"
			}
		}
		b.WriteString(strings.Join(parts, " | ") + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// sqliteSchema is every table and index as SQLite keeps their DDL.
func sqliteSchema(t *testing.T, db *sql.DB) string {
	t.Helper()
	return rowsText(t, db, `SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master
		WHERE name NOT LIKE 'sqlite_%' AND tbl_name != 'django_migrations' AND tbl_name NOT LIKE 'jwtd_%' ORDER BY type, name`)
}

// postgresSchema is the catalog's view of the public schema: columns in
// their positions, constraints and indexes with their definitions,
// sequences.
func postgresSchema(t *testing.T, db *sql.DB) string {
	t.Helper()
	return "columns:\n" + rowsText(t, db, `SELECT table_name, ordinal_position, column_name, data_type,
			coalesce(character_maximum_length::text, ''), is_nullable, coalesce(column_default, '')
		FROM information_schema.columns WHERE table_schema = 'public' AND table_name != 'django_migrations' AND table_name NOT LIKE 'jwtd_%'
		ORDER BY table_name, ordinal_position`) +
		"constraints:\n" + rowsText(t, db, `SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
		FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text != 'django_migrations'
			AND conrelid::regclass::text NOT LIKE 'jwtd_%'
		ORDER BY 1, 2`) +
		"indexes:\n" + rowsText(t, db, `SELECT tablename, indexname, indexdef FROM pg_indexes
		WHERE schemaname = 'public' AND tablename != 'django_migrations' AND tablename NOT LIKE 'jwtd_%' ORDER BY 1, 2`) +
		"sequences:\n" + rowsText(t, db, `SELECT sequence_name, data_type FROM information_schema.sequences
		WHERE sequence_schema = 'public' AND sequence_name != 'django_migrations_id_seq' AND sequence_name NOT LIKE 'jwtd_%' ORDER BY 1`)
}

// autoIncrement is the table option that counts rows inserted so far.
var autoIncrement = regexp.MustCompile(` AUTO_INCREMENT=\d+`)

// mysqlSchema is SHOW CREATE TABLE of every table, without the
// AUTO_INCREMENT counter (migrate inserts rows, the fixtures do not).
func mysqlSchema(t *testing.T, db *sql.DB) string {
	t.Helper()
	tables := strings.Fields(rowsText(t, db, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = database() AND table_name != 'django_migrations' AND table_name NOT LIKE 'jwtd_%' ORDER BY table_name`))
	var b strings.Builder
	for _, table := range tables {
		var name, ddl string
		if err := db.QueryRow("SHOW CREATE TABLE `"+table+"`").Scan(&name, &ddl); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s\n", autoIncrement.ReplaceAllString(ddl, ""))
	}
	return b.String()
}

// applyDDL creates Django's tables in db from the fixtures of engine.
func applyDDL(t *testing.T, engine djangotest.Engine, db *sql.DB) {
	t.Helper()
	for _, which := range []string{"auth", "token_blacklist"} {
		ddl, err := djangotest.DDL(engine, which)
		if *update {
			// The files just written, not the ones built into the test.
			var b []byte
			b, err = os.ReadFile(filepath.Join("testdata", "ddl", string(engine), which+".sql"))
			ddl = string(b)
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range djangotest.Statements(ddl) {
			if _, err := db.Exec(stmt); err != nil {
				t.Fatalf("%s %s: %v\n%s", engine, which, err, stmt)
			}
		}
	}
}
