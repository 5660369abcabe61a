package httpx

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestStatusWriter(t *testing.T) {
	cases := []struct {
		name    string
		handler func(http.ResponseWriter)
		want    int
	}{
		{"nothing written", func(http.ResponseWriter) {}, 0},
		{"body only means 200", func(w http.ResponseWriter) { _, _ = w.Write([]byte("x")) }, http.StatusOK},
		{"explicit status", func(w http.ResponseWriter) { w.WriteHeader(http.StatusTeapot) }, http.StatusTeapot},
		{"first status wins", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusNotFound)
			w.WriteHeader(http.StatusInternalServerError)
		}, http.StatusNotFound},
		{"status then body", func(w http.ResponseWriter) {
			w.WriteHeader(http.StatusCreated)
			_, _ = w.Write([]byte("x"))
		}, http.StatusCreated},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			sw := &StatusWriter{ResponseWriter: rec}
			tc.handler(sw)
			if sw.Status != tc.want {
				t.Fatalf("Status = %d, want %d", sw.Status, tc.want)
			}
			if tc.want != 0 && rec.Code != tc.want {
				t.Fatalf("underlying writer got %d, want %d", rec.Code, tc.want)
			}
		})
	}
}

// TestStatusWriterUnwrap proves http.ResponseController reaches the wrapped
// writer through Unwrap (SetWriteDeadline is not supported by a recorder,
// Flush is).
func TestStatusWriterUnwrap(t *testing.T) {
	rec := httptest.NewRecorder()
	rc := http.NewResponseController(&StatusWriter{ResponseWriter: rec})
	if err := rc.Flush(); err != nil {
		t.Fatalf("Flush through Unwrap: %v", err)
	}
	if !rec.Flushed {
		t.Fatal("the recorder was not flushed")
	}
	if err := rc.SetWriteDeadline(time.Now()); err == nil {
		t.Fatal("SetWriteDeadline on a recorder should report not supported")
	}
}
