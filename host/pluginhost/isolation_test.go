package pluginhost_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/jwtd/jwtd/host/pluginhost"
)

// fileSHA256 is the hex SHA-256 of the file at path.
func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(sum.Sum(nil))
}

// writeExecutable writes an executable file (a script) at path.
func writeExecutable(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestPinnedBinarySwappedAfterCheck swaps the plugin file on disk after
// its checksum was checked and before its process starts (the window in
// which someone who can write the plugin's directory would replace it):
// what runs must still be the file whose checksum matched the pin, for a
// binary and for a script run by its interpreter.
func TestPinnedBinarySwappedAfterCheck(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	selfSum := fileSHA256(t, self)
	impostor := "#!/bin/sh\necho impostor ran >&2\nexit 7\n"
	cases := []struct {
		name string
		// install puts the genuine plugin at path.
		install func(t *testing.T, path string)
	}{
		{"binary", func(t *testing.T, path string) {
			// A link named whoami: the test binary serves the plugin
			// its argv[0] names.
			dir := filepath.Dir(path)
			if err := os.Symlink(self, filepath.Join(dir, "whoami")); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(filepath.Join(dir, "whoami"), path); err != nil {
				t.Fatal(err)
			}
		}},
		{"script", func(t *testing.T, path string) {
			// The interpreter reads the script through the descriptor
			// the host keeps open for it.
			writeExecutable(t, path, fmt.Sprintf("#!/bin/sh\nexec '%s' whoami\n", self))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "whoami")
			tc.install(t, path)
			pin := fileSHA256(t, path)
			var swaps atomic.Int32
			restore := pluginhost.SetPinChecked(func(p string) {
				if p != path || swaps.Add(1) > 1 {
					return
				}
				// Replace the checked file by another one under the
				// same name, as an attacker would.
				if err := os.Remove(p); err != nil {
					t.Error(err)
				}
				if err := os.WriteFile(p, []byte(impostor), 0o755); err != nil {
					t.Error(err)
				}
			})
			t.Cleanup(restore)
			h := newHost(t)
			ctx := context.Background()
			cs, err := h.ClaimSerializer(ctx, pluginhost.Spec{Path: path, SHA256: pin})
			if err != nil {
				t.Fatalf("start with the binary swapped after the check: %v (the swapped file ran)", err)
			}
			if swaps.Load() != 1 {
				t.Fatalf("the swap hook ran %d times, want once", swaps.Load())
			}
			who, err := cs.TokenUser(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			// For the script, the program running is the test binary it
			// execs; either way it is the genuine plugin, not the impostor.
			if who["exe"] != selfSum {
				t.Fatalf("the running plugin's executable has sha256 %v, want the pinned plugin's (%s)", who["exe"], selfSum)
			}
			if got := fileSHA256(t, path); got == pin {
				t.Fatal("the file on disk was not swapped; the test proves nothing")
			}
		})
	}
}

// worldDir makes a directory any user can enter, for binaries a plugin
// running as another user must execute, and removes it at the end.
func worldDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pluginhost-world-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// linkSelf puts the test binary in dir under name (a hard link, else a
// copy), reachable by any user.
func linkSelf(t *testing.T, dir, name string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.Link(self, path); err == nil {
		return path
	}
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	writeExecutable(t, path, string(data))
	return path
}

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
	t.Skip("SKIPPED: running plugins as another user needs root; run as root (CI sets JWTD_REQUIRE_ROOT=1)")
}

// nobody is the unprivileged user the tests run plugins as.
func nobody(t *testing.T) *user.User {
	t.Helper()
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("SKIPPED: no user nobody: %v", err)
	}
	return u
}

// TestPluginRunsAsConfiguredUser starts a real plugin as user nobody:
// it runs with nobody's uid, jwtd's environment is out of its reach, the
// handshake (AutoMTLS over the plugin's socket) works, and a pinned
// binary runs as that user too.
func TestPluginRunsAsConfiguredUser(t *testing.T) {
	requireRoot(t)
	u := nobody(t)
	t.Setenv("JWTD_TEST_SIGNING_KEY", "super-secret")
	path := linkSelf(t, worldDir(t), "whoami")
	pin := fileSHA256(t, path)
	ctx := context.Background()
	cases := []struct {
		name string
		spec pluginhost.Spec
		gid  string
	}{
		{"by name", pluginhost.Spec{Path: path, User: "nobody"}, u.Gid},
		{"by uid, pinned", pluginhost.Spec{Path: path, User: u.Uid, SHA256: pin}, u.Gid},
		{"with a group", pluginhost.Spec{Path: path, User: "nobody", Group: "0"}, "0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHost(t)
			cs, err := h.ClaimSerializer(ctx, tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			who, err := cs.TokenUser(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(who["uid"]) != u.Uid || fmt.Sprint(who["gid"]) != tc.gid {
				t.Fatalf("plugin runs as uid %v gid %v, want %s:%s", who["uid"], who["gid"], u.Uid, tc.gid)
			}
			if e, _ := who["host_environ_error"].(string); !strings.Contains(e, "permission denied") {
				t.Fatalf("plugin read jwtd's /proc/PID/environ (error %q), want permission denied", e)
			}
			if st := h.Ping(ctx); len(st) != 1 || !st[0].Up {
				t.Fatalf("Ping = %+v, want up", st)
			}
		})
	}
	// Without user, the plugin is jwtd's user: the contrast the option is for.
	h := newHost(t)
	cs, err := h.ClaimSerializer(ctx, pluginhost.Spec{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	who, err := cs.TokenUser(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(who["uid"]) != strconv.Itoa(os.Getuid()) {
		t.Fatalf("plugin without user runs as uid %v, want jwtd's %d", who["uid"], os.Getuid())
	}
}

// TestSwitchUserRefusedWithoutPrivilege: a jwtd that is not root cannot
// run a plugin as another user; it says so at start instead of starting
// the plugin as itself. Run as root, the host under test is a helper
// process running as nobody.
func TestSwitchUserRefusedWithoutPrivilege(t *testing.T) {
	cases := []struct{ name, user, want string }{
		{"another user", "root", "needs jwtd started as root"},
		{"unknown user", "no-such-user-jwtd", `user "no-such-user-jwtd": no such user`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out string
			if os.Geteuid() != 0 {
				h := newHost(t)
				_, err := h.ClaimSerializer(context.Background(), pluginhost.Spec{Path: pluginPath("whoami"), User: tc.user})
				out = fmt.Sprint("error: ", err)
			} else {
				u := nobody(t)
				dir := worldDir(t)
				host := linkSelf(t, dir, "host")
				cmd := exec.Command(host, "-test.run=^$")
				uid, _ := strconv.Atoi(u.Uid)
				gid, _ := strconv.Atoi(u.Gid)
				cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, Pdeathsig: syscall.SIGKILL}
				cmd.Dir = dir
				cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "JWTD_PLUGINHOST_TEST_ROLE=switch-user", "JWTD_TEST_PLUGIN=" + linkSelf(t, dir, "whoami"), "JWTD_TEST_USER=" + tc.user}
				stdout, err := cmd.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				cmd.Stderr = os.Stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
				line, _ := bufio.NewReader(stdout).ReadString('\n')
				out = strings.TrimSpace(line)
			}
			if !strings.Contains(out, tc.want) {
				t.Fatalf("host said %q, want %q", out, tc.want)
			}
		})
	}
}
