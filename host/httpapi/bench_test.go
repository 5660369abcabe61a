package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/host/httpapi"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
)

// benchAPI is the API over in-memory stores with a discarding logger: what
// the HTTP layer adds to the core, without a network or a database.
func benchAPI(b *testing.B) (*httpapi.API, core.Issued) {
	users := memory.NewUserStore()
	u, err := users.CreateUser(context.Background(), sdk.NewUser{Username: "alice", Password: "pw", IsActive: true})
	if err != nil {
		b.Fatal(err)
	}
	st := core.DefaultSettings()
	st.SigningKey = testSecret
	svc, err := core.New(st, core.Plugins{Users: users, Blacklist: memory.NewBlacklistStore()})
	if err != nil {
		b.Fatal(err)
	}
	is, err := svc.IssueFor(context.Background(), u)
	if err != nil {
		b.Fatal(err)
	}
	// The daemon's text access log, into a sink that costs nothing: what
	// formatting a line costs is measured, not the write(2).
	return httpapi.New(svc, httpapi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}), is
}

// BenchmarkVerify measures POST /api/token/verify/ through the handler.
func BenchmarkVerify(b *testing.B) {
	api, is := benchAPI(b)
	body := tokenBody("token", is.Access)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, verifyPath, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code, rec.Body)
		}
	}
}

// BenchmarkAuthenticateStateless measures GET /api/authenticate/stateless/.
func BenchmarkAuthenticateStateless(b *testing.B) {
	api, is := benchAPI(b)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, statePath, nil)
		req.Header.Set("Authorization", "Bearer "+is.Access)
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code, rec.Body)
		}
	}
}

// BenchmarkForwardAuth measures GET /api/forward-auth/ beside
// BenchmarkAuthenticate: the same work (user lookup included), answered in
// headers; the two should cost the same.
func BenchmarkForwardAuth(b *testing.B) {
	benchGet(b, forwardAuthPath)
}

// BenchmarkAuthenticate measures GET /api/authenticate/.
func BenchmarkAuthenticate(b *testing.B) {
	benchGet(b, authPath)
}

func benchGet(b *testing.B, path string) {
	api, is := benchAPI(b)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer "+is.Access)
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code, rec.Body)
		}
	}
}

// BenchmarkBare is the baseline of the benchmarks above: a handler that
// reads the body and writes fixed JSON, as the load benchmark's bare
// server does, through the same recorder.
func BenchmarkBare(b *testing.B) {
	body := []byte(`{"id":"1","username":"bench"}`)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, statePath, nil)
		req.Header.Set("Authorization", "Bearer x")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code, rec.Body)
		}
	}
}
