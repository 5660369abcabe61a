package httpapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/host/httpapi"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
)

// observation is one RequestObserver call.
type observation struct {
	endpoint string
	status   int
}

type recordingObserver struct {
	mu  sync.Mutex
	got []observation
}

func (o *recordingObserver) ObserveRequest(endpoint string, status int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, observation{endpoint, status})
}

// TestObserverSeesEveryRequest: the wrapper that writes the access log
// reports each request to the RequestObserver with the endpoint's name and
// the status written, the ones answered before routing (431) and unknown
// paths ("other") included.
func TestObserverSeesEveryRequest(t *testing.T) {
	users := memory.NewUserStore()
	u, _ := users.CreateUser(context.Background(), sdk.NewUser{Username: "alice", Password: "pw", IsActive: true})
	st := core.DefaultSettings()
	st.SigningKey = testSecret
	svc, err := core.New(st, core.Plugins{Users: users})
	if err != nil {
		t.Fatal(err)
	}
	is, _ := svc.IssueFor(context.Background(), u)
	obs := &recordingObserver{}
	var logs bytes.Buffer
	api := httpapi.New(svc, httpapi.Options{Observer: obs, MaxHeaderBytes: 4096, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	cases := []struct {
		req  *http.Request
		want observation
	}{
		{httptest.NewRequest(http.MethodGet, statePath, nil), observation{"authenticate_stateless", 401}},
		{httptest.NewRequest(http.MethodGet, "/nowhere/", nil), observation{"other", 404}},
		{httptest.NewRequest(http.MethodGet, verifyPath, nil), observation{"verify", 405}},
		{httptest.NewRequest(http.MethodGet, authPath, nil), observation{"authenticate", 200}},
		{httptest.NewRequest(http.MethodGet, authPath, nil), observation{"authenticate", 431}},
	}
	cases[3].req.Header.Set("Authorization", "Bearer "+is.Access)
	cases[4].req.Header.Set("X-Filler", strings.Repeat("a", 8192))
	for _, c := range cases {
		api.ServeHTTP(httptest.NewRecorder(), c.req)
	}
	for i, c := range cases {
		if i >= len(obs.got) || obs.got[i] != c.want {
			t.Fatalf("observations %v, want %v at %d", obs.got, c.want, i)
		}
	}
	if lines := strings.Count(logs.String(), "msg=request"); lines != len(cases) {
		t.Fatalf("%d log lines for %d requests", lines, len(cases))
	}
	if !strings.Contains(logs.String(), "status=200") || !strings.Contains(logs.String(), "user_id="+u.ID) {
		t.Fatalf("log lacks the authenticated request: %s", logs.String())
	}
}
