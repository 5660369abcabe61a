package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to wait for the server

	"github.com/jwtd/jwtd/internal/dbtest"
)

// PostgreSQL modes: both stores on PostgreSQL (a server this program
// initialises and starts on a free loopback port). "postgres" runs them in
// process, "postgres-plugins" as the jwtd-plugin-postgres binary.
const (
	modePostgres        = "postgres"
	modePostgresPlugins = "postgres-plugins"
)

func isPostgresMode(mode string) bool { return mode == modePostgres || mode == modePostgresPlugins }

// postgresScenarios: the two the SQL store changes most — the user lookup
// of authenticate and the blacklist write of a rotation.
var postgresScenarios = []string{scAuth, scRefreshRot}

// storeConfig is the body of a store's config table in a PostgreSQL mode.
func postgresConfig(dsn string) string { return fmt.Sprintf("dsn = %q\n", dsn) }

// pgServer is the benchmark's PostgreSQL: its postmaster and data dir.
type pgServer struct {
	proc *dbtest.Process
	dir  string
	dsn  string
}

func (s *pgServer) pid() int { return s.proc.Pid() }

func (s *pgServer) stop() {
	s.proc.Signal(syscall.SIGINT, 10*time.Second) // fast shutdown
	os.RemoveAll(s.dir)
}

var errNoPostgres = errors.New("PostgreSQL's initdb is not installed (install the postgresql package for the PostgreSQL rows)")

// startPostgres initialises a cluster in a temp dir and starts it on a
// free loopback port, as the postgres account when run as root.
// Durability settings are PostgreSQL's defaults (fsync on,
// synchronous_commit on): the rows compare with SQLite's synchronous=FULL
// blacklist.
func startPostgres(ctx context.Context) (*pgServer, error) {
	var initdb string
	for _, dir := range []string{"/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin"} {
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			initdb = filepath.Join(dir, "initdb")
			break
		}
	}
	if initdb == "" {
		var err error
		if initdb, err = exec.LookPath("initdb"); err != nil {
			return nil, errNoPostgres
		}
	}
	dir, err := os.MkdirTemp("", "jwtd-bench-pg-")
	if err != nil {
		return nil, err
	}
	var acc *dbtest.Account
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs the postgres account: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		acc = &dbtest.Account{Name: "postgres", UID: uint32(uid), GID: uint32(gid)}
		if err := os.Chmod(dir, 0o711); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	home := filepath.Join(dir, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		return nil, err
	}
	if acc != nil {
		if err := os.Chown(home, int(acc.UID), int(acc.GID)); err != nil {
			return nil, err
		}
		data = filepath.Join(home, "data")
	}
	logFile := filepath.Join(dir, "postgres.log")
	fail := func(err error) (*pgServer, error) { os.RemoveAll(dir); return nil, err }
	if err := dbtest.Run(logFile, acc, initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-instructions"); err != nil {
		return fail(err)
	}
	addr, err := freeAddr()
	if err != nil {
		return fail(err)
	}
	_, port, _ := net.SplitHostPort(addr)
	cmd, err := dbtest.Command(logFile, acc, filepath.Join(filepath.Dir(initdb), "postgres"),
		"-D", data, "-p", port, "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200")
	if err != nil {
		return fail(err)
	}
	proc, err := dbtest.StartProcess(cmd)
	if err != nil {
		return fail(err)
	}
	s := &pgServer{proc: proc, dir: dir, dsn: fmt.Sprintf("postgres://postgres@127.0.0.1:%s/postgres?sslmode=disable", port)}
	db, err := sql.Open("pgx", s.dsn)
	if err != nil {
		s.stop()
		return nil, err
	}
	defer db.Close()
	if err := dbtest.WaitReady(proc, logFile, func() error { return db.PingContext(ctx) }); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// database creates a fresh database for one mode (each mode adds its own
// bench user) and returns its DSN.
func (s *pgServer) database(ctx context.Context, name string) (string, error) {
	db, err := sql.Open("pgx", s.dsn)
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable", s.addr(), name), nil
}

func (s *pgServer) addr() string {
	// The DSN is this program's own: postgres://postgres@HOST:PORT/postgres?...
	const prefix = "postgres://postgres@"
	rest := s.dsn[len(prefix):]
	for i := range rest {
		if rest[i] == '/' {
			return rest[:i]
		}
	}
	return rest
}

// postgresComparison is one note line per scenario measured both in a
// PostgreSQL mode and in its SQLite counterpart: PostgreSQL's req/s beside
// SQLite's from the same run.
func postgresComparison(rows []Row) []string {
	find := func(mode, scenario string) (Row, bool) {
		for _, r := range rows {
			if r.Mode == mode && r.Scenario == scenario && r.RPS > 0 {
				return r, true
			}
		}
		return Row{}, false
	}
	var out []string
	for _, scenario := range postgresScenarios {
		for _, pair := range [][2]string{{modePostgres, "builtin"}, {modePostgresPlugins, "plugins"}} {
			r, ok := find(pair[0], scenario)
			s, ok2 := find(pair[1], scenario)
			if !ok || !ok2 {
				continue
			}
			place := "in process"
			if pair[0] == modePostgresPlugins {
				place = "out of process"
			}
			out = append(out, fmt.Sprintf("%s, %s: PostgreSQL %s req/s vs SQLite %s req/s (%s); CPU/req %s vs %s",
				scenario, place, fmtRate(r.RPS), fmtRate(s.RPS), fmtRatio(Ratio(r.RPS, s.RPS)),
				fmtDur(r.CPUPerReq), fmtDur(s.CPUPerReq)))
		}
	}
	return out
}
