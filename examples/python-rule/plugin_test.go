package pythonrule_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/pluginhost"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

func TestMain(m *testing.M) {
	// Re-executed as a stand-in jwtd by TestPythonRuleHostKilled.
	if path := os.Getenv(hostEnv); path != "" {
		os.Exit(runHost(path))
	}
	code := m.Run()
	if stubDir != "" {
		os.RemoveAll(stubDir)
	}
	os.Exit(code)
}

// hostEnv makes the test binary a host process that starts the plugin at
// the given path, prints its pid and waits to be killed.
const hostEnv = "JWTD_PYTHON_RULE_TEST_HOST"

func runHost(path string) int {
	h := pluginhost.New(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := h.AuthRule(ctx, pluginhost.Spec{Name: "auth_rule", Path: path,
		Config: sdk.Config{"allowed_domains": []any{"example.com"}}}); err != nil {
		fmt.Println("error:", err)
		return 1
	}
	for _, st := range h.Ping(ctx) {
		fmt.Println("pid:", st.PID)
	}
	time.Sleep(time.Minute)
	return 0
}

// requireEnv makes a missing Python toolchain a failure instead of a skip;
// CI sets it after installing the Debian packages the plugin needs.
const requireEnv = "JWTD_REQUIRE_PYTHON_PLUGIN"

// pythonModules are what the plugin and its stub generation import.
const pythonModules = "import grpc, grpc_tools.protoc, google.protobuf, cryptography"

// findPython returns an interpreter that has the plugin's modules: $PYTHON,
// then python3 on PATH, then Debian's /usr/bin/python3 (where the
// python3-grpcio packages install, even when PATH prefers another Python).
func findPython() (string, error) {
	var tried []string
	for _, c := range []string{os.Getenv("PYTHON"), "python3", "/usr/bin/python3"} {
		if c == "" {
			continue
		}
		p, err := exec.LookPath(c)
		if err != nil {
			tried = append(tried, c+": not found")
			continue
		}
		out, err := exec.Command(p, "-c", pythonModules).CombinedOutput()
		if err != nil {
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			tried = append(tried, p+": "+lines[len(lines)-1])
			continue
		}
		return p, nil
	}
	return "", fmt.Errorf("no Python 3 with grpc, grpc_tools, protobuf and cryptography (%s); "+
		"install Debian's python3-grpcio python3-grpc-tools python3-protobuf python3-cryptography",
		strings.Join(tried, "; "))
}

// preparePlugin generates the Python stubs from sdk/proto into a temporary
// directory beside a copy of plugin.py, as `make build` does in place, and
// returns the path of a launcher script for it: jwtd runs a plugin by path,
// and the launcher pins the interpreter that has the modules. The work is
// done once per test binary.
func preparePlugin(t *testing.T) string {
	t.Helper()
	prepareOnce.Do(func() { launcher, prepareErr = prepare() })
	if prepareErr != nil && errors.Is(prepareErr, errNoPython) {
		if os.Getenv(requireEnv) != "" {
			t.Fatalf("%s is set: %v", requireEnv, prepareErr)
		}
		// Loud: shown without -v too, so a run that skipped it says so.
		fmt.Fprintf(os.Stderr, "SKIP python-rule example: %v (set %s=1 to make this a failure)\n", prepareErr, requireEnv)
		t.Skip(prepareErr)
	}
	if prepareErr != nil {
		t.Fatal(prepareErr)
	}
	return launcher
}

var (
	prepareOnce sync.Once
	launcher    string
	prepareErr  error
	// stubDir holds the generated stubs and the launcher; TestMain removes it.
	stubDir     string
	errNoPython = errors.New("no usable Python")
)

func prepare() (string, error) {
	python, err := findPython()
	if err != nil {
		return "", fmt.Errorf("%w: %v", errNoPython, err)
	}
	if stubDir, err = os.MkdirTemp("", "jwtd-python-rule-"); err != nil {
		return "", err
	}
	gen := exec.Command("sh", "gen.sh")
	gen.Env = append(os.Environ(), "PYTHON="+python, "OUT="+filepath.Join(stubDir, "gen"))
	if out, err := gen.CombinedOutput(); err != nil {
		return "", fmt.Errorf("gen.sh: %v\n%s", err, out)
	}
	src, err := os.ReadFile("plugin.py")
	if err != nil {
		return "", err
	}
	script := filepath.Join(stubDir, "plugin.py")
	if err := os.WriteFile(script, src, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(stubDir, "jwtd-example-python-rule")
	// The same script with the interpreter on its #! line, for the pinned
	// run (a pin covers the file executed, so no launcher in between).
	direct := strings.Replace(string(src), "#!/usr/bin/python3", "#!"+python, 1)
	if err := os.WriteFile(filepath.Join(stubDir, "pinned.py"), []byte(direct), 0o755); err != nil {
		return "", err
	}
	body := fmt.Sprintf("#!/bin/sh\nexec '%s' '%s' \"$@\"\n", python, script)
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		return "", err
	}
	return path, nil
}

// startRule launches the Python plugin through jwtd's plugin host
// (go-plugin, AutoMTLS, no inherited environment) and returns its rule and
// the host.
func startRule(t *testing.T, path string, cfg sdk.Config) (sdk.AuthRule, *pluginhost.Host, error) {
	t.Helper()
	h := pluginhost.New(nil)
	t.Cleanup(func() { h.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := h.AuthRule(ctx, pluginhost.Spec{Name: "auth_rule", Path: path, Config: cfg})
	return r, h, err
}

// TestPythonRulePinned: a script pinned with sha256 runs as the open file
// jwtd checked (/proc/self/fd/N) and still finds its generated stubs
// beside itself.
func TestPythonRulePinned(t *testing.T) {
	preparePlugin(t)
	path := filepath.Join(stubDir, "pinned.py")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	h := pluginhost.New(nil)
	t.Cleanup(func() { h.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rule, err := h.AuthRule(ctx, pluginhost.Spec{Name: "auth_rule", Path: path, SHA256: hex.EncodeToString(sum[:]), Config: sdk.Config{"allowed_domains": []any{"example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := rule.Allow(ctx, user(true, map[string]any{"email": "ann@example.com"})); err != nil || !ok {
		t.Fatalf("Allow = %v, %v; want true", ok, err)
	}
}

func user(active bool, attrs map[string]any) sdk.User {
	return sdk.User{ID: "42", Username: "u", IsActive: active, Attributes: attrs}
}

func TestPythonRule(t *testing.T) {
	path := preparePlugin(t)
	rule, h, err := startRule(t, path, sdk.Config{"allowed_domains": []any{"example.com", "Ops.Example.org"}})
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name  string
		user  sdk.User
		allow bool
	}{
		{"allowed domain", user(true, map[string]any{"email": "ann@example.com"}), true},
		{"second domain, other case", user(true, map[string]any{"email": "ben@OPS.example.ORG"}), true},
		{"inactive", user(false, map[string]any{"email": "ann@example.com"}), false},
		{"other domain", user(true, map[string]any{"email": "eve@example.net"}), false},
		{"subdomain is not the domain", user(true, map[string]any{"email": "eve@evil.example.com"}), false},
		{"suffix trick", user(true, map[string]any{"email": "eve@notexample.com"}), false},
		{"two at signs", user(true, map[string]any{"email": "eve@example.net@example.com"}), false},
		{"no local part", user(true, map[string]any{"email": "@example.com"}), false},
		{"email not a string", user(true, map[string]any{"email": []any{"ann@example.com"}}), false},
		{"no attributes, username not an address", user(true, nil), false},
		{"username is an allowed address", sdk.User{ID: "7", Username: "ann@example.com", IsActive: true}, true},
		{"username is another address", sdk.User{ID: "8", Username: "eve@example.net", IsActive: true}, false},
		{"email attribute wins over username", sdk.User{ID: "9", Username: "ann@example.com", IsActive: true,
			Attributes: map[string]any{"email": "eve@example.net"}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := rule.Allow(context.Background(), c.user)
			if err != nil || got != c.allow {
				t.Fatalf("Allow = %v, %v; want %v", got, err, c.allow)
			}
		})
	}

	t.Run("conformance", func(t *testing.T) {
		sdktest.TestAuthRule(t, rule, []sdktest.AuthRuleCase{
			{Name: "allowed", User: user(true, map[string]any{"email": "a@example.com", "level": int64(3)}), Want: true},
			{Name: "inactive", User: user(false, map[string]any{"email": "a@example.com"}), Want: false},
			{Name: "other domain", User: user(true, map[string]any{"email": "a@example.net"}), Want: false},
		})
	})

	t.Run("ping", func(t *testing.T) {
		p, ok := rule.(sdk.Pinger)
		if !ok {
			t.Fatal("the host's rule is no sdk.Pinger")
		}
		if err := p.Ping(context.Background()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})

	// Closing the host leaves no Python process behind.
	var pids []int
	for _, st := range h.Ping(context.Background()) {
		if !st.Up || st.PID == 0 {
			t.Fatalf("status = %+v, want up with a pid", st)
		}
		pids = append(pids, st.PID)
	}
	if err := h.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("plugin process %d still exists after Close (kill -0: %v)", pid, err)
		}
	}
}

func TestPythonRuleBadConfig(t *testing.T) {
	path := preparePlugin(t)
	cases := []struct {
		name    string
		cfg     sdk.Config
		wantMsg string
	}{
		{"unknown key", sdk.Config{"allowed_domains": []any{"example.com"}, "domains": []any{"x"}}, "unknown key 'domains'"},
		{"missing list", sdk.Config{}, `"allowed_domains" must be a non-empty list`},
		{"not a domain", sdk.Config{"allowed_domains": []any{"ann@example.com"}}, "not a domain"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := startRule(t, path, c.cfg)
			if err == nil {
				t.Fatal("the plugin started with a bad config")
			}
			if !errors.Is(err, sdk.ErrInvalidConfig) || !strings.Contains(err.Error(), c.wantMsg) || !strings.Contains(err.Error(), "auth_rule") {
				t.Errorf("err = %v; want ErrInvalidConfig naming the plugin and saying %q", err, c.wantMsg)
			}
		})
	}
}

// TestPythonRuleHostKilled SIGKILLs the host (so it cannot stop the plugin)
// and checks that the Python plugin notices and exits by itself.
func TestPythonRuleHostKilled(t *testing.T) {
	path := preparePlugin(t)
	host := exec.Command(os.Args[0], "-test.run=^$")
	host.Env = append(os.Environ(), hostEnv+"="+path)
	out, err := host.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := host.Start(); err != nil {
		t.Fatal(err)
	}
	defer host.Process.Kill()
	var pid int
	buf := make([]byte, 256)
	n, _ := io.ReadAtLeast(out, buf, 1)
	line := strings.TrimSpace(string(buf[:n]))
	if _, err := fmt.Sscanf(line, "pid: %d", &pid); err != nil || pid == 0 {
		t.Fatalf("host said %q, want the plugin's pid", line)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("plugin %d not running: %v", pid, err)
	}
	if err := host.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = host.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for running(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("plugin %d still running 10s after its host was killed", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("plugin exited %v after its host was killed", time.Since(deadline.Add(-10*time.Second)).Round(time.Millisecond))
}

// running reports whether process pid exists and is not a zombie: once the
// plugin's host is gone, its exit status is reaped by whatever adopted it,
// which may take a while, but a zombie runs no code.
func running(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		// Gone between the two looks on Linux; elsewhere, without /proc,
		// kill -0 is all there is to go by.
		return !(runtime.GOOS == "linux" && errors.Is(err, os.ErrNotExist))
	}
	// The state follows the parenthesised command name.
	i := strings.LastIndexByte(string(stat), ')')
	return i < 0 || i+2 >= len(stat) || stat[i+2] != 'Z'
}

// TestPythonRuleRefusesToStart checks the start-up guards: started by hand
// (no magic cookie), or by a host that did not ask for AutoMTLS, the plugin
// explains itself on stderr and exits 1 without serving anything.
func TestPythonRuleRefusesToStart(t *testing.T) {
	path := preparePlugin(t)
	cookie := "JWTD_PLUGIN_MAGIC_COOKIE=5f2c3d0e-jwtd-plugin-protocol"
	cases := []struct {
		name, wantMsg string
		env           []string
	}{
		{"by hand", "not run by hand", []string{}},
		{"without AutoMTLS", "refusing to serve without it", []string{cookie, "PLUGIN_PROTOCOL_VERSIONS=1"}},
		{"unknown protocol version", "no protocol version this plugin speaks", []string{cookie, "PLUGIN_PROTOCOL_VERSIONS=7,8"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(path)
			cmd.Env = c.env
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(stderr.String(), c.wantMsg) {
				t.Fatalf("%v, stderr %q; want exit status 1 saying %q", err, stderr.String(), c.wantMsg)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout = %q, want nothing (no handshake)", stdout.String())
			}
		})
	}
}
