package daemon

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// sink records each write it gets.
type sink struct {
	mu     sync.Mutex
	writes [][]byte
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, bytes.Clone(p))
	return len(p), nil
}

func (s *sink) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(bytes.Join(s.writes, nil))
}

// TestLogBufferKeepsEveryLine: lines written concurrently (more than the
// buffer holds) all reach the sink once, whole and each writer's in order;
// every write to the sink ends at a line's end.
func TestLogBufferKeepsEveryLine(t *testing.T) {
	s := &sink{}
	b := newLogBuffer(s, time.Hour) // only size and Close flush here
	const writers, lines = 8, 2000
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(b, "level=INFO msg=request writer=%d line=%d pad=%s\n", g, i, strings.Repeat("x", i%50))
			}
		})
	}
	wg.Wait()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if len(s.writes) < 2 {
		t.Fatalf("%d writes to the sink: the buffer never filled up and flushed", len(s.writes))
	}
	for _, w := range s.writes {
		if len(w) == 0 || w[len(w)-1] != '\n' {
			t.Fatalf("a write to the sink ends mid-line: %q", w[max(0, len(w)-40):])
		}
	}
	next := make([]int, writers)
	for _, l := range strings.Split(strings.TrimSuffix(s.text(), "\n"), "\n") {
		var g, i int
		if _, err := fmt.Sscanf(l, "level=INFO msg=request writer=%d line=%d", &g, &i); err != nil {
			t.Fatalf("broken line %q: %v", l, err)
		}
		if i != next[g] {
			t.Fatalf("writer %d: line %d after %d", g, i, next[g]-1)
		}
		next[g]++
	}
	for g, n := range next {
		if n != lines {
			t.Fatalf("writer %d: %d of %d lines reached the sink", g, n, lines)
		}
	}
}

// TestLogBufferFlushesOnInterval: a line reaches the sink within a few
// flush intervals without Close; after Close, writes go straight through.
func TestLogBufferFlushesOnInterval(t *testing.T) {
	s := &sink{}
	b := newLogBuffer(s, 10*time.Millisecond)
	b.Write([]byte("one\n"))
	if s.text() != "" && s.text() != "one\n" {
		t.Fatalf("sink %q", s.text())
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.text() != "one\n" {
		if time.Now().After(deadline) {
			t.Fatal("the line was never flushed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.Close()
	b.Write([]byte("two\n"))
	if got := s.text(); got != "one\ntwo\n" {
		t.Fatalf("after Close: sink %q", got)
	}
}
