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

// FuzzRequestBody: whatever body and media type arrive at any token
// endpoint, the answer is JSON with a status below 500 (bad input is the
// client's error, never a crash).
func FuzzRequestBody(f *testing.F) {
	users := memory.NewUserStore()
	if _, err := users.CreateUser(context.Background(), sdk.NewUser{Username: "alice", Password: "pw", IsActive: true}); err != nil {
		f.Fatal(err)
	}
	st := core.DefaultSettings()
	st.SigningKey = testSecret
	svc, err := core.New(st, core.Plugins{Users: users, Blacklist: memory.NewBlacklistStore()})
	if err != nil {
		f.Fatal(err)
	}
	api := httpapi.New(svc, httpapi.Options{MaxBodyBytes: 4096, MaxJSONDepth: 8, MaxFieldChars: 64})
	paths := []string{obtainPath, refreshPath, verifyPath, blPath, slidingPath, slRefPath}
	f.Add(uint8(0), "application/json", `{"username": "alice", "password": "pw"}`)
	f.Add(uint8(1), "application/json", `{"refresh": 1e999}`)
	f.Add(uint8(2), "application/x-www-form-urlencoded", "token=%zz&token=a")
	f.Add(uint8(3), "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"refresh\"\r\n\r\nabc\r\n--x--")
	f.Add(uint8(4), "application/json", `[[[[[[[[[[[[]]]]]]]]]]]]`)
	f.Add(uint8(5), "text/plain; charset", "x")
	f.Fuzz(func(t *testing.T, which uint8, ctype, body string) {
		req := httptest.NewRequest(http.MethodPost, paths[int(which)%len(paths)], strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q %q: %s", rec.Code, ctype, body, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) || rec.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("not JSON: %q", rec.Body)
		}
	})
}
