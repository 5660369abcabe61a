// Package httpx holds small net/http helpers shared by the host's HTTP
// layers (the request log and the metrics middleware), which cannot import
// each other.
package httpx

import "net/http"

// StatusWriter wraps a ResponseWriter and remembers the first status code
// written: the one WriteHeader was given, or 200 when the handler writes a
// body first. It stays 0 when the handler writes nothing at all.
type StatusWriter struct {
	http.ResponseWriter
	// Status is the first status code written, or 0 for none yet.
	Status int
}

// WriteHeader records code if it is the first, and passes it on.
func (w *StatusWriter) WriteHeader(code int) {
	if w.Status == 0 {
		w.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records 200 if nothing was written before (net/http sends it
// implicitly), and passes b on.
func (w *StatusWriter) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (Flush,
// deadlines, the connection).
func (w *StatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
