package main_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/pluginhost"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// pluginBin is the plugin binary built once by TestMain, as `make build`
// builds it: the tests below run it out of process exactly as jwtd does.
var pluginBin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "jwtd-example-allowlist-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	pluginBin = filepath.Join(dir, "jwtd-example-allowlist")
	if out, err := exec.Command("go", "build", "-o", pluginBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the plugin: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// startRule launches the plugin through jwtd's plugin host (go-plugin,
// AutoMTLS, no inherited environment) and returns its rule.
func startRule(t *testing.T, cfg sdk.Config) (sdk.AuthRule, error) {
	t.Helper()
	h := pluginhost.New(nil)
	t.Cleanup(func() { h.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return h.AuthRule(ctx, pluginhost.Spec{Name: "auth_rule", Path: pluginBin, Config: cfg})
}

func TestOutOfProcess(t *testing.T) {
	// The config as jwtd.toml writes it, decoded from TOML: lists are []any.
	rule, err := startRule(t, sdk.Config{"attribute": "groups", "allow": []any{"staff", "ops"}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		user  sdk.User
		allow bool
	}{
		{"staff", user(true, []any{"staff"}), true},
		{"ops and more", user(true, []any{"dev", "ops"}), true},
		{"inactive ops", user(false, []any{"ops"}), false},
		{"other group", user(true, []any{"dev"}), false},
		{"no groups", user(true, []any{}), false},
		{"groups not a list", user(true, 42), false},
		{"no attributes", sdk.User{ID: "9", IsActive: true}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := rule.Allow(context.Background(), c.user)
			if err != nil || got != c.allow {
				t.Fatalf("Allow = %v, %v; want %v", got, err, c.allow)
			}
		})
	}
}

// TestConformanceOutOfProcess runs the conformance kit against the built
// binary with the SDK alone (sdktest.TestBinary), as a plugin author would.
func TestConformanceOutOfProcess(t *testing.T) {
	sdktest.TestBinary(t, sdktest.Binary{Path: pluginBin, Config: map[string]sdk.Config{
		"auth_rule": {"allow": []any{"staff", "ops"}},
	}}, sdktest.Suites{RuleCases: []sdktest.AuthRuleCase{
		{Name: "staff", User: user(true, []any{"staff"}), Want: true},
		{Name: "inactive staff", User: user(false, []any{"staff"}), Want: false},
		{Name: "no allowed group", User: user(true, []any{"dev"}), Want: false},
	}})
}

func TestOutOfProcessBadConfig(t *testing.T) {
	cases := []struct {
		name    string
		cfg     sdk.Config
		wantMsg string
	}{
		{"unknown key", sdk.Config{"allow": []any{"staff"}, "alow": []any{"ops"}}, "alow"},
		{"no allow-list", sdk.Config{"attribute": "groups"}, `"allow" must list at least one value`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := startRule(t, c.cfg)
			if err == nil {
				t.Fatal("the plugin started with a bad config")
			}
			if !errors.Is(err, sdk.ErrInvalidConfig) || !strings.Contains(err.Error(), c.wantMsg) || !strings.Contains(err.Error(), "auth_rule") {
				t.Errorf("err = %v; want ErrInvalidConfig naming the plugin and saying %q", err, c.wantMsg)
			}
		})
	}
}

func user(active bool, groups any) sdk.User {
	return sdk.User{ID: "7", Username: "u", IsActive: active, Attributes: map[string]any{"groups": groups}}
}
