package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/host/httpapi"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
)

// fuzzAPI is an API over in-memory stores (fast enough to fuzz) with one
// active user, alice, and a valid pair and sliding token of hers for seeds.
func fuzzAPI(f *testing.F) (*httpapi.API, core.Issued, string) {
	f.Helper()
	ctx := context.Background()
	users := memory.NewUserStore()
	alice, err := users.CreateUser(ctx, sdk.NewUser{Username: "alice", Password: "pw", IsActive: true})
	if err != nil {
		f.Fatal(err)
	}
	st := core.DefaultSettings()
	st.SigningKey = testSecret
	svc, err := core.New(st, core.Plugins{Users: users, Blacklist: memory.NewBlacklistStore()})
	if err != nil {
		f.Fatal(err)
	}
	pair, err := svc.IssueFor(ctx, alice)
	if err != nil {
		f.Fatal(err)
	}
	sliding, err := svc.IssueSlidingFor(ctx, alice)
	if err != nil {
		f.Fatal(err)
	}
	api := httpapi.New(svc, httpapi.Options{MaxBodyBytes: 4096, MaxJSONDepth: 8, MaxFieldChars: 64, MaxHeaderBytes: 8192})
	return api, pair, sliding.Token
}

// checkFuzzAnswer fails on a 5xx or an answer that is not JSON.
func checkFuzzAnswer(t *testing.T, rec *httptest.ResponseRecorder, input ...any) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("status %d for %q: %s", rec.Code, input, rec.Body)
	}
	if !json.Valid(rec.Body.Bytes()) || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("not JSON for %q: %q", input, rec.Body)
	}
}

// FuzzRequestBody: whatever body and media type arrive at any endpoint
// that reads a body (the six token endpoints), the answer is JSON with a
// status below 500 (bad input is the client's error, never a crash).
func FuzzRequestBody(f *testing.F) {
	api, pair, sliding := fuzzAPI(f)
	paths := []string{obtainPath, refreshPath, verifyPath, blPath, slidingPath, slRefPath}
	f.Add(uint8(0), "application/json", `{"username": "alice", "password": "pw"}`)
	f.Add(uint8(1), "application/json", `{"refresh": 1e999}`)
	f.Add(uint8(1), "application/json", `{"refresh": "`+pair.Refresh+`"}`)
	f.Add(uint8(2), "application/x-www-form-urlencoded", "token=%zz&token=a")
	f.Add(uint8(2), "application/json", `{"token": "`+pair.Access+`"}`)
	f.Add(uint8(3), "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"refresh\"\r\n\r\nabc\r\n--x--")
	f.Add(uint8(3), "application/json", `{"refresh": "`+pair.Refresh+`", "refresh": {"$ne": null}}`)
	f.Add(uint8(4), "application/json", `[[[[[[[[[[[[]]]]]]]]]]]]`)
	f.Add(uint8(4), "application/json", `{"username": "alice\u0000", "password": "pw"}`)
	f.Add(uint8(5), "text/plain; charset", "x")
	f.Add(uint8(5), "application/json", `{"token": "`+sliding+`"}`)
	f.Fuzz(func(t *testing.T, which uint8, ctype, body string) {
		req := httptest.NewRequest(http.MethodPost, paths[int(which)%len(paths)], strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		checkFuzzAnswer(t, rec, ctype, body)
	})
}

// FuzzAuthorizationHeader: whatever Authorization value (any bytes, as a
// proxy might pass them) arrives at either authenticate endpoint, the answer
// is JSON with a status below 500, and only a header holding a valid token
// of alice's can succeed.
func FuzzAuthorizationHeader(f *testing.F) {
	api, pair, sliding := fuzzAPI(f)
	paths := []string{authPath, statePath}
	f.Add(uint8(0), "Bearer "+pair.Access)
	f.Add(uint8(1), "Bearer "+pair.Access)
	f.Add(uint8(0), "Bearer "+pair.Refresh)
	f.Add(uint8(1), "Bearer "+sliding)
	f.Add(uint8(0), "Bearer")
	f.Add(uint8(1), "Bearer \x00"+pair.Access)
	f.Add(uint8(0), "bearer "+pair.Access)
	f.Add(uint8(1), "Bearer eyJhbGciOiJub25lIn0.eyJ1c2VyX2lkIjp7fX0.")
	f.Add(uint8(0), "Bearer a.b.c.d.e")
	f.Add(uint8(1), "Bearer "+strings.Repeat("A", 9000))
	f.Fuzz(func(t *testing.T, which uint8, header string) {
		req := httptest.NewRequest(http.MethodGet, paths[int(which)%len(paths)], nil)
		req.Header["Authorization"] = []string{header}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		checkFuzzAnswer(t, rec, header)
		if rec.Code == http.StatusOK && !strings.Contains(header, ".") {
			t.Fatalf("200 for a header with no token in it: %q", header)
		}
	})
}
