// Command bench is the `make bench` driver: it measures jwtd against a bare
// net/http handler on this machine, in one run, and writes the figures as a
// Markdown table to BENCHMARKS.md (between the bench markers, leaving the
// rest of the file alone).
//
// It starts the bare handler (this program re-executed with -serve-bare, so
// its CPU and memory are measured apart from the load generator's) and
// then jwtd (the -jwtd binary) with a generated config, first with in-process
// built-in plugins and then with out-of-process plugin binaries, adds a user
// with `jwtd user add`, and runs each scenario as a closed loop of -workers
// connections for -duration after a -warmup. Everything listens on loopback
// and every run is bounded in time; the program stops by itself.
//
// The redis and redis-plugins modes swap the blacklist store for Redis (in
// process, or the jwtd-plugin-redis binary) against a redis-server this
// program starts on a free loopback port and stops at the end (skipped with
// a note when redis-server is not installed). They run only the scenarios
// that touch the blacklist, and the notes set their req/s beside the SQLite
// modes' from the same run. -section writes a partial run into its own
// marked section of -out, leaving the full table alone.
//
//	go run ./bench                        # all modes, default durations
//	go run ./bench -modes bare -duration 2s
//	go run ./bench -jwtd bin/jwtd -plugin-dir bin -out BENCHMARKS.md
//	go run ./bench -modes builtin,redis -scenarios refresh-rotating -section bench-redis
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

type options struct {
	jwtd        string
	pluginDir   string
	template    string
	modes       []string
	scenarios   map[string]bool
	workers     int
	duration    time.Duration
	warmup      time.Duration
	maxRequests int
	out         string
	section     string // BENCHMARKS.md marker name: <!-- section:start -->
	sidecar     int    // pid of a server outside jwtd's tree whose CPU counts per request (redis-server), or 0
	redisAddr   string // the redis-server of the Redis modes
	pgDSN       string // the PostgreSQL database of a PostgreSQL mode
}

func main() {
	var o options
	serveBareMode := flag.Bool("serve-bare", false, "internal: serve the bare handler and print its address")
	flag.StringVar(&o.jwtd, "jwtd", "bin/jwtd", "jwtd binary to measure")
	flag.StringVar(&o.pluginDir, "plugin-dir", "bin", "directory of the out-of-process plugin binaries (plugins mode)")
	flag.StringVar(&o.template, "config-template", "", "jwtd.toml template (Go text/template) instead of the built-in one")
	modes := flag.String("modes", "bare,builtin,"+modeBuiltinOldPath+",plugins,"+modePluginsOldPath+",redis,redis-plugins,postgres,postgres-plugins",
		"comma-separated modes to run: bare, builtin, plugins (SQLite stores in/out of process), "+
			modeBuiltinOldPath+", "+modePluginsOldPath+" (SQLite blacklist with group_commit = false; refresh-rotating only), "+
			"redis, redis-plugins (Redis blacklist in/out of process; blacklist scenarios only), "+
			"postgres, postgres-plugins (both stores on PostgreSQL in/out of process; authenticate and refresh-rotating only)")
	scen := flag.String("scenarios", strings.Join(allScenarios, ","), "comma-separated jwtd scenarios to run")
	flag.IntVar(&o.workers, "workers", 8, "concurrent closed-loop connections")
	flag.DurationVar(&o.duration, "duration", 5*time.Second, "measured time per scenario")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured load before each scenario")
	flag.IntVar(&o.maxRequests, "max-requests", 2_000_000, "upper bound of requests per scenario (0: none)")
	flag.StringVar(&o.out, "out", "BENCHMARKS.md", "file to write the table into (empty: print only)")
	flag.StringVar(&o.section, "section", "bench", "marker name of the section of -out to replace (<!-- NAME:start --> … <!-- NAME:end -->), so a partial run can keep the full table")
	maxTime := flag.Duration("max-time", 15*time.Minute, "hard bound of the whole run")
	flag.Parse()

	if *serveBareMode || os.Getenv(serveBareEnv) == "1" {
		if err := serveBare(); err != nil {
			fmt.Fprintln(os.Stderr, "bench: bare server:", err)
			os.Exit(1)
		}
		return
	}
	o.modes = splitList(*modes)
	o.scenarios = map[string]bool{}
	for _, s := range splitList(*scen) {
		o.scenarios[s] = true
	}
	if o.workers < 1 || o.duration <= 0 {
		fmt.Fprintln(os.Stderr, "bench: -workers must be ≥ 1 and -duration positive")
		os.Exit(2)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	ctx, cancelTime := context.WithTimeout(ctx, *maxTime)
	defer cancelTime()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func run(ctx context.Context, o options) error {
	var rows []Row
	var notes []string
	var base Row
	if l := loadAverage(); l > 0.5 {
		notes = append(notes, fmt.Sprintf("the 1-minute load average was %.2f at the start: other work shared the CPUs, so absolute figures (and ratios, less so) are noisy", l))
	}

	fmt.Fprintf(os.Stderr, "bench: bare handler, %d workers, %v\n", o.workers, o.duration)
	bare, err := measureBare(ctx, o)
	if err != nil {
		return fmt.Errorf("bare handler: %w", err)
	}
	base = bare
	rows = append(rows, bare)

	var hash Row
	if o.scenarios[scObtain] && slices.ContainsFunc(o.modes, func(m string) bool { return m != "bare" }) {
		fmt.Fprintln(os.Stderr, "bench: password hash alone")
		if hash, err = measureHashBound(ctx, o); err != nil {
			notes = append(notes, fmt.Sprintf("hash-only bound: %v", err))
		} else {
			rows = append(rows, hash)
		}
	}

	var redisSrv *server
	var pgSrv *pgServer
	defer func() {
		if redisSrv != nil {
			redisSrv.stop()
		}
		if pgSrv != nil {
			pgSrv.stop()
		}
	}()
	for _, mode := range o.modes {
		if mode == "bare" {
			continue
		}
		mo := o
		if isRedisMode(mode) {
			if redisSrv == nil {
				fmt.Fprintln(os.Stderr, "bench: starting redis-server")
				redisSrv, err = startRedis(ctx)
				if err != nil {
					redisSrv = nil
					notes = append(notes, fmt.Sprintf("%s: not run: %v", mode, err))
					fmt.Fprintf(os.Stderr, "bench: %s: not run: %v\n", mode, err)
					continue
				}
			}
			mo.sidecar, mo.redisAddr = redisSrv.pid(), redisSrv.addr
			mo.scenarios = map[string]bool{}
			for _, sc := range redisScenarios {
				mo.scenarios[sc] = o.scenarios[sc]
			}
		}
		if isOldPathMode(mode) {
			mo.scenarios = map[string]bool{}
			for _, sc := range oldPathScenarios {
				mo.scenarios[sc] = o.scenarios[sc]
			}
		}
		if isPostgresMode(mode) {
			if pgSrv == nil {
				fmt.Fprintln(os.Stderr, "bench: starting PostgreSQL")
				if pgSrv, err = startPostgres(ctx); err != nil {
					pgSrv = nil
					notes = append(notes, fmt.Sprintf("%s: not run: %v", mode, err))
					fmt.Fprintf(os.Stderr, "bench: %s: not run: %v\n", mode, err)
					continue
				}
			}
			if mo.pgDSN, err = pgSrv.database(ctx, strings.ReplaceAll("bench_"+mode, "-", "_")); err != nil {
				notes = append(notes, fmt.Sprintf("%s: not run: %v", mode, err))
				continue
			}
			mo.sidecar = pgSrv.pid()
			mo.scenarios = map[string]bool{}
			for _, sc := range postgresScenarios {
				mo.scenarios[sc] = o.scenarios[sc]
			}
		}
		if ctx.Err() != nil {
			notes = append(notes, fmt.Sprintf("%s: not run (%v)", mode, ctx.Err()))
			continue
		}
		fmt.Fprintf(os.Stderr, "bench: jwtd, %s mode\n", mode)
		r, n, err := measureJWTD(ctx, mo, mode, base, hash)
		rows = append(rows, r...)
		notes = append(notes, n...)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s: %v", mode, err))
			fmt.Fprintf(os.Stderr, "bench: %s: %v\n", mode, err)
		}
	}

	notes = append(append(append(rotationTargets(rows), storeComparison(rows)...), postgresComparison(rows)...), notes...)
	if slices.ContainsFunc(o.modes, isPostgresMode) && pgSrv != nil {
		notes = append(notes, "PostgreSQL rows: both stores on a local PostgreSQL 15 (fsync and synchronous_commit on). "+
			"Their CPU/req and peak RSS include the postmaster's and its backends' (RSS summed per process, so shared buffers count once per backend); they run only authenticate and refresh-rotating")
	}
	if slices.ContainsFunc(o.modes, isRedisMode) && redisSrv != nil {
		notes = append(notes, "Redis rows: the user store stays SQLite; only the blacklist store is Redis (a local redis-server, no persistence). "+
			"Their CPU/req and peak RSS include redis-server's; they run only the scenarios that touch the blacklist (refresh, verify, refresh-rotating)")
	}
	section := report(o, rows, base, notes)
	fmt.Print(section)
	if o.out == "" {
		return nil
	}
	old, err := os.ReadFile(o.out)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if len(old) == 0 {
		old = []byte("# Benchmarks\n")
	}
	return os.WriteFile(o.out, []byte(ReplaceNamedSection(string(old), o.section, section)), 0o644)
}

// report is the Markdown section written to BENCHMARKS.md.
func report(o options, rows []Row, base Row, notes []string) string {
	var b strings.Builder
	title := "`make bench`"
	if o.section != "bench" {
		title = fmt.Sprintf("`go run ./bench -section %s`", o.section)
	}
	fmt.Fprintf(&b, "## %s — %s\n\n", title, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "%s, %d CPUs (client and server share them), %s, %d closed-loop connections, "+
		"%v measured per scenario after %v warm-up, loopback HTTP/1.1 keep-alive.\n\n",
		cpuModel(), runtime.NumCPU(), runtime.Version(), o.workers, o.duration, o.warmup)
	if o.section != "bench" {
		fmt.Fprintf(&b, "A partial run (`-modes %s -scenarios %s`); the full table is in the `make bench` section.\n\n",
			strings.Join(o.modes, ","), strings.Join(sortedKeys(o.scenarios), ","))
	}
	b.WriteString("Ratios are to the bare `net/http` handler (fixed JSON) measured in the same run: " +
		"for req/s higher is better, for latency, CPU and RSS lower is better. CPU/req is the server's " +
		"user+system time (jwtd plus its plugin processes) per request; peak RSS is VmHWM summed over them.\n\n")
	b.WriteString(Table(rows, base))
	for _, r := range rows {
		if r.Note != "" {
			notes = append(notes, fmt.Sprintf("%s/%s: %s", r.Mode, r.Scenario, r.Note))
		}
	}
	if len(notes) > 0 {
		b.WriteString("\nNotes:\n\n")
		for _, n := range notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String()
}

// loadAverage is the 1-minute load average, or 0 when unknown.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	if _, err := fmt.Sscanf(string(b), "%f", &l); err != nil {
		return 0
	}
	return l
}

// cpuModel is the "model name" of /proc/cpuinfo, or "unknown CPU".
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k, v := range m {
		if v {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
