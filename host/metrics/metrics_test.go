package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/metrics"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
	"github.com/jwtd/jwtd/sdk/wire"
)

// scrape fetches the exposition from m's handler.
func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics answered %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("/metrics Content-Type %q", ct)
	}
	return rec.Body.String()
}

// expectSeries fails unless every line in want appears in the exposition.
func expectSeries(t *testing.T, exposition string, want ...string) {
	t.Helper()
	lines := map[string]bool{}
	for _, l := range strings.Split(exposition, "\n") {
		lines[l] = true
	}
	for _, w := range want {
		if !lines[w] {
			t.Errorf("exposition lacks %q", w)
		}
	}
}

func TestRecorders(t *testing.T) {
	m := metrics.New()
	m.ObserveRequest("obtain", 200, 3*time.Millisecond)
	m.ObserveRequest("obtain", 401, 30*time.Millisecond)
	m.ObserveRequest("obtain", 401, 2*time.Second)
	m.TokenIssued("access")
	m.TokenIssued("access")
	m.TokenIssued("refresh")
	m.TokenRefreshed("refresh")
	m.TokenBlacklisted("sliding")
	m.PluginCall("user_store", "Authenticate", metrics.OutcomeUnavailable, 5*time.Millisecond)
	m.PluginRestart("sqlite")
	m.PluginRestart("sqlite")
	expectSeries(t, scrape(t, m),
		`jwtd_http_requests_total{code="200",endpoint="obtain"} 1`,
		`jwtd_http_requests_total{code="401",endpoint="obtain"} 2`,
		`jwtd_http_request_duration_seconds_count{endpoint="obtain"} 3`,
		`jwtd_http_request_duration_seconds_bucket{endpoint="obtain",le="0.005"} 1`,
		`jwtd_http_request_duration_seconds_bucket{endpoint="obtain",le="0.05"} 2`,
		`jwtd_http_request_duration_seconds_bucket{endpoint="obtain",le="+Inf"} 3`,
		`jwtd_http_request_duration_seconds_sum{endpoint="obtain"} 2.033`,
		`jwtd_tokens_issued_total{type="access"} 2`,
		`jwtd_tokens_issued_total{type="refresh"} 1`,
		`jwtd_tokens_refreshed_total{type="refresh"} 1`,
		`jwtd_tokens_blacklisted_total{type="sliding"} 1`,
		`jwtd_plugin_calls_total{kind="user_store",method="Authenticate",outcome="unavailable"} 1`,
		`jwtd_plugin_call_duration_seconds_count{kind="user_store",method="Authenticate",outcome="unavailable"} 1`,
		`jwtd_plugin_restarts_total{plugin="sqlite"} 2`,
	)
}

// TestOwnRegistry: two Metrics in one process do not share or clash.
func TestOwnRegistry(t *testing.T) {
	a, b := metrics.New(), metrics.New()
	a.TokenIssued("access")
	if strings.Contains(scrape(t, b), `jwtd_tokens_issued_total{type="access"}`) {
		t.Fatal("a second Metrics sees the first one's series")
	}
	if !strings.Contains(scrape(t, a), "go_goroutines") {
		t.Error("Go runtime collector missing")
	}
}

func TestMiddleware(t *testing.T) {
	m := metrics.New()
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    int
	}{
		{"implicit 200", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") }, 200},
		{"nothing written", func(w http.ResponseWriter, r *http.Request) {}, 200},
		{"explicit 401", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) }, 401},
		{"uncommon 418", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(418); w.WriteHeader(500) }, 418},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			m.Middleware("verify", tt.handler).ServeHTTP(rec, httptest.NewRequest("POST", "/api/token/verify/", nil))
			if rec.Code != tt.want {
				t.Fatalf("client saw %d, want %d", rec.Code, tt.want)
			}
		})
	}
	expectSeries(t, scrape(t, m),
		`jwtd_http_requests_total{code="200",endpoint="verify"} 2`,
		`jwtd_http_requests_total{code="401",endpoint="verify"} 1`,
		`jwtd_http_requests_total{code="418",endpoint="verify"} 1`,
		`jwtd_http_requests_total{code="503",endpoint="verify"} 0`, // pre-resolved
		`jwtd_http_request_duration_seconds_count{endpoint="verify"} 4`,
	)
}

func TestOutcome(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, metrics.OutcomeOK},
		{sdk.ErrUnavailable, metrics.OutcomeUnavailable},
		{fmt.Errorf("redis: %w", sdk.ErrUnavailable), metrics.OutcomeUnavailable},
		{context.DeadlineExceeded, metrics.OutcomeUnavailable},
		{sdk.ErrInvalidCredentials, metrics.OutcomeRejected},
		{fmt.Errorf("x: %w", sdk.ErrUserNotFound), metrics.OutcomeRejected},
		{sdk.ErrUserExists, metrics.OutcomeRejected},
		{errors.New("disk on fire"), metrics.OutcomeError},
	}
	for _, tt := range tests {
		if got := metrics.Outcome(tt.err); got != tt.want {
			t.Errorf("Outcome(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// instrumented serves impl in process through an instrumented endpoint,
// as the daemon does with a built-in.
func instrumented[T any](t *testing.T, m *metrics.Metrics, kind string, impl any, client func(wire.Endpoint) T) T {
	t.Helper()
	e, err := wire.Local(kind, impl)
	if err != nil {
		t.Fatal(err)
	}
	return client(metrics.Instrument(m, e))
}

func TestInstrumentUserStore(t *testing.T) {
	ctx := context.Background()
	m := metrics.New()
	s := instrumented(t, m, wire.KindUserStore, memory.NewUserStore(), wire.UserStore)
	admin, ok := sdk.As[sdk.UserAdmin](s)
	if !ok {
		t.Fatal("instrumented memory store lost sdk.UserAdmin")
	}
	u, err := admin.CreateUser(ctx, sdk.NewUser{Username: "alice", Password: "pw", IsActive: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CreateUser(ctx, sdk.NewUser{Username: "alice", Password: "pw"}); !errors.Is(err, sdk.ErrUserExists) {
		t.Fatalf("duplicate CreateUser: %v", err)
	}
	if got, err := s.Authenticate(ctx, sdk.Credentials{"username": "alice", "password": "pw"}); err != nil || got.ID != u.ID {
		t.Fatalf("Authenticate through the wrapper: %v %v", got, err)
	}
	if _, err := s.Authenticate(ctx, sdk.Credentials{"username": "alice", "password": "nope"}); !errors.Is(err, sdk.ErrInvalidCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Authenticate(cancelled, sdk.Credentials{"username": "alice", "password": "pw"}); !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("cancelled: %v", err)
	}
	if _, err := s.LookupUser(ctx, "id", u.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordLogin(ctx, u.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := admin.SetActive(ctx, "nobody", false); !errors.Is(err, sdk.ErrUserNotFound) {
		t.Fatalf("SetActive unknown: %v", err)
	}
	expectSeries(t, scrape(t, m),
		`jwtd_plugin_calls_total{kind="user_store",method="CreateUser",outcome="ok"} 1`,
		`jwtd_plugin_calls_total{kind="user_store",method="CreateUser",outcome="rejected"} 1`,
		`jwtd_plugin_calls_total{kind="user_store",method="Authenticate",outcome="ok"} 1`,
		`jwtd_plugin_calls_total{kind="user_store",method="Authenticate",outcome="rejected"} 1`,
		`jwtd_plugin_calls_total{kind="user_store",method="Authenticate",outcome="unavailable"} 1`,
		`jwtd_plugin_calls_total{kind="user_store",method="Authenticate",outcome="error"} 0`,
		`jwtd_plugin_calls_total{kind="user_store",method="LookupUser",outcome="ok"} 1`,
		`jwtd_plugin_calls_total{kind="user_store",method="RecordLogin",outcome="ok"} 1`,
		`jwtd_plugin_calls_total{kind="user_store",method="SetActive",outcome="rejected"} 1`,
		`jwtd_plugin_call_duration_seconds_count{kind="user_store",method="Authenticate",outcome="ok"} 1`,
	)
}

func TestInstrumentBlacklistStore(t *testing.T) {
	ctx := context.Background()
	m := metrics.New()
	b := instrumented(t, m, wire.KindBlacklistStore, memory.NewBlacklistStore(), wire.BlacklistStore)
	rec := sdk.TokenRecord{JTI: "j1", UserID: "1", TokenType: "refresh", ExpiresAt: time.Now().Add(time.Hour)}
	if err := b.AddOutstanding(ctx, rec); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		added, err := b.Blacklist(ctx, rec)
		if err != nil || added != want {
			t.Fatalf("Blacklist #%d = %v, %v; want %v", i, added, err, want)
		}
	}
	if is, err := b.IsBlacklisted(ctx, "j1"); err != nil || !is {
		t.Fatalf("IsBlacklisted = %v, %v", is, err)
	}
	if _, err := b.FlushExpired(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	expectSeries(t, scrape(t, m),
		`jwtd_plugin_calls_total{kind="blacklist_store",method="AddOutstanding",outcome="ok"} 1`,
		`jwtd_plugin_calls_total{kind="blacklist_store",method="Blacklist",outcome="ok"} 2`,
		`jwtd_plugin_calls_total{kind="blacklist_store",method="IsBlacklisted",outcome="ok"} 1`,
		`jwtd_plugin_calls_total{kind="blacklist_store",method="FlushExpired",outcome="ok"} 1`,
	)
}

// activeRule is a real AuthRule (the default rule's logic) that also pings
// and closes, to check that optional interfaces survive wrapping.
type activeRule struct {
	pingErr error
	closed  bool
}

func (r *activeRule) Allow(ctx context.Context, u sdk.User) (bool, error) { return u.IsActive, nil }
func (r *activeRule) Ping(ctx context.Context) error                      { return r.pingErr }
func (r *activeRule) Close() error                                        { r.closed = true; return nil }

// pingOnly has Ping but no Close.
type pingOnly struct{ activeRule }

func (pingOnly) Close() {} // a different signature: not an io.Closer

type fieldSerializer struct{}

func (fieldSerializer) TokenClaims(ctx context.Context, u sdk.User, tt string) (map[string]any, error) {
	return map[string]any{"name": u.Username}, nil
}
func (fieldSerializer) ResponseFields(ctx context.Context, u sdk.User) (map[string]any, error) {
	return nil, errors.New("broken")
}
func (fieldSerializer) TokenUser(ctx context.Context, c map[string]any) (map[string]any, error) {
	return map[string]any{"name": c["name"]}, nil
}

func TestOptionalInterfacesPreserved(t *testing.T) {
	ctx := context.Background()
	m := metrics.New()

	full := &activeRule{pingErr: sdk.ErrUnavailable}
	r := instrumented(t, m, wire.KindAuthRule, full, wire.AuthRule)
	if ok, err := r.Allow(ctx, sdk.User{IsActive: false}); ok || err != nil {
		t.Fatalf("Allow inactive = %v, %v", ok, err)
	}
	p, ok := r.(sdk.Pinger)
	if !ok {
		t.Fatal("lost sdk.Pinger")
	}
	if err := p.Ping(ctx); !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("Ping = %v", err)
	}
	c, ok := sdk.As[io.Closer](r)
	if !ok {
		t.Fatal("lost io.Closer")
	}
	c.Close()
	if !full.closed {
		t.Error("Close did not reach the wrapped rule")
	}

	pr := instrumented(t, m, wire.KindAuthRule, &pingOnly{}, wire.AuthRule)
	if _, ok := sdk.As[io.Closer](pr); ok {
		t.Error("wrapper gained io.Closer")
	}

	cs := instrumented(t, m, wire.KindClaimSerializer, fieldSerializer{}, wire.ClaimSerializer)
	if got, err := cs.TokenClaims(ctx, sdk.User{Username: "bob"}, "refresh"); err != nil || got["name"] != "bob" {
		t.Fatalf("TokenClaims = %v, %v", got, err)
	}
	if _, err := cs.ResponseFields(ctx, sdk.User{}); err == nil {
		t.Fatal("ResponseFields error was swallowed")
	}
	expectSeries(t, scrape(t, m),
		`jwtd_plugin_calls_total{kind="auth_rule",method="Allow",outcome="ok"} 1`,
		`jwtd_plugin_calls_total{kind="auth_rule",method="Ping",outcome="unavailable"} 1`,
		`jwtd_plugin_calls_total{kind="claim_serializer",method="TokenClaims",outcome="ok"} 1`,
		`jwtd_plugin_calls_total{kind="claim_serializer",method="ResponseFields",outcome="error"} 1`,
	)
}

func BenchmarkMiddleware(b *testing.B) {
	m := metrics.New()
	h := m.Middleware("verify", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
	r := httptest.NewRequest("POST", "/api/token/verify/", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}

func ExampleMetrics_Middleware() {
	m := metrics.New()
	mux := http.NewServeMux()
	mux.Handle("POST /api/token/verify/", m.Middleware("verify", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "{}")
	})))
	mux.Handle("GET /metrics", m.Handler())

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("POST", "/api/token/verify/", nil))
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, `jwtd_http_requests_total{code="200"`) {
			fmt.Println(line)
		}
	}
	// Output: jwtd_http_requests_total{code="200",endpoint="verify"} 1
}
