package pluginhost_test

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/pluginhost"
)

// TestPluginEnvironment: the host's environment holds the signing key; a
// plugin sees only PATH, its log level, go-plugin's handshake variables and
// the variables its Spec names.
func TestPluginEnvironment(t *testing.T) {
	t.Setenv("JWTD_TEST_SIGNING_KEY", "super-secret")
	t.Setenv("JWTD_TEST_REDIS_PASSWORD", "redis-secret")
	t.Setenv("JWTD_TEST_OTHER", "not-named")
	cases := []struct {
		name string
		env  []string
		want map[string]string // named variables and their values
	}{
		{"none named", nil, map[string]string{}},
		{"one named", []string{"JWTD_TEST_REDIS_PASSWORD"}, map[string]string{"JWTD_TEST_REDIS_PASSWORD": "redis-secret"}},
		{"named but unset", []string{"JWTD_TEST_SURELY_UNSET"}, map[string]string{}},
	}
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHost(t)
			cs, err := h.ClaimSerializer(ctx, pluginhost.Spec{Path: pluginPath("chatty"), Env: tc.env})
			if err != nil {
				t.Fatal(err)
			}
			env, err := cs.TokenUser(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{"JWTD_TEST_SIGNING_KEY", "JWTD_TEST_OTHER"} {
				if _, ok := env[secret]; ok {
					t.Errorf("the plugin received %s, which was not named", secret)
				}
			}
			for k, v := range tc.want {
				if env[k] != v {
					t.Errorf("plugin sees %s=%v, want %q", k, env[k], v)
				}
			}
			for k := range env {
				if _, named := tc.want[k]; named {
					continue
				}
				switch {
				case k == "PATH", k == "JWTD_PLUGIN_LOG_LEVEL", k == "JWTD_PLUGIN_MAGIC_COOKIE", strings.HasPrefix(k, "PLUGIN_"):
				default:
					t.Errorf("plugin environment has %s", k)
				}
			}
		})
	}
}

// recorder keeps log records.
type recorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec.Clone())
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

func (r *recorder) find(msg string) (slog.Record, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rec := range r.records {
		if strings.Contains(rec.Message, msg) {
			return rec, true
		}
		found := false
		rec.Attrs(func(a slog.Attr) bool {
			found = found || strings.Contains(a.Value.String(), msg)
			return !found
		})
		if found {
			return rec, true
		}
	}
	return slog.Record{}, false
}

// TestPluginLogsKeepTheirLevels: a plugin's slog and log output reaches the
// host's logger with its level and fields, named after the plugin (also
// when a pinned plugin runs from its open descriptor), and stray stdout is
// logged, not lost.
func TestPluginLogsKeepTheirLevels(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, pin := range []string{"", fileSHA256(t, self)} {
		name := "path"
		if pin != "" {
			name = "pinned"
		}
		t.Run(name, func(t *testing.T) { testPluginLogs(t, pin) })
	}
}

func testPluginLogs(t *testing.T, pin string) {
	rec := &recorder{}
	h := pluginhost.New(slog.New(rec))
	defer h.Close()
	if _, err := h.ClaimSerializer(context.Background(), pluginhost.Spec{Path: pluginPath("chatty"), SHA256: pin}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, msg string
		level     slog.Level
	}{
		{"slog warning", "chatty configured", slog.LevelWarn},
		{"slog debug", "chatty debug line", slog.LevelDebug},
		{"log package", "chatty via the log package", slog.LevelInfo},
		{"stray stdout", "chatty stray stdout", slog.LevelInfo},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			deadline := time.Now().Add(5 * time.Second)
			for {
				r, ok := rec.find(tc.msg)
				if ok {
					if r.Level != tc.level {
						t.Fatalf("%q logged at %v, want %v", tc.msg, r.Level, tc.level)
					}
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("%q never reached the host log", tc.msg)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	r, _ := rec.find("chatty configured")
	answer, plugin := "", ""
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "answer":
			answer = a.Value.String()
		case "plugin":
			plugin = a.Value.String()
		}
		return true
	})
	if answer != "42" {
		t.Fatalf("field answer = %q, want 42", answer)
	}
	if plugin != "chatty" {
		t.Fatalf("logged as plugin %q, want chatty", plugin)
	}
}
