package main_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jwtd/jwtd/internal/jwtdtest"
)

// requireRoot skips a test that needs root, loudly, unless
// JWTD_REQUIRE_ROOT is set (CI runs as root and sets it).
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("JWTD_REQUIRE_ROOT") != "" {
		t.Fatal("JWTD_REQUIRE_ROOT is set but the test does not run as root")
	}
	t.Skip("SKIPPED: this test switches users and needs root; run as root (CI sets JWTD_REQUIRE_ROOT=1)")
}

// nobodyCred is the credential of user nobody.
func nobodyCred(t *testing.T) *syscall.Credential {
	t.Helper()
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("SKIPPED: no user nobody: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
}

// worldDir is a fresh directory every user may enter (t.TempDir's are
// root's alone), removed at the end; owner, when set, gets it.
func worldDir(t *testing.T, owner *syscall.Credential) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "jwtd-isolation-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if owner != nil {
		if err := os.Chown(dir, int(owner.Uid), int(owner.Gid)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// install hard-links (else copies) the binary src into dir.
func install(t *testing.T, src, dir string) string {
	t.Helper()
	dst := filepath.Join(dir, filepath.Base(src))
	if err := os.Link(src, dst); err == nil {
		return dst
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestEnvironUnreadableBySameUser: jwtd makes itself non-dumpable, so
// another process of its own user (a plugin running as jwtd's user) cannot
// read /proc/<jwtd>/environ, where signing_key = "env:..." keeps the key.
// As root the test runs jwtd and the reader as nobody, since root could
// read it anyway.
func TestEnvironUnreadableBySameUser(t *testing.T) {
	const key = "JWTD_TEST_SIGNING_KEY=an-environment-key-of-forty-characters-x"
	var cred *syscall.Credential
	bin := jwtdBin
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		cred = nobodyCred(t)
		dir = worldDir(t, nil)
		bin = install(t, jwtdBin, dir)
	}
	cfg := filepath.Join(dir, "jwtd.toml")
	if err := os.WriteFile(cfg, []byte("[server]\npublic_ops = true\n[tokens]\nsigning_key = \"env:JWTD_TEST_SIGNING_KEY\"\n[plugins.user_store]\nuse = \"memory\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := jwtdtest.FreeAddr(t)
	cmd := exec.Command(bin, "serve", "--config", cfg, "--listen", addr)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), key}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	p := jwtdtest.Start(t, cmd, "http://"+addr, jwtdtest.Options{ReadyPath: "/healthz"})

	reader := exec.Command("cat", "/proc/"+strconv.Itoa(p.Cmd.Process.Pid)+"/environ")
	reader.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	out, err := reader.CombinedOutput()
	if strings.Contains(string(out), key) {
		t.Fatalf("a process of jwtd's user read jwtd's environment, signing key included")
	}
	if err == nil || !strings.Contains(string(out), "Permission denied") {
		t.Fatalf("reading /proc/<jwtd>/environ: %v %q, want permission denied", err, out)
	}
	// jwtd still reads its own /proc files: the process metrics.
	resp, err := http.Get(p.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "process_open_fds ") {
		t.Fatalf("/metrics of a non-dumpable jwtd: %d, process_open_fds present: %v", resp.StatusCode, strings.Contains(string(body), "process_open_fds "))
	}
}

// TestPluginAsAnotherUser runs the repository's config with both SQLite
// stores as plugin processes running as nobody, their database in a
// directory of nobody's: users are added through the CLI, tokens obtained
// and blacklisted over HTTP, and the plugin processes run with nobody's
// uid. jwtd runs as root with every capability, and as the systemd unit
// runs it: root with only CAP_SETUID, CAP_SETGID and CAP_KILL, in the
// plugin's group (without that group it cannot reach the plugin's socket,
// and without CAP_KILL it could not stop a wedged plugin: it says so).
func TestPluginAsAnotherUser(t *testing.T) {
	requireRoot(t)
	cred := nobodyCred(t)
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Fatal("setpriv (util-linux) is needed to run jwtd with the systemd unit's capabilities")
	}
	reduced := []string{setpriv, "--bounding-set=-all,+setuid,+setgid,+kill", "--inh-caps=-all"}
	cases := []struct {
		name    string
		wrap    []string // runs jwtd under this command
		wantErr string   // check-config's refusal, when jwtd cannot do it
	}{
		{"root", nil, ""},
		{"root with the unit's capabilities, in the plugin's group", append(reduced, "--groups="+strconv.Itoa(int(cred.Gid)), "--"), ""},
		{"root with the unit's capabilities, not in the plugin's group", append(reduced, "--clear-groups", "--"), "SupplementaryGroups"},
		{"root without CAP_KILL", []string{setpriv, "--bounding-set=-all,+setuid,+setgid", "--inh-caps=-all", "--groups=" + strconv.Itoa(int(cred.Gid)), "--"}, "without CAP_KILL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			run := func(stdin string, args ...string) (string, error) {
				argv := append(append(append([]string(nil), tc.wrap...), jwtdBin), args...)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
				cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
				// A plugin left behind must not keep the output open.
				cmd.WaitDelay = time.Second
				cmd.Stdin = strings.NewReader(stdin)
				out, err := cmd.CombinedOutput()
				return string(out), err
			}
			cfg := repoConfig(t)
			bin := install(t, sqlitePlugin, worldDir(t, nil))
			data := worldDir(t, cred)
			for _, section := range []string{"[plugins.user_store]\n", "[plugins.blacklist_store]\n"} {
				editConfig(t, cfg, section+shippedUse, section+"use = \""+bin+"\"\nuser = \"nobody\"")
			}
			if tc.wantErr != "" {
				editConfig(t, cfg, `path = "jwtd.db"`, `path = "`+filepath.Join(data, "jwtd.db")+`"`)
				if out, err := run("", "check-config", "--config", cfg); err == nil || !strings.Contains(out, tc.wantErr) {
					t.Fatalf("check-config: %v %s, want a refusal saying %q", err, out, tc.wantErr)
				}
				return
			}
			// A database the plugin's user cannot reach: a start error
			// saying so.
			editConfig(t, cfg, `path = "jwtd.db"`, `path = "`+filepath.Join(filepath.Dir(cfg), "jwtd.db")+`"`)
			if out, err := run("", "check-config", "--config", cfg); err == nil || !strings.Contains(out, `the plugin runs as user "nobody"`) {
				t.Fatalf("check-config with a database nobody cannot reach: %v %s", err, out)
			}
			editConfig(t, cfg, filepath.Join(filepath.Dir(cfg), "jwtd.db"), filepath.Join(data, "jwtd.db"))
			if out, err := run("pw-nobody\n", "user", "add", "alice", "--config", cfg); err != nil {
				t.Fatalf("user add: %v %s", err, out)
			}
			addr := jwtdtest.FreeAddr(t)
			argv := append(append(append([]string(nil), tc.wrap...), jwtdBin), "serve", "--config", cfg, "--listen", addr)
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
			s := &server{Process: jwtdtest.Start(t, cmd, "http://"+addr, jwtdtest.Options{ReadyPath: "/readyz", ReadyTimeout: 20 * time.Second}), t: t}
			status, pair := s.post("/api/token/", map[string]string{"username": "alice", "password": "pw-nobody"})
			if status != 200 {
				t.Fatalf("obtain: %d %v", status, pair)
			}
			if status, body := s.post("/api/token/blacklist/", map[string]any{"refresh": pair["refresh"]}); status != 200 {
				t.Fatalf("blacklist: %d %v", status, body)
			}
			children := childrenOf(t, s.Cmd.Process.Pid)
			if len(children) == 0 {
				t.Fatal("no plugin process under jwtd")
			}
			for _, pid := range children {
				if uid := procUID(t, pid); uid != int(cred.Uid) {
					t.Errorf("plugin process %d runs as uid %d, want nobody's %d", pid, uid, cred.Uid)
				}
			}
			fi, err := os.Stat(filepath.Join(data, "jwtd.db"))
			if err != nil {
				t.Fatal(err)
			}
			if st := fi.Sys().(*syscall.Stat_t); st.Uid != cred.Uid {
				t.Errorf("the database was created by uid %d, want the plugin's user %d", st.Uid, cred.Uid)
			}
			if err := s.stop(syscall.SIGTERM); err != nil {
				t.Fatalf("SIGTERM: %v", err)
			}
		})
	}
}

// childrenOf lists the pids whose parent is pid, waiting briefly for at
// least one.
func childrenOf(t *testing.T, pid int) []int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var out []int
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			child, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
			if err != nil {
				continue
			}
			// The parent pid is the second field after the command name.
			fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
			if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
				out = append(out, child)
			}
		}
		if len(out) > 0 || time.Now().After(deadline) {
			return out
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// procUID is the real uid of process pid.
func procUID(t *testing.T, pid int) int {
	t.Helper()
	status, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(l, "Uid:"); ok {
			uid, _ := strconv.Atoi(strings.Fields(rest)[0])
			return uid
		}
	}
	t.Fatalf("no Uid line for %d", pid)
	return -1
}
