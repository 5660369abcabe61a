package daemon_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/host/daemon"
)

// loginBody is one encoding of a login request.
type loginBody struct {
	contentType string
	body        string
}

func jsonLogin(body string) loginBody { return loginBody{"application/json", body} }

func formLogin(body string) loginBody {
	return loginBody{"application/x-www-form-urlencoded", body}
}

func multipartLogin(fields ...[2]string) loginBody {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		w.WriteField(f[0], f[1])
	}
	w.Close()
	return loginBody{w.FormDataContentType(), b.String()}
}

func (l loginBody) post(t *testing.T, base string) int {
	t.Helper()
	resp, err := http.Post(base+"/api/token/", l.contentType, strings.NewReader(l.body))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestLoginThrottleKeysOnParsedCredentials: the per-username limit keys on
// the credentials the handler authenticates, whatever the encoding. With one
// attempt per username allowed, a plain login of alice uses it up; then each
// variant below names alice to the handler too and must be throttled (on the
// old code, which read the raw body itself, each got a real password check:
// 401).
func TestLoginThrottleKeysOnParsedCredentials(t *testing.T) {
	pad := strings.Repeat("a", 70<<10) // between the old 64 KiB peek and the 1 MiB cap
	cases := []struct {
		name          string
		first, second loginBody
	}{
		{"leading space", jsonLogin(`{"username":"alice","password":"x"}`), jsonLogin(`{"username":" alice","password":"x"}`)},
		{"no-break space", jsonLogin(`{"username":"alice","password":"x"}`), jsonLogin(`{"username":"\u00a0alice","password":"x"}`)},
		{"tab", jsonLogin(`{"username":"alice","password":"x"}`), formLogin("username=alice%09&password=x")},
		{"repeated form field", formLogin("username=alice&password=x"), formLogin("username=decoy&username=alice&password=x")},
		{"multipart", jsonLogin(`{"username":"alice","password":"x"}`), multipartLogin([2]string{"username", "alice"}, [2]string{"password", "x"})},
		{"body over 64 KiB", jsonLogin(`{"username":"alice","password":"x"}`), jsonLogin(`{"pad":"` + pad + `","username":"alice","password":"x"}`)},
		{"JSON number username", jsonLogin(`{"username":"12345","password":"x"}`), jsonLogin(`{"username":12345,"password":"x"}`)},
		{"upper case", jsonLogin(`{"username":"alice","password":"x"}`), jsonLogin(`{"username":"ALICE","password":"x"}`)},
	}
	text := "[server.throttle]\nlogin_rate_per_username = 1\nlogin_burst = 1\n" + memoryConfig
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServe(t, text, daemon.ServeOptions{})
			if code := tc.first.post(t, srv.base); code != http.StatusUnauthorized {
				t.Fatalf("first login: %d, want 401", code)
			}
			if code := tc.first.post(t, srv.base); code != http.StatusTooManyRequests {
				t.Fatalf("plain repeat: %d, want 429", code)
			}
			if code := tc.second.post(t, srv.base); code != http.StatusTooManyRequests {
				t.Fatalf("variant: %d, want 429 like the plain repeat", code)
			}
		})
	}
}
