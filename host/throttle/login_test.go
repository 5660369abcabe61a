package throttle_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/host/throttle"
)

func TestLoginMiddleware(t *testing.T) {
	c := newClock()
	l, err := throttle.New(throttle.Config{
		PerAddr:     throttle.Limit{Rate: 1, Burst: 100},
		PerUsername: throttle.Limit{Rate: 0.1, Burst: 2},
		Now:         c.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	h := l.LoginMiddleware(throttle.AddrResolver{},
		func(r *http.Request) bool { return r.URL.Path == "/api/token/" },
		func(context.Context) string { return "username" },
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			bodies = append(bodies, string(b))
		}))
	big := `{"username":"alice","pad":"` + strings.Repeat("x", 70<<10) + `"}`
	tests := []struct {
		name, path, ct, body string
		want                 int
	}{
		{"json alice 1", "/api/token/", "application/json", `{"username":"alice","password":"a"}`, 200},
		{"form alice 2", "/api/token/", "application/x-www-form-urlencoded", "username=alice&password=b", 200},
		{"json alice 3 throttled", "/api/token/", "application/json; charset=utf-8", `{"password":"c","username":"alice"}`, 429},
		{"bob unaffected", "/api/token/", "application/json", `{"username":"bob","password":"a"}`, 200},
		{"not a login path", "/api/token/refresh/", "application/json", `{"username":"alice"}`, 200},
		{"unparseable body passes to the handler", "/api/token/", "application/json", `{"username":`, 200},
		{"username not a string", "/api/token/", "application/json", `{"username":["alice"]}`, 200},
		{"oversized body: address only", "/api/token/", "application/json", big, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(bodies)
			rec := httptest.NewRecorder()
			r := httptest.NewRequest("POST", tt.path, strings.NewReader(tt.body))
			r.Header.Set("Content-Type", tt.ct)
			h.ServeHTTP(rec, r)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d", rec.Code, tt.want)
			}
			if tt.want == 200 {
				if len(bodies) != before+1 || bodies[len(bodies)-1] != tt.body {
					t.Fatalf("handler did not get the body intact")
				}
			} else if len(bodies) != before {
				t.Fatal("a throttled request reached the handler")
			}
		})
	}
}
