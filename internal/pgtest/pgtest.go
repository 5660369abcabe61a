// Package pgtest starts a real PostgreSQL server for tests: initdb into a
// temporary directory, then postgres on a free loopback port (and a unix
// socket in that directory), stopped when the test ends. Tests create a
// database of their own on it with CreateDatabase.
//
// PostgreSQL refuses to run as root: a test running as root runs initdb and
// postgres as the "postgres" account that Debian's package creates. When the
// binaries are not installed the test is skipped loudly, unless
// JWTD_REQUIRE_SQL is set (internal/dbtest).
package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/jwtd/jwtd/internal/dbtest"
)

// binDirs are where Debian and the PostgreSQL apt repository put the server
// binaries, which are not on PATH.
var binDirs = []string{
	"/usr/lib/postgresql/17/bin",
	"/usr/lib/postgresql/16/bin",
	"/usr/lib/postgresql/15/bin",
	"/usr/lib/postgresql/14/bin",
	"/usr/lib/postgresql/13/bin",
}

// User is the superuser every test server has; it authenticates with
// "trust" (no password) on loopback and the socket.
const User = "postgres"

// Server is one PostgreSQL server on 127.0.0.1. Its data directory survives
// Stop and Restart, so a restart is a crash and recovery, not a new server.
type Server struct {
	// Port is the TCP port it listens on, the same across Restart.
	Port int
	// SocketDir is the directory of its unix socket, or "" when the
	// temporary directory's path is too long for a socket address.
	SocketDir string

	tb      testing.TB
	bin     string
	dataDir string
	logFile string
	acc     *dbtest.Account

	run dbtest.Slot
}

// Start initialises a cluster in a temporary directory, starts postgres on
// a free loopback port and waits until it answers a query. Extra args are
// handed to postgres (for example "-c", "max_connections=20"). The server is
// stopped when the test ends.
//
// fsync is off: the tests simulate a crash of the server process (Stop),
// which loses nothing written to the kernel, and a crash of the machine is
// not something a test can cause; synchronous_commit stays on, so a commit
// is acknowledged only once its WAL record is written.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	initdb := dbtest.LookBinary(t, "postgresql", binDirs, "initdb")
	bin := filepath.Join(filepath.Dir(initdb), "postgres")
	acc := dbtest.RunAs(t, User)
	tmp := t.TempDir()
	home := dbtest.OwnedDir(t, tmp, "pg", acc)
	s := &Server{
		tb:      t,
		bin:     bin,
		dataDir: filepath.Join(home, "data"),
		logFile: filepath.Join(tmp, "postgres.log"),
		acc:     acc,
	}
	// A unix socket path is limited to 107 bytes; the socket file's name
	// adds ".s.PGSQL.NNNNN".
	if len(home) < 85 {
		s.SocketDir = home
	}
	if err := dbtest.Run(s.logFile, acc, initdb,
		"-D", s.dataDir, "-U", User, "--auth=trust", "-E", "UTF8", "--locale=C",
		"--no-sync", "--no-instructions"); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	if err := dbtest.Retry(5, 0, func() error {
		s.Port = dbtest.FreePort(t)
		return s.start(args)
	}); err != nil {
		t.Fatalf("pgtest: starting postgres: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start(extra []string) error {
	args := []string{
		"-D", s.dataDir,
		"-p", strconv.Itoa(s.Port),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "unix_socket_directories=" + s.SocketDir,
		"-c", "fsync=off",
		"-c", "full_page_writes=off",
		"-c", "shared_buffers=16MB",
		"-c", "max_connections=200",
		"-c", "log_min_messages=warning",
	}
	args = append(args, extra...)
	p, err := dbtest.Launch(s.logFile, s.acc, s.bin, args, s.ping, syscall.SIGQUIT)
	if err != nil {
		return fmt.Errorf("postgres on port %d: %w", s.Port, err)
	}
	s.run.Set(p)
	return nil
}

// ping connects to the postgres database and runs a query.
func (s *Server) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var one int
	return conn.QueryRow(ctx, "SELECT 1").Scan(&one)
}

// DSN is a connection URL for database db as the superuser over TCP, as
// pgx and libpq take it.
func (s *Server) DSN(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(User),
		Host:     fmt.Sprintf("127.0.0.1:%d", s.Port),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// CreateDatabase creates database name (UTF8, as Django's own test
// databases are) and returns its DSN.
func (s *Server) CreateDatabase(t testing.TB, name string) string {
	t.Helper()
	db, err := sql.Open("pgx", s.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), dbtest.StartTimeout)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" ENCODING 'UTF8' TEMPLATE template0"); err != nil {
		t.Fatalf("pgtest: CREATE DATABASE %s: %v", name, err)
	}
	return s.DSN(name)
}

// Open returns a *sql.DB on database db, closed when the test ends, for a
// test that sets up or inspects tables itself.
func (s *Server) Open(t testing.TB, db string) *sql.DB {
	t.Helper()
	conn, err := sql.Open("pgx", s.DSN(db))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// Stop shuts the server down at once (SIGQUIT, "immediate shutdown": no
// checkpoint, so the next start recovers from the WAL as after a crash) and
// waits for it to exit. Clients see their connections drop. Stopping a
// stopped server does nothing.
func (s *Server) Stop() {
	p := s.run.Take()
	if p == nil {
		return
	}
	// A frozen server cannot act on SIGQUIT.
	thaw(p.Pid())
	if !p.Signal(syscall.SIGQUIT, 20*time.Second) {
		s.tb.Errorf("pgtest: postgres on port %d did not exit on SIGQUIT and was killed", s.Port)
	}
}

// Restart stops the server (when it runs) and starts it again on the same
// port and data, for tests of recovery without restarting the client.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	if err := dbtest.Retry(5, 200*time.Millisecond, func() error { return s.start(nil) }); err != nil {
		s.tb.Fatalf("pgtest: restarting postgres on port %d: %v", s.Port, err)
	}
}

// Running reports whether the server is up (started and not stopped).
func (s *Server) Running() bool { return s.run.Running() }

// Freeze stops (SIGSTOP) the postmaster and all its processes: connections
// stay open and new ones are accepted by the kernel, but nothing answers —
// a server that hangs, for tests of query timeouts. Thaw resumes it; the
// test's cleanup thaws it too.
//
// It returns once each of those processes has stopped (dbtest.Freeze): the
// postmaster first, so that it forks no new backend meanwhile; a backend
// that exits meanwhile is left out.
func (s *Server) Freeze() {
	pid := s.Pid()
	if err := dbtest.Freeze(pid); err != nil {
		s.tb.Fatalf("pgtest: freezing the postmaster: %v", err)
	}
	for _, child := range dbtest.Children(pid) {
		if err := dbtest.Freeze(child); err != nil && !errors.Is(err, syscall.ESRCH) && !errors.Is(err, fs.ErrNotExist) {
			s.tb.Fatalf("pgtest: freezing backend %d: %v", child, err)
		}
	}
}

// Thaw resumes a frozen server.
func (s *Server) Thaw() { thaw(s.Pid()) }

func thaw(pid int) {
	for _, child := range dbtest.Children(pid) {
		_ = syscall.Kill(child, syscall.SIGCONT)
	}
	_ = syscall.Kill(pid, syscall.SIGCONT)
}

// Pid is the running postmaster's process id, for tests that look at the
// processes themselves; it fails the test when the server is not running.
func (s *Server) Pid() int {
	return s.run.Pid(s.tb, fmt.Sprintf("pgtest: server on port %d", s.Port))
}

// OpenMulti is Open with pgx's simple protocol, which runs a string of
// several statements in one Exec (a DDL fixture).
func (s *Server) OpenMulti(t testing.TB, db string) *sql.DB {
	t.Helper()
	conn, err := sql.Open("pgx", s.DSN(db)+"&default_query_exec_mode=simple_protocol")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}
