package plugin

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/jwtd/jwtd/sdk"
)

const envServeRole = "JWTD_PLUGIN_TEST_SERVE"

// allowAll allows everyone.
type allowAll struct{}

func (allowAll) Allow(context.Context, sdk.User) (bool, error) { return true, nil }

func TestMain(m *testing.M) {
	switch os.Getenv(envServeRole) {
	case "rule":
		Serve(Set{AuthRule: func(context.Context, sdk.Config) (sdk.AuthRule, error) { return allowAll{}, nil }})
	case "empty":
		Serve(Set{})
	}
	os.Exit(m.Run())
}

// TestServeRefusesToRunWrongly runs Serve in a child process the ways it
// must refuse: by hand (no handshake cookie) and with nothing to serve.
func TestServeRefusesToRunWrongly(t *testing.T) {
	cases := []struct {
		name, role, want string
	}{
		{"run by hand", "rule", "not meant to be executed directly"},
		{"empty set", "empty", "empty Set"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), envServeRole+"="+tc.role)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1; stderr: %s", err, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("stderr %q does not say %q", stderr.String(), tc.want)
			}
			if stdout.Len() != 0 {
				t.Fatalf("stdout %q, want nothing (stdout belongs to the handshake)", stdout.String())
			}
		})
	}
}

// TestStderrLinesAreHCLogJSON checks the line shape go-plugin's host side
// parses into levels.
func TestStderrLinesAreHCLogJSON(t *testing.T) {
	var buf bytes.Buffer
	l := slog.New(newStderrHandler(&buf, hclog.Info))
	l.Debug("dropped")
	l.Info("hello", "n", 1)
	l.Warn("careful")
	l.Error("broken")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []struct{ level, msg string }{{"info", "hello"}, {"warn", "careful"}, {"error", "broken"}}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d: %q", len(lines), len(want), lines)
	}
	for i, w := range want {
		var m map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &m); err != nil {
			t.Fatalf("line %q: %v", lines[i], err)
		}
		if m["@level"] != w.level || m["@message"] != w.msg || m["@timestamp"] == nil {
			t.Fatalf("line %q, want @level=%s @message=%s and a @timestamp", lines[i], w.level, w.msg)
		}
	}
}
