package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/jwtd/jwtd/internal/httpx"
)

// RequestObserver receives every API request once answered: the endpoint
// (the endpoint table's name, or "other"), the status code written (200
// when the handler wrote nothing) and how long it took. The metrics
// implement it.
type RequestObserver interface {
	ObserveRequest(endpoint string, status int, elapsed time.Duration)
}

// respWriter is the one wrapper around each request's ResponseWriter: it
// records what the access log line and the RequestObserver need (status,
// endpoint, the authenticated user id), so that one writer, one clock
// reading pair and no request copy serve both.
type respWriter struct {
	httpx.StatusWriter
	// endpoint is the route's name, set by dispatch when it finds one.
	endpoint string
	// userID is the authenticated user's id, set by the handler.
	userID string
}

// observed finds the request's respWriter under w (tests' middleware may
// wrap it), or nil outside the API's own chain (the ops listener).
func observed(w http.ResponseWriter) *respWriter {
	for {
		switch t := w.(type) {
		case *respWriter:
			return t
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return nil
		}
	}
}

// setUserID records the authenticated user's id for the log line.
func setUserID(w http.ResponseWriter, id string) {
	if rw := observed(w); rw != nil {
		rw.userID = id
	}
}

// logRequests writes one line per request: method, path, status, duration
// and the user id when known, and hands the request to the
// RequestObserver. Never a header, body or query value: they may hold
// tokens or passwords.
func (a *API) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &respWriter{StatusWriter: httpx.StatusWriter{ResponseWriter: w}}
		next.ServeHTTP(rw, r)
		elapsed := time.Since(start)
		if o := a.opts.Observer; o != nil {
			endpoint := rw.endpoint
			if endpoint == "" {
				endpoint = a.EndpointName(r)
			}
			code := rw.Status
			if code == 0 {
				code = http.StatusOK
			}
			o.ObserveRequest(endpoint, code, elapsed)
		}
		attrs := [...]slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rw.Status),
			slog.Duration("duration", elapsed),
			slog.String("remote", r.RemoteAddr),
			slog.String("user_id", rw.userID),
		}
		n := len(attrs)
		if rw.userID == "" {
			n--
		}
		a.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs[:n]...)
	})
}

// recoverPanics turns a panic into a logged 500 JSON answer.
func (a *API) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			a.log.ErrorContext(r.Context(), "panic serving request", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			a.writeError(w, r, fmt.Errorf("panic: %v", v))
		}()
		next.ServeHTTP(w, r)
	})
}
