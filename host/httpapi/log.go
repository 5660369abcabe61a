package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/jwtd/jwtd/internal/httpx"
)

// requestInfo carries what the request log line needs from deep inside a
// handler: the authenticated user id, when one is known.
type requestInfo struct {
	mu     sync.Mutex
	userID string
}

type infoKey struct{}

func setUserID(ctx context.Context, id string) {
	if ri, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		ri.mu.Lock()
		ri.userID = id
		ri.mu.Unlock()
	}
}

// logRequests writes one line per request: method, path, status, duration
// and the user id when known. Never a header, body or query value: they may
// hold tokens or passwords.
func (a *API) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &requestInfo{}
		sw := &httpx.StatusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), infoKey{}, ri)))
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.Status),
			slog.Duration("duration", time.Since(start)),
			slog.String("remote", r.RemoteAddr),
		}
		ri.mu.Lock()
		if ri.userID != "" {
			attrs = append(attrs, slog.String("user_id", ri.userID))
		}
		ri.mu.Unlock()
		a.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
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
