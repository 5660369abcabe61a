package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/BurntSushi/toml"
)

// TestConfigPerMode renders the built-in config template for each mode and
// parses it back as TOML: the blacklist store's config must be the SQLite
// path or the Redis address, nothing else.
func TestConfigPerMode(t *testing.T) {
	tmpl := template.Must(template.New("jwtd.toml").Parse(defaultTemplate))
	tests := []struct {
		name, mode, use string
		wantPath        string
		wantAddrs       []string
	}{
		{"builtin keeps SQLite", "builtin", "sqlite", "jwtd.db", nil},
		{"plugins keeps SQLite", "plugins", "/bin/jwtd-plugin-sqlite", "jwtd.db", nil},
		{"redis in process", modeRedis, "redis", "", []string{"127.0.0.1:6390"}},
		{"redis out of process", modeRedisPlugins, "/bin/jwtd-plugin-redis", "", []string{"127.0.0.1:6390"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			err := tmpl.Execute(&b, configData{
				Listen: "127.0.0.1:1", UserStore: "sqlite", BlacklistStore: tt.use,
				BlacklistConfig: blacklistConfig(tt.mode, "127.0.0.1:6390"),
			})
			if err != nil {
				t.Fatal(err)
			}
			var cfg struct {
				Plugins struct {
					BlacklistStore struct {
						Use    string
						Config map[string]any
					} `toml:"blacklist_store"`
				}
			}
			if _, err := toml.Decode(b.String(), &cfg); err != nil {
				t.Fatalf("generated config is not TOML: %v\n%s", err, b.String())
			}
			bl := cfg.Plugins.BlacklistStore
			if bl.Use != tt.use {
				t.Errorf("use = %q, want %q", bl.Use, tt.use)
			}
			if tt.wantPath != "" {
				if bl.Config["path"] != tt.wantPath || len(bl.Config) != 1 {
					t.Errorf("config = %v, want only path %q", bl.Config, tt.wantPath)
				}
				return
			}
			addrs, _ := bl.Config["addrs"].([]any)
			if len(addrs) != 1 || addrs[0] != tt.wantAddrs[0] {
				t.Errorf("addrs = %v, want %v", bl.Config["addrs"], tt.wantAddrs)
			}
			if bl.Config["key_prefix"] != redisKeyPrefix {
				t.Errorf("key_prefix = %v, want %q", bl.Config["key_prefix"], redisKeyPrefix)
			}
			if _, ok := bl.Config["path"]; ok {
				t.Error("a Redis config must not carry the SQLite path (the store refuses unknown keys)")
			}
		})
	}
}

func TestPluginUsesRedis(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"jwtd-plugin-sqlite", "jwtd-plugin-redis"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	empty := t.TempDir()
	tests := []struct {
		name, mode, dir     string
		wantUser, wantBlack string
		wantErr             string
	}{
		{"redis in process", modeRedis, dir, "sqlite", "redis", ""},
		{"redis out of process", modeRedisPlugins, dir, filepath.Join(dir, "jwtd-plugin-sqlite"), filepath.Join(dir, "jwtd-plugin-redis"), ""},
		{"plugins", "plugins", dir, filepath.Join(dir, "jwtd-plugin-sqlite"), filepath.Join(dir, "jwtd-plugin-sqlite"), ""},
		{"redis plugin missing", modeRedisPlugins, empty, "", "", "jwtd-plugin-sqlite"},
		{"unknown mode", "memcached", dir, "", "", "unknown mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user, bl, err := pluginUses(options{pluginDir: tt.dir}, tt.mode)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || user != tt.wantUser || bl != tt.wantBlack {
				t.Errorf("got (%q, %q, %v), want (%q, %q)", user, bl, err, tt.wantUser, tt.wantBlack)
			}
		})
	}
	// Only the SQLite plugin present: the Redis mode names the missing one.
	only := t.TempDir()
	if err := os.WriteFile(filepath.Join(only, "jwtd-plugin-sqlite"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := pluginUses(options{pluginDir: only}, modeRedisPlugins); err == nil || !strings.Contains(err.Error(), "jwtd-plugin-redis") {
		t.Errorf("err = %v, want one naming jwtd-plugin-redis", err)
	}
}

func TestStoreComparison(t *testing.T) {
	rows := []Row{
		{Mode: "bare", Scenario: "fixed JSON", RPS: 20000},
		{Mode: "builtin", Scenario: scRefreshRot, RPS: 800, CPUPerReq: 700 * time.Microsecond},
		{Mode: "builtin", Scenario: scVerify, RPS: 11000},
		{Mode: "plugins", Scenario: scRefreshRot, RPS: 600},
		{Mode: modeRedis, Scenario: scRefreshRot, RPS: 2000, CPUPerReq: 350 * time.Microsecond},
		{Mode: modeRedis, Scenario: scVerify, RPS: 0}, // failed: no comparison
		{Mode: modeRedisPlugins, Scenario: scRefreshRot, RPS: 900},
		{Mode: modeRedisPlugins, Scenario: scRefresh, RPS: 900}, // no SQLite counterpart
	}
	got := storeComparison(rows)
	want := []string{
		"refresh-rotating, in process: Redis 2000 req/s vs SQLite 800 req/s (2.50×); CPU/req 350µs vs 700µs",
		"refresh-rotating, out of process: Redis 900 req/s vs SQLite 600 req/s (1.50×); CPU/req – vs –",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if n := storeComparison(rows[:4]); n != nil {
		t.Errorf("no Redis rows: got %q, want none", n)
	}
}

func TestReplaceNamedSection(t *testing.T) {
	doc := "# B\n<!-- bench:start -->\nFULL\n<!-- bench:end -->\nhand\n"
	tests := []struct {
		name, doc, want string
	}{
		{"new section appended, full table kept", doc, doc + "\n<!-- bench-redis:start -->\nNEW\n<!-- bench-redis:end -->\n"},
		{
			"own section replaced, full table kept",
			doc + "<!-- bench-redis:start -->\nOLD\n<!-- bench-redis:end -->\ntail\n",
			doc + "<!-- bench-redis:start -->\nNEW\n<!-- bench-redis:end -->\ntail\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ReplaceNamedSection(tt.doc, "bench-redis", "NEW\n"); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// TestStartRedis starts a real redis-server the way the Redis modes do and
// checks that it answers and is gone after stop.
func TestStartRedis(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("JWTD_REQUIRE_REDIS") != "" {
			t.Fatal("redis-server not installed and JWTD_REQUIRE_REDIS is set")
		}
		t.Skip("redis-server not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := startRedis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := redisPing(s.addr); err != nil {
		s.stop()
		t.Fatalf("PING after start: %v", err)
	}
	if cpu, rss := sidecarUsage(s.pid()); rss <= 0 || cpu < 0 {
		t.Errorf("sidecarUsage = (%v, %d), want a positive RSS", cpu, rss)
	}
	s.stop()
	if err := redisPing(s.addr); err == nil {
		t.Error("redis-server still answers after stop")
	}
	if cpu, rss := sidecarUsage(0); cpu != 0 || rss != 0 {
		t.Errorf("no sidecar: got (%v, %d), want zeros", cpu, rss)
	}
}
