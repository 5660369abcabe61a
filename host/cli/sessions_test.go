package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/host/builtin"
	"github.com/jwtd/jwtd/host/config"
	"github.com/jwtd/jwtd/host/daemon"
	"github.com/jwtd/jwtd/sdk"
)

var sessionConfigText = strings.Replace(configText, "[tokens]\n", "[tokens]\nsessions = true\nrotate_refresh_tokens = true\n", 1)

// login obtains a pair through the core the CLI works on and returns its
// refresh token.
func login(t *testing.T, cfgPath string) string {
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
	is, err := st.Service.Obtain(context.Background(), sdk.Credentials{"username": "alice", "password": "s3cret-password"})
	if err != nil {
		t.Fatal(err)
	}
	return is.Refresh
}

func TestSessionCommands(t *testing.T) {
	cfg := writeConfig(t, sessionConfigText)
	if code, _, errs := run(t, "s3cret-password\n", "user", "add", "alice", "--config", cfg); code != 0 {
		t.Fatal(errs)
	}
	login(t, cfg)
	login(t, cfg)
	code, out, errs := run(t, "", "session", "list", "--user", "alice", "--config", cfg)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("session list = %d %q %q; want a header and 2 sessions", code, out, errs)
	}
	first, second := strings.Fields(lines[1])[0], strings.Fields(lines[2])[0]
	steps := []struct {
		name   string
		args   []string
		code   int
		output string
	}{
		{"revoke one", []string{"session", "revoke", first}, 0, "revoked session " + first + " of user 1"},
		{"revoke it again", []string{"session", "revoke", first}, 1, `no live session "` + first + `"`},
		{"list all", []string{"session", "list"}, 0, second + "  1"},
		{"revoke the user", []string{"user", "revoke", "alice"}, 0, `revoked 1 session(s) of "alice"`},
		{"revoke an unknown user", []string{"user", "revoke", "zed"}, 1, `no user "zed"`},
	}
	for _, s := range steps {
		code, out, errs := run(t, "", append(s.args, "--config", cfg)...)
		if code != s.code || !strings.Contains(out+errs, s.output) {
			t.Fatalf("%s: %d %q %q; want %d and %q", s.name, code, out, errs, s.code, s.output)
		}
	}
	if _, out, _ := run(t, "", "session", "list", "--config", cfg); strings.Count(out, "\n") != 1 {
		t.Fatalf("sessions left after user revoke: %q", out)
	}

	off := writeConfig(t, configText)
	if code, _, errs := run(t, "", "session", "list", "--config", off); code != 1 || !strings.Contains(errs, "sessions are off") {
		t.Fatalf("session list with sessions off = %d %q", code, errs)
	}
}
