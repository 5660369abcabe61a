// Package mariadbtest starts a real MariaDB server for tests:
// mariadb-install-db into a temporary directory, then mariadbd on a free
// loopback port (and a unix socket in that directory), stopped when the test
// ends. Tests create a database of their own on it with CreateDatabase.
//
// When the binaries are not installed the test is skipped loudly, unless
// JWTD_REQUIRE_SQL is set (internal/dbtest). A test running as root runs the
// server as root (--user=root), inside its own temporary directory.
package mariadbtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/jwtd/jwtd/internal/dbtest"
)

// User is the account every test server has: root, without a password,
// from 127.0.0.1.
const User = "root"

// binDirs: Debian puts mariadbd in /usr/sbin, which is not on every PATH.
var binDirs = []string{"/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"}

// Server is one MariaDB server on 127.0.0.1. Its data directory survives
// Stop and Restart, so a restart is a crash and recovery, not a new server.
type Server struct {
	// Port is the TCP port it listens on, the same across Restart.
	Port int
	// Socket is the path of its unix socket.
	Socket string

	tb      testing.TB
	bin     string
	dataDir string
	tmpDir  string
	logFile string
	args    []string

	run dbtest.Slot
}

// Start initialises a data directory in a temporary directory, starts
// mariadbd on a free loopback port and waits until it answers a query.
// Extra args are handed to mariadbd (for example "--max-connections=20").
// The server is stopped when the test ends.
//
// innodb_flush_log_at_trx_commit=2 writes the redo log to the kernel at
// every commit and syncs it once a second: a crash of the server process
// (Stop) loses no acknowledged commit, and the tests cannot crash the
// machine. Character set utf8mb4, as Django wants.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	installDB := dbtest.LookBinary(t, "mariadb-server", binDirs, "mariadb-install-db", "mysql_install_db")
	bin := dbtest.LookBinary(t, "mariadb-server", binDirs, "mariadbd", "mysqld")
	tmp := t.TempDir()
	s := &Server{
		tb:      t,
		bin:     bin,
		dataDir: filepath.Join(tmp, "data"),
		tmpDir:  filepath.Join(tmp, "tmp"),
		logFile: filepath.Join(tmp, "mariadb.log"),
		Socket:  filepath.Join(tmp, "mysqld.sock"),
	}
	if len(s.Socket) > 100 {
		s.Socket = "" // too long for a socket address; TCP only
	}
	if err := os.Mkdir(s.tmpDir, 0o700); err != nil {
		t.Fatalf("mariadbtest: %v", err)
	}
	common := s.commonArgs()
	install := append([]string{"--no-defaults", "--datadir=" + s.dataDir,
		"--auth-root-authentication-method=normal", "--skip-test-db"}, common[1:]...)
	if err := dbtest.Run(s.logFile, nil, installDB, install...); err != nil {
		t.Fatalf("mariadbtest: %v", err)
	}
	s.args = args
	if err := dbtest.Retry(5, 0, func() error {
		s.Port = dbtest.FreePort(t)
		return s.start()
	}); err != nil {
		t.Fatalf("mariadbtest: starting mariadbd: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

// commonArgs are the options the install and the server share; the first
// is --no-defaults, which must come first on mariadbd's command line.
//
// Each server has a tmpdir of its own: mariadbd deletes every "#sql" file
// in its tmpdir when it starts, which in a shared /tmp includes the files
// of the temporary tables another server is using — mariadb-install-db
// then fails with "Unknown table 'mysql.tmp_user_sys'" when a test in
// another package starts a server meanwhile.
func (s *Server) commonArgs() []string {
	args := []string{
		"--no-defaults",
		"--tmpdir=" + s.tmpDir,
		"--innodb-buffer-pool-size=32M",
		"--innodb-log-file-size=16M",
		"--character-set-server=utf8mb4",
		"--collation-server=utf8mb4_general_ci",
	}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	return args
}

func (s *Server) start() error {
	args := append(s.commonArgs(),
		"--datadir="+s.dataDir,
		"--port="+strconv.Itoa(s.Port),
		"--bind-address=127.0.0.1",
		"--pid-file="+filepath.Join(filepath.Dir(s.dataDir), "mariadbd.pid"),
		"--innodb-flush-log-at-trx-commit=2",
		"--skip-log-bin",
		"--max-connections=300",
	)
	if s.Socket != "" {
		args = append(args, "--socket="+s.Socket)
	} else {
		args = append(args, "--socket="+filepath.Join(filepath.Dir(s.dataDir), "s"))
	}
	args = append(args, s.args...)
	p, err := dbtest.Launch(s.logFile, nil, s.bin, args, s.ping, syscall.SIGKILL)
	if err != nil {
		return fmt.Errorf("mariadbd on port %d: %w", s.Port, err)
	}
	s.run.Set(p)
	return nil
}

// ping opens a connection and runs a query.
func (s *Server) ping() error {
	db, err := sql.Open("mysql", s.DSN("")+"?timeout=2s&readTimeout=2s")
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var one int
	return db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// DSN is a go-sql-driver/mysql data source name for database db as root
// over TCP ("root@tcp(127.0.0.1:PORT)/db"), without parameters.
func (s *Server) DSN(db string) string {
	cfg := mysql.NewConfig()
	cfg.User = User
	cfg.Net = "tcp"
	cfg.Addr = fmt.Sprintf("127.0.0.1:%d", s.Port)
	cfg.DBName = db
	return cfg.FormatDSN()
}

// CreateDatabase creates database name (utf8mb4) and returns its DSN.
func (s *Server) CreateDatabase(t testing.TB, name string) string {
	t.Helper()
	db, err := sql.Open("mysql", s.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), dbtest.StartTimeout)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(name)+" CHARACTER SET utf8mb4"); err != nil {
		t.Fatalf("mariadbtest: CREATE DATABASE %s: %v", name, err)
	}
	return s.DSN(name)
}

// Open returns a *sql.DB on database db, closed when the test ends, for a
// test that sets up or inspects tables itself.
func (s *Server) Open(t testing.TB, db string) *sql.DB {
	t.Helper()
	conn, err := sql.Open("mysql", s.DSN(db)+"?parseTime=true&multiStatements=true")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// quoteIdent quotes a MySQL identifier with backticks.
func quoteIdent(name string) string {
	out := []byte{'`'}
	for i := 0; i < len(name); i++ {
		if name[i] == '`' {
			out = append(out, '`')
		}
		out = append(out, name[i])
	}
	return string(append(out, '`'))
}

// Stop kills the server (SIGKILL: a crash; InnoDB recovers from its redo log
// at the next start) and waits for it to exit. Clients see their connections
// drop. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	if p := s.run.Take(); p != nil && !p.Signal(syscall.SIGKILL, 20*time.Second) {
		s.tb.Errorf("mariadbtest: mariadbd on port %d did not exit after SIGKILL", s.Port)
	}
}

// Restart stops the server (when it runs) and starts it again on the same
// port and data, for tests of recovery without restarting the client.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	if err := dbtest.Retry(5, 200*time.Millisecond, s.start); err != nil {
		s.tb.Fatalf("mariadbtest: restarting mariadbd on port %d: %v", s.Port, err)
	}
}

// Pid is the running mariadbd's process id, for tests that look at the
// process itself; it fails the test when the server is not running.
func (s *Server) Pid() int {
	return s.run.Pid(s.tb, fmt.Sprintf("mariadbtest: server on port %d", s.Port))
}

// Running reports whether the server is up (started and not stopped).
func (s *Server) Running() bool { return s.run.Running() }

// Freeze stops (SIGSTOP) the server: connections stay open and new ones
// are accepted by the kernel, but nothing answers — a server that hangs,
// for tests of query timeouts. It returns once every thread of mariadbd has
// stopped (dbtest.Freeze), so that no query sent afterwards is answered.
// Thaw resumes it; Stop kills it frozen or not.
func (s *Server) Freeze() {
	if err := dbtest.Freeze(s.Pid()); err != nil {
		s.tb.Fatalf("mariadbtest: freezing mariadbd: %v", err)
	}
}

// Thaw resumes a frozen server.
func (s *Server) Thaw() {
	if err := syscall.Kill(s.Pid(), syscall.SIGCONT); err != nil {
		s.tb.Fatalf("mariadbtest: signalling mariadbd: %v", err)
	}
}
