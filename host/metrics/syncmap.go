package metrics

import (
	"net/http"
	"sync"
)

// syncMap caches one instrumented handler per endpoint name. Names come
// from a fixed mapping, so it stays small.
type syncMap struct {
	mu sync.RWMutex
	m  map[string]http.Handler
}

func (s *syncMap) load(name string) (http.Handler, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	h, ok := s.m[name]
	return h, ok
}

// store keeps h for name unless another goroutine was first, and returns
// the handler kept.
func (s *syncMap) store(name string, h http.Handler) http.Handler {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]http.Handler{}
	}
	if old, ok := s.m[name]; ok {
		return old
	}
	s.m[name] = h
	return h
}
