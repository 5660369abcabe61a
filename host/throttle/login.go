package throttle

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// maxPeek bounds how much of a login body LoginMiddleware reads to find the
// username. A larger body is passed on untouched (the handler refuses it
// with 413) and is throttled by address only.
const maxPeek = 64 << 10

// LoginMiddleware throttles the login requests among those reaching next
// (isLogin says which: obtain and sliding obtain) by client address and by
// the username in the body's field usernameField names (asked per request,
// so a user store that was down at start is asked again), for a server that takes one
// middleware for all routes. The body is read (at most 64 KiB, JSON or
// urlencoded form) and handed on to next unchanged. Other requests pass
// through untouched.
func (l *Limiter) LoginMiddleware(res AddrResolver, isLogin func(*http.Request) bool, usernameField func(context.Context) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isLogin(r) {
			next.ServeHTTP(w, r)
			return
		}
		username := ""
		if r.Body != nil {
			peek, err := io.ReadAll(io.LimitReader(r.Body, maxPeek+1))
			// Hand the whole body on: what was peeked, then the rest.
			r.Body = readCloser{io.MultiReader(bytes.NewReader(peek), r.Body), r.Body}
			if err == nil && len(peek) <= maxPeek {
				username = usernameIn(r.Header.Get("Content-Type"), peek, usernameField(r.Context()))
			}
		}
		if l.Check(w, r, res, username) {
			next.ServeHTTP(w, r)
		}
	})
}

type readCloser struct {
	io.Reader
	io.Closer
}

// usernameIn extracts field from a JSON object or urlencoded body; "" when
// it is absent, not a string, or the body does not parse (the handler will
// answer 400, and the attempt is still limited by address).
func usernameIn(contentType string, body []byte, field string) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/json":
		var obj map[string]json.RawMessage
		if json.Unmarshal(body, &obj) != nil {
			return ""
		}
		var s string
		if json.Unmarshal(obj[field], &s) != nil {
			return ""
		}
		return s
	case "application/x-www-form-urlencoded":
		v, err := url.ParseQuery(string(body))
		if err != nil {
			return ""
		}
		return v.Get(field)
	}
	return ""
}
