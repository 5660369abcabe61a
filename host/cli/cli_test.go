package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/host/builtin"
	"github.com/jwtd/jwtd/host/cli"
	"github.com/jwtd/jwtd/host/config"
	"github.com/jwtd/jwtd/host/daemon"
	"github.com/jwtd/jwtd/internal/jwtdtest"
	"github.com/jwtd/jwtd/sdk"
)

var configText = `
[tokens]
signing_key = "file:jwtd.key"

` + jwtdtest.SQLiteUserStore("jwtd.db") + `
[plugins.blacklist_store]
use = "sqlite"
[plugins.blacklist_store.config]
path = "jwtd.db"
`

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "jwtd.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// run runs the CLI in process and returns exit status, stdout and stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), args, cli.Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb})
	return code, out.String(), errb.String()
}

// obtain checks credentials through the core the CLI wrote to.
func obtain(t *testing.T, cfgPath, user, pw string) error {
	t.Helper()
	cfg, err := config.Load(cfgPath, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := daemon.Build(context.Background(), cfg, daemon.BuildOptions{Registry: builtin.Default()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_, err = st.Service.Obtain(context.Background(), sdk.Credentials{"username": user, "password": pw})
	return err
}

func TestUserCommands(t *testing.T) {
	cfg := writeConfig(t, configText)
	steps := []struct {
		name       string
		stdin      string
		args       []string
		code       int
		stdout     string
		stderrLine string
	}{
		{"add", "s3cret-password\n", []string{"user", "add", "alice", "--config", cfg}, 0, `added user "alice" with id 1`, ""},
		{"add again", "x\n", []string{"user", "add", "alice", "--config", cfg}, 1, "", `jwtd user add: user "alice" already exists`},
		{"add inactive, flag first", "bob-password\n", []string{"user", "add", "--config", cfg, "--inactive", "bob"}, 0, `added user "bob"`, ""},
		{"add without name", "", []string{"user", "add", "--config", cfg}, 2, "", "want 1 argument(s), got 0"},
		{"add empty password", "\n", []string{"user", "add", "carol", "--config", cfg}, 1, "", "nothing on stdin"},
		{"passwd", "new-password\r\n", []string{"user", "passwd", "alice", "--config", cfg}, 0, `changed the password of "alice"`, ""},
		{"passwd unknown", "x\n", []string{"user", "passwd", "zed", "--config", cfg}, 1, "", `no user "zed"`},
		{"deactivate unknown", "", []string{"user", "deactivate", "zed", "--config", cfg}, 1, "", `no user "zed"`},
	}
	for _, s := range steps {
		code, stdout, stderr := run(t, s.stdin, s.args...)
		if code != s.code || !strings.Contains(stdout, s.stdout) || !strings.Contains(stderr, s.stderrLine) {
			t.Fatalf("%s: exit %d stdout %q stderr %q", s.name, code, stdout, stderr)
		}
		if code != 0 && strings.Count(strings.TrimRight(stderr, "\n"), "\n") != 0 {
			t.Errorf("%s: stderr is not one line: %q", s.name, stderr)
		}
	}
	if err := obtain(t, cfg, "alice", "s3cret-password"); err == nil {
		t.Error("the old password still works after passwd")
	}
	if err := obtain(t, cfg, "alice", "new-password"); err != nil {
		t.Errorf("new password refused: %v", err)
	}
	if err := obtain(t, cfg, "bob", "bob-password"); err == nil {
		t.Error("an --inactive user obtained tokens")
	}
	if code, _, stderr := run(t, "", "user", "deactivate", "alice", "--config", cfg); code != 0 {
		t.Fatalf("deactivate: %d %s", code, stderr)
	}
	if err := obtain(t, cfg, "alice", "new-password"); err == nil {
		t.Error("a deactivated user obtained tokens")
	}
}

func TestTokenCommands(t *testing.T) {
	cfg := writeConfig(t, configText)
	if code, _, stderr := run(t, "pw-of-alice\n", "user", "add", "alice", "--config", cfg); code != 0 {
		t.Fatal(stderr)
	}
	code, stdout, stderr := run(t, "", "token", "issue", "--user", "1", "--config", cfg)
	if code != 0 {
		t.Fatalf("issue: %d %s", code, stderr)
	}
	var pair map[string]string
	if err := json.Unmarshal([]byte(stdout), &pair); err != nil || pair["access"] == "" || pair["refresh"] == "" || len(pair) != 2 {
		t.Fatalf("issue printed %q (%v)", stdout, err)
	}
	code, stdout, _ = run(t, "", "token", "issue", "--sliding", "--user", "1", "--config", cfg)
	var sliding map[string]string
	if code != 0 || json.Unmarshal([]byte(stdout), &sliding) != nil || sliding["token"] == "" || len(sliding) != 1 {
		t.Fatalf("issue --sliding: %d %q", code, stdout)
	}
	steps := []struct {
		name     string
		stdin    string
		args     []string
		code     int
		contains string
	}{
		{"issue unknown user", "", []string{"token", "issue", "--user", "999", "--config", cfg}, 1, `no user with id "999"`},
		{"issue without --user", "", []string{"token", "issue", "--config", cfg}, 2, "--user ID is required"},
		{"blacklist", "", []string{"token", "blacklist", pair["refresh"], "--config", cfg}, 0, "blacklisted"},
		{"blacklist again", "", []string{"token", "blacklist", pair["refresh"], "--config", cfg}, 1, "Token is blacklisted"},
		{"blacklist access token", "", []string{"token", "blacklist", pair["access"], "--config", cfg}, 1, "Token has wrong type"},
		{"blacklist from stdin", sliding["token"] + "\n", []string{"token", "blacklist", "-", "--config", cfg}, 0, "blacklisted"},
		{"blacklist garbage", "", []string{"token", "blacklist", "garbage", "--config", cfg}, 1, "Token is invalid"},
		{"flush-expired", "", []string{"flush-expired", "--config", cfg}, 0, "flushed 0 expired token row(s)"},
	}
	for _, s := range steps {
		code, stdout, stderr := run(t, s.stdin, s.args...)
		if code != s.code || !strings.Contains(stdout+stderr, s.contains) {
			t.Errorf("%s: exit %d stdout %q stderr %q", s.name, code, stdout, stderr)
		}
	}
}

func TestCheckConfig(t *testing.T) {
	cfg := writeConfig(t, configText)
	code, stdout, stderr := run(t, "", "check-config", "--config", cfg)
	if code != 0 {
		t.Fatalf("check-config: %d %s", code, stderr)
	}
	for _, want := range []string{"config " + cfg + ": ok", "plugin user_store: sqlite", "ping user_store: ok", "ping blacklist_store: ok"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("check-config output lacks %q:\n%s", want, stdout)
		}
	}
	bad := writeConfig(t, strings.Replace(configText, "[tokens]", "[tokens]\nrotate_refresh_token = true", 1))
	code, _, stderr = run(t, "", "check-config", "--config", bad)
	if code != 1 || !strings.Contains(stderr, "tokens.rotate_refresh_token") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("bad config: exit %d stderr %q", code, stderr)
	}
	t.Setenv(config.EnvConfig, cfg)
	if code, _, stderr := run(t, "", "check-config"); code != 0 {
		t.Errorf("JWTD_CONFIG not used: %s", stderr)
	}
}

func TestHelpAndUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"help"},
		{"serve", "--help"}, {"check-config", "--help"}, {"user", "add", "--help"}, {"user", "passwd", "--help"},
		{"user", "deactivate", "--help"}, {"token", "issue", "--help"}, {"token", "blacklist", "-h"}, {"flush-expired", "--help"},
	} {
		code, stdout, _ := run(t, "", args...)
		if code != 0 || !strings.Contains(stdout, "Usage: jwtd") {
			t.Errorf("%v: exit %d, stdout %q", args, code, stdout)
		}
		if len(args) > 1 && !strings.Contains(stdout, "-config") {
			t.Errorf("%v: --config not in the help", args)
		}
	}
	code, _, stderr := run(t, "", "frobnicate")
	if code != 2 || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %d %q", code, stderr)
	}
	code, _, stderr = run(t, "", "check-config", "--config", filepath.Join(t.TempDir(), "absent.toml"))
	if code != 1 || !strings.Contains(stderr, "absent.toml") {
		t.Errorf("absent config: %d %q", code, stderr)
	}
}

// TestConfigBeforeCommand: --config (in either spelling) may come before
// the command as well as after it; both name the same file. The old CLI
// took a leading flag for the default command, serve, and failed with
// "want 0 argument(s)".
func TestConfigBeforeCommand(t *testing.T) {
	path := writeConfig(t, configText)
	cases := []struct {
		name  string
		args  []string
		stdin string
	}{
		{"--config FILE user add", []string{"--config", path, "user", "add", "carol"}, "pw-carol\n"},
		{"--config=FILE user add", []string{"--config=" + path, "user", "add", "dave"}, "pw-dave\n"},
		{"-config FILE user passwd", []string{"-config", path, "user", "passwd", "carol"}, "pw-carol2\n"},
		{"user add NAME --config FILE", []string{"user", "add", "erin", "--config", path}, "pw-erin\n"},
		{"--config FILE check-config", []string{"--config", path, "check-config"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if code, out, errOut := run(t, tc.stdin, tc.args...); code != 0 {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
			}
		})
	}
	for user, pw := range map[string]string{"carol": "pw-carol2", "dave": "pw-dave", "erin": "pw-erin"} {
		if err := obtain(t, path, user, pw); err != nil {
			t.Errorf("%s cannot log in: %v", user, err)
		}
	}
	// A leading --config without a command is still serve's, and a bad
	// command after it is named.
	if code, _, errOut := run(t, "", "--config", path, "nonsense"); code != 2 || !strings.Contains(errOut, `unknown command "nonsense"`) {
		t.Errorf("--config FILE nonsense: exit %d, stderr %q", code, errOut)
	}
}
