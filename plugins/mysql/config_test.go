package mysql_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/jwtd/jwtd/internal/mariadbtest"
	"github.com/jwtd/jwtd/plugins/mysql"
	"github.com/jwtd/jwtd/plugins/sqlstore/sqlstoretest"
	"github.com/jwtd/jwtd/sdk"
)

// An unparsable DSN is a config error that does not quote it.
func TestDSNNotQuoted(t *testing.T) {
	_, err := mysql.NewUserStore(context.Background(), sdk.Config{"dsn": "root:s3cr3t@tcp(host:3306/db"})
	if !errors.Is(err, sdk.ErrInvalidConfig) || strings.Contains(err.Error(), "s3cr3t") {
		t.Fatalf("err = %v; want ErrInvalidConfig without the password", err)
	}
}

// TestUUIDKeysAndEmailLogin: a custom user model with a UUID primary key
// (Django's UUIDField is char(32) on MySQL) and email as the login field.
func TestUUIDKeysAndEmailLogin(t *testing.T) {
	srv := mariadbtest.Start(t)
	dsn := newDB(t, srv, false)
	cfg, err := gomysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Open(t, cfg.DBName).Exec("CREATE TABLE `accounts_user` (`id` char(32) NOT NULL PRIMARY KEY, `password` varchar(128) NOT NULL, `last_login` datetime(6) NULL, " +
		"`username` varchar(150) NOT NULL UNIQUE, `email` varchar(254) NOT NULL UNIQUE, `is_active` bool NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	sqlstoretest.TestUUIDUsers(t, stores, dsn, func(id string) string { return strings.ReplaceAll(id, "-", "") })
}
