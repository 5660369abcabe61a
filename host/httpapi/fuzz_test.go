package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/host/httpapi"
	"github.com/jwtd/jwtd/host/throttle"
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

// askedStore is a user store that records the credentials it is asked to
// authenticate.
type askedStore struct {
	sdk.UserStore
	asked []sdk.Credentials
}

func (s *askedStore) Authenticate(ctx context.Context, creds sdk.Credentials) (sdk.User, error) {
	s.asked = append(s.asked, creds)
	return s.UserStore.Authenticate(ctx, creds)
}

// admitted is a LoginGuard that records the accounts it admits and passes
// them on to jwtd's throttle (rate limits and brute-force counters that
// never refuse), so that the real throttle key code runs.
type admitted struct {
	next     *throttle.Login
	accounts []string
}

func (g *admitted) Admit(ctx context.Context, r *http.Request, account string) (throttle.Done, error) {
	g.accounts = append(g.accounts, account)
	return g.next.Admit(ctx, r, account)
}

// FuzzLoginThrottleKey runs the login parser and the throttle key
// together: whatever the body and its encoding, the user store is never
// asked about an account the throttle did not key on. Every Authenticate
// call follows exactly one admission whose account has the same
// throttle.AccountKey as the username the store was given (and a
// non-empty one), so no encoding can name one account to the limits and
// another to the store.
func FuzzLoginThrottleKey(f *testing.F) {
	users := &askedStore{UserStore: memory.NewUserStore()}
	st := core.DefaultSettings()
	st.SigningKey = testSecret
	svc, err := core.New(st, core.Plugins{Users: users, Blacklist: memory.NewBlacklistStore()})
	if err != nil {
		f.Fatal(err)
	}
	limiter, err := throttle.New(throttle.Config{
		PerAddr: throttle.Limit{Rate: 1e9, Burst: 1 << 30}, PerUsername: throttle.Limit{Rate: 1e9, Burst: 1 << 30}, MaxKeys: 64,
	})
	if err != nil {
		f.Fatal(err)
	}
	bf, err := throttle.NewBruteForce(memory.NewLoginFailureStore(64, nil), throttle.BruteForceConfig{Window: time.Minute, MaxFailures: 1 << 30})
	if err != nil {
		f.Fatal(err)
	}
	guard := &admitted{next: &throttle.Login{Limiter: limiter, BruteForce: bf}}
	api := httpapi.New(svc, httpapi.Options{MaxBodyBytes: 4096, MaxJSONDepth: 8, MaxFieldChars: 64, Login: guard})
	f.Add(uint8(0), "application/json", `{"username": " alice", "password": "pw"}`)
	f.Add(uint8(1), "application/json", "{\"username\": \"\u00a0alice\", \"password\": \"pw\"}")
	f.Add(uint8(0), "application/x-www-form-urlencoded", "username=alice%09&password=pw")
	f.Add(uint8(0), "application/x-www-form-urlencoded", "username=decoy&username=alice&password=pw")
	f.Add(uint8(1), "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n--x\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\npw\r\n--x--")
	f.Add(uint8(0), "application/json", `{"username": 12345, "password": "pw"}`)
	f.Add(uint8(1), "application/json", `{"username": "ALICE", "username": "alice", "password": "pw"}`)
	f.Add(uint8(0), "application/json; charset=utf-8", `{"password": "pw", "username": "ａｌｉｃｅ"}`)
	paths := []string{obtainPath, slidingPath}
	f.Fuzz(func(t *testing.T, which uint8, ctype, body string) {
		users.asked, guard.accounts = nil, nil
		req := httptest.NewRequest(http.MethodPost, paths[int(which)%len(paths)], strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		checkFuzzAnswer(t, rec, ctype, body)
		if len(users.asked) == 0 {
			return
		}
		if len(users.asked) != 1 || len(guard.accounts) != 1 {
			t.Fatalf("%d store calls after %d admissions for %q %q; want one after one", len(users.asked), len(guard.accounts), ctype, body)
		}
		asked, keyed := users.asked[0]["username"], guard.accounts[0]
		if throttle.AccountKey(keyed) == "" || throttle.AccountKey(keyed) != throttle.AccountKey(asked) {
			t.Fatalf("throttle keyed on %q, store asked about %q (body %q %q)", keyed, asked, ctype, body)
		}
	})
}
