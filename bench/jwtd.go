package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// defaultTemplate is the jwtd.toml the benchmark runs jwtd with (docs/config.md).
// Paths are relative to the config file, which sits in a fresh temp dir.
// Lifetimes are long so that no token expires during a run.
const defaultTemplate = `[server]
listen = {{printf "%q" .Listen}}

# obtain-failed measures failed logins by the thousand from one address:
# the brute-force lock (on by default) would answer them 429.
[server.brute_force]
enabled = false

[tokens]
access_token_lifetime = "1h"
refresh_token_lifetime = "24h"
rotate_refresh_tokens = {{.Rotate}}
blacklist_after_rotation = true
sessions = {{.Sessions}}
revoke_access_tokens = {{.Sessions}}
signing_key = "file:jwtd.key"

[plugins.user_store]
use = {{printf "%q" .UserStore}}
[plugins.user_store.config]
{{.UserConfig}}
[plugins.blacklist_store]
use = {{printf "%q" .BlacklistStore}}
[plugins.blacklist_store.config]
{{.BlacklistConfig}}`

// configData fills the config template.
type configData struct {
	Listen string // 127.0.0.1:port
	Dir    string // the temp dir holding the config
	Rotate bool   // rotate_refresh_tokens
	// Sessions turns sessions and revoke_access_tokens on (the session
	// scenarios).
	Sessions  bool
	UserStore string // "use" of the user store: a built-in name or a plugin binary path
	// UserConfig is the body of [plugins.user_store.config]: the SQLite
	// path, or the PostgreSQL DSN of the PostgreSQL modes.
	UserConfig     string
	BlacklistStore string // likewise for the blacklist store
	// BlacklistConfig is the body of [plugins.blacklist_store.config]:
	// the SQLite path, or the Redis address of the Redis modes.
	BlacklistConfig string
	PluginDir       string // absolute -plugin-dir
}

const (
	benchUser     = "bench"
	benchPassword = "bench-password-correct-horse"
)

// pluginUses names the user and blacklist store for a mode: built-in names,
// or the plugin binaries in -plugin-dir.
func pluginUses(o options, mode string) (user, blacklist string, err error) {
	switch mode {
	case "builtin", modeBuiltinOldPath:
		return "sqlite", "sqlite", nil
	case modeRedis:
		return "sqlite", "redis", nil
	case modePostgres:
		return "postgres", "postgres", nil
	case modePostgresPlugins:
		if user, err = pluginBinary(o, "postgres"); err != nil {
			return "", "", err
		}
		return user, user, nil
	case "plugins", modePluginsOldPath, modeRedisPlugins:
		if user, err = pluginBinary(o, "sqlite"); err != nil {
			return "", "", err
		}
		if mode != modeRedisPlugins {
			return user, user, nil
		}
		if blacklist, err = pluginBinary(o, "redis"); err != nil {
			return "", "", err
		}
		return user, blacklist, nil
	default:
		return "", "", fmt.Errorf("unknown mode %q (want bare, builtin, plugins, redis, redis-plugins, postgres or postgres-plugins)", mode)
	}
}

// pluginBinary finds the plugin binary jwtd-plugin-NAME (or jwtd-NAME) in
// -plugin-dir, as an absolute path.
func pluginBinary(o options, name string) (string, error) {
	dir, err := filepath.Abs(o.pluginDir)
	if err != nil {
		return "", err
	}
	for _, n := range []string{"jwtd-plugin-" + name, "jwtd-" + name} {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("no %s plugin binary (jwtd-plugin-%s) in %s: go build -o bin/ ./plugins/%s/cmd/jwtd-plugin-%s",
		name, name, dir, name, name)
}

// measureJWTD runs the jwtd scenarios in one plugin mode: a server without
// rotation for obtain, refresh, verify and both authenticates, then one with
// rotation for the rotating refresh chain.
func measureJWTD(ctx context.Context, o options, mode string, base, hash Row) ([]Row, []string, error) {
	bin, err := filepath.Abs(o.jwtd)
	if err != nil {
		return nil, nil, err
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, nil, fmt.Errorf("jwtd binary: %w (build it first: go build -o bin/jwtd ./host/cmd/jwtd)", err)
	}
	userUse, blUse, err := pluginUses(o, mode)
	if err != nil {
		return nil, nil, err
	}
	tmplText := defaultTemplate
	if o.template != "" {
		b, err := os.ReadFile(o.template)
		if err != nil {
			return nil, nil, err
		}
		tmplText = string(b)
	}
	tmpl, err := template.New("jwtd.toml").Parse(tmplText)
	if err != nil {
		return nil, nil, fmt.Errorf("config template: %w", err)
	}
	dir, err := os.MkdirTemp("", "jwtd-bench-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	if err := os.WriteFile(filepath.Join(dir, "jwtd.key"), []byte(hex.EncodeToString(key)), 0o600); err != nil {
		return nil, nil, err
	}
	pluginDir, _ := filepath.Abs(o.pluginDir)
	data := configData{Dir: dir, UserStore: userUse, BlacklistStore: blUse, PluginDir: pluginDir,
		UserConfig: "path = \"jwtd.db\"\n", BlacklistConfig: blacklistConfig(mode, o.redisAddr)}
	if isPostgresMode(mode) {
		data.UserConfig = postgresConfig(o.pgDSN)
		data.BlacklistConfig = data.UserConfig
	}
	cfg := filepath.Join(dir, "jwtd.toml")
	writeConfig := func(rotate bool, sessions ...bool) error {
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		data.Listen, data.Rotate, data.Sessions = addr, rotate, len(sessions) > 0 && sessions[0]
		f, err := os.Create(cfg)
		if err != nil {
			return err
		}
		defer f.Close()
		return tmpl.Execute(f, data)
	}
	if err := writeConfig(false); err != nil {
		return nil, nil, err
	}
	added, err := jwtdCommand(ctx, bin, cfg, benchPassword+"\n", "user", "add", benchUser)
	if err != nil {
		return nil, nil, fmt.Errorf("jwtd user add: %w", err)
	}
	// The scenarios' tokens come from `jwtd token issue`, not from an
	// obtain: a password check leaves its 100 MiB argon2 heap in the
	// server, which would count in the peak RSS of every cheap scenario.
	_, userID, _ := strings.Cut(strings.TrimSpace(added), " with id ")
	issue := func() (pair, error) {
		out, err := jwtdCommand(ctx, bin, cfg, "", "token", "issue", "--user", userID)
		if err != nil {
			return pair{}, fmt.Errorf("jwtd token issue: %w", err)
		}
		return decodePair([]byte(out))
	}
	creds := mustJSON(map[string]string{"username": benchUser, "password": benchPassword})

	var rows []Row
	var notes []string
	// Obtain runs last: its argon2 hashes (100 MiB each) leave a heap
	// behind that would inflate the peak RSS of the cheap scenarios.
	plain := []string{scRefresh, scVerify, scVerifyRefresh, scAuth, scAuthStateless, scForwardAuth, scObtain, scObtainFailed}
	if anyOf(o.scenarios, plain) {
		srv, err := startJWTD(ctx, bin, cfg, data.Listen)
		if err != nil {
			return rows, notes, err
		}
		c := newClient(srv.addr, o.workers)
		p, err := issue()
		if err != nil {
			srv.stop()
			return rows, notes, err
		}
		split := &splitLatencies{}
		steps := jwtdSteps(c, creds, p, o.workers, split)
		for _, name := range plain {
			if !o.scenarios[name] || ctx.Err() != nil {
				continue
			}
			fmt.Fprintf(os.Stderr, "bench:   %s\n", name)
			// Keep the measured run's failed-login samples, not the warm-up's.
			mo := o
			if name == scObtainFailed {
				// A few logins a second: run longer for enough samples to
				// compare the two kinds.
				mo.duration *= 3
			}
			row, err := measure(ctx, mo, mode, name, srv.pid(), steps[name], split.reset)
			if err != nil {
				notes = append(notes, fmt.Sprintf("%s/%s: %v", mode, name, err))
				continue
			}
			row.Target = target(mode, name, row, base, hash)
			rows = append(rows, row)
		}
		c.close()
		srv.stop()
		if n := enumerationNote(mode, split); n != "" {
			notes = append(notes, n)
		}
	}
	if o.scenarios[scRefreshRot] && ctx.Err() == nil {
		if err := writeConfig(true); err != nil {
			return rows, notes, err
		}
		srv, err := startJWTD(ctx, bin, cfg, data.Listen)
		if err != nil {
			return rows, notes, err
		}
		defer srv.stop()
		c := newClient(srv.addr, o.workers)
		defer c.close()
		fmt.Fprintf(os.Stderr, "bench:   %s\n", scRefreshRot)
		steps, err := rotatingSteps(c, issue, o.workers)
		if err != nil {
			return rows, notes, fmt.Errorf("%s: %w", scRefreshRot, err)
		}
		row, err := measure(ctx, o, mode, scRefreshRot, srv.pid(), steps)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s/%s: %v", mode, scRefreshRot, err))
		} else {
			rows = append(rows, row)
		}
	}
	if anyOf(o.scenarios, []string{scRefreshRotSessions, scAuthRevokeAccess}) && ctx.Err() == nil {
		r, n, err := measureSessions(ctx, o, mode, bin, cfg, &data, creds, issue, func() error { return writeConfig(true, true) })
		rows, notes = append(rows, r...), append(notes, n...)
		if err != nil {
			return rows, notes, err
		}
	}
	return rows, notes, nil
}

// measureSessions runs the session scenarios on a server with sessions and
// revoke_access_tokens on: the rotating refresh chain (each rotation a
// RotateSession) and authenticate (a SessionState per request).
func measureSessions(ctx context.Context, o options, mode, bin, cfg string, data *configData, creds []byte, issue func() (pair, error), write func() error) ([]Row, []string, error) {
	if err := write(); err != nil {
		return nil, nil, err
	}
	srv, err := startJWTD(ctx, bin, cfg, data.Listen)
	if err != nil {
		return nil, nil, err
	}
	defer srv.stop()
	c := newClient(srv.addr, o.workers)
	defer c.close()
	var rows []Row
	var notes []string
	if o.scenarios[scRefreshRotSessions] {
		fmt.Fprintf(os.Stderr, "bench:   %s\n", scRefreshRotSessions)
		steps, err := rotatingSteps(c, issue, o.workers)
		if err != nil {
			return rows, notes, fmt.Errorf("%s: %w", scRefreshRotSessions, err)
		}
		if row, err := measure(ctx, o, mode, scRefreshRotSessions, srv.pid(), steps); err != nil {
			notes = append(notes, fmt.Sprintf("%s/%s: %v", mode, scRefreshRotSessions, err))
		} else {
			rows = append(rows, row)
		}
	}
	if o.scenarios[scAuthRevokeAccess] && ctx.Err() == nil {
		fmt.Fprintf(os.Stderr, "bench:   %s\n", scAuthRevokeAccess)
		p, err := issue()
		if err != nil {
			return rows, notes, fmt.Errorf("%s: %w", scAuthRevokeAccess, err)
		}
		steps := jwtdSteps(c, creds, p, o.workers, &splitLatencies{})[scAuth]
		if row, err := measure(ctx, o, mode, scAuthRevokeAccess, srv.pid(), steps); err != nil {
			notes = append(notes, fmt.Sprintf("%s/%s: %v", mode, scAuthRevokeAccess, err))
		} else {
			rows = append(rows, row)
		}
	}
	return rows, notes, nil
}

func anyOf(set map[string]bool, names []string) bool {
	for _, n := range names {
		if set[n] {
			return true
		}
	}
	return false
}

// target states the issue's goal for a row and whether it is met. hash is
// the hash-only bound (RPS 0 when not measured).
func target(mode, name string, r, base, hash Row) string {
	if name == scObtain {
		// Judged by CPU per request: on a machine shared with the load
		// generator (and whatever else runs) the hash-only run's req/s
		// swings by half from run to run, while CPU per check is steady,
		// and a saturated server's bound is cores ÷ CPU per request.
		if hash.CPUPerReq == 0 || r.CPUPerReq == 0 {
			return "bound by the password hash (not measured)"
		}
		cpu := Ratio(float64(r.CPUPerReq), float64(hash.CPUPerReq))
		verdict := "met"
		if !(cpu <= 1.1) {
			verdict = "MISSED"
		}
		return fmt.Sprintf("CPU/req ≤ 1.10× the hash alone: %.2f× (req/s %.0f%% of the hash-only run), %s",
			cpu, Ratio(r.RPS, hash.RPS)*100, verdict)
	}
	goal := issue12Goal(mode, name)
	if goal == 0 {
		return ""
	}
	got := Ratio(r.RPS, base.RPS)
	verdict := "met"
	if !(got >= goal) {
		verdict = "MISSED"
	}
	t := fmt.Sprintf("≥ %.1f× bare req/s: %.2f×, %s", goal, got, verdict)
	if rss := rssTarget(mode, name, r); rss != "" {
		t += "; " + rss
	}
	return t
}

// freeAddr picks a free loopback port. Another process could take it before
// jwtd binds it; jwtd then fails to start and the run says so.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// jwtdCommand runs a jwtd CLI command to completion with stdin, bounded to
// two minutes, and returns its standard output. The config is named both by
// --config and JWTD_CONFIG, and the command runs in the config's directory.
func jwtdCommand(ctx context.Context, bin, cfg, stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(args, "--config", cfg)...)
	cmd.Dir = filepath.Dir(cfg)
	cmd.Env = append(os.Environ(), "JWTD_CONFIG="+cfg)
	cmd.Stdin = strings.NewReader(stdin)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()+string(out)))
	}
	return string(out), nil
}

// startJWTD starts `jwtd serve` and waits until /healthz answers 200.
func startJWTD(ctx context.Context, bin, cfg, addr string) (*server, error) {
	cmd := exec.Command(bin, "serve", "--config", cfg)
	cmd.Dir = filepath.Dir(cfg)
	cmd.Env = append(os.Environ(), "JWTD_CONFIG="+cfg)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	logf, err := os.Create(filepath.Join(filepath.Dir(cfg), "jwtd.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	s := &server{cmd: cmd, addr: addr, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(s.done) }()
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		select {
		case <-s.done:
			log, _ := os.ReadFile(logf.Name())
			return nil, fmt.Errorf("jwtd serve exited: %s", lastLines(string(log), 5))
		default:
		}
		resp, err := hc.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop()
	log, _ := os.ReadFile(logf.Name())
	return nil, fmt.Errorf("jwtd did not answer /healthz on %s within 30s: %s", addr, lastLines(string(log), 5))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
