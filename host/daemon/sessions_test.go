package daemon_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/host/builtin"
	"github.com/jwtd/jwtd/host/config"
	"github.com/jwtd/jwtd/host/daemon"
	"github.com/jwtd/jwtd/host/metrics"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
)

// plainBlacklist is a blacklist store without sdk.SessionStore.
type plainBlacklist struct{ sdk.BlacklistStore }

var sessionsConfig = strings.Replace(memoryConfig, "[tokens]\n", "[tokens]\nsessions = true\nrotate_refresh_tokens = true\nreuse_interval = \"0s\"\n", 1)

// TestSessionsRefusedWithoutCapability: sessions with a blacklist store
// that keeps none stop jwtd at start, naming the store.
func TestSessionsRefusedWithoutCapability(t *testing.T) {
	reg := builtin.Default()
	reg.BlacklistStores["plain"] = func(context.Context, sdk.Config) (sdk.BlacklistStore, error) {
		return plainBlacklist{memory.NewBlacklistStore()}, nil
	}
	text := strings.Replace(sessionsConfig, "[plugins.blacklist_store]\nuse = \"memory\"", "[plugins.blacklist_store]\nuse = \"plain\"", 1)
	cfg, err := config.Load(writeConfig(t, text), config.Options{NoKeyGeneration: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = daemon.Build(context.Background(), cfg, daemon.BuildOptions{Registry: reg})
	if err == nil || !strings.Contains(err.Error(), "tokens.sessions") || !strings.Contains(err.Error(), `"plain"`) {
		t.Fatalf("Build = %v; want a refusal naming tokens.sessions and the store \"plain\"", err)
	}
	// The same store without sessions starts: today's behaviour.
	cfg, err = config.Load(writeConfig(t, strings.Replace(text, "sessions = true\n", "", 1)), config.Options{NoKeyGeneration: true})
	if err != nil {
		t.Fatal(err)
	}
	st, err := daemon.Build(context.Background(), cfg, daemon.BuildOptions{Registry: reg})
	if err != nil {
		t.Fatalf("Build without sessions: %v", err)
	}
	st.Close()
}

// TestReuseLoggedAndCounted: a detected reuse is logged with the session
// and user (never the token) and counted in jwtd_session_reuse_total.
func TestReuseLoggedAndCounted(t *testing.T) {
	ctx := context.Background()
	cfg, err := config.Load(writeConfig(t, sessionsConfig), config.Options{NoKeyGeneration: true})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	m := metrics.New()
	st, err := daemon.Build(ctx, cfg, daemon.BuildOptions{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin, _ := sdk.As[sdk.UserAdmin](st.Users)
	if _, err := admin.CreateUser(ctx, sdk.NewUser{Username: "alice", Password: "pw-123456", IsActive: true}); err != nil {
		t.Fatal(err)
	}
	p, err := st.Service.Obtain(ctx, sdk.Credentials{"username": "alice", "password": "pw-123456"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Service.Refresh(ctx, p.Refresh); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Service.Refresh(ctx, p.Refresh); err == nil {
		t.Fatal("replay of a rotated token succeeded")
	}
	line := logs.String()
	if !strings.Contains(line, "refresh token reuse detected") || !strings.Contains(line, "user_id=1") ||
		!strings.Contains(line, "session=") || strings.Contains(line, p.Refresh) {
		t.Fatalf("reuse log: %q", line)
	}
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	if !strings.Contains(string(body), `jwtd_session_reuse_total{outcome="revoked"} 1`) {
		t.Fatalf("metrics lack the reuse count:\n%s", grepLines(string(body), "session_reuse"))
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
