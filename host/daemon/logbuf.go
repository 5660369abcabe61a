package daemon

import (
	"io"
	"sync"
	"time"
)

// The access log writes one line per request; written straight to stderr
// that is one write(2) per request, which on a loaded or virtualised
// machine costs more than checking the token. logBuffer gathers the lines
// and writes them in batches: every logFlushInterval, whenever
// logBufferSize bytes have gathered, and when Serve returns. It never drops
// a line: a writer that fills the buffer writes it out itself before going
// on (so a slow sink slows the logging requests, as an unbuffered one
// would). slog hands each record to Write whole, and the buffer is only
// ever written out whole, so the log holds complete lines only. What a
// crash can lose: on SIGKILL or a fatal runtime error (not a handler's
// panic, which is recovered and logged) the lines of the last
// logFlushInterval at most, never part of a line.
type logBuffer struct {
	w io.Writer

	flushMu sync.Mutex // one write-out at a time, so lines keep their order

	mu     sync.Mutex
	buf    []byte
	spare  []byte // the buffer being written out last, reused
	closed bool   // after Close, writes go straight to w

	stop chan struct{}
	done chan struct{}
}

const (
	logFlushInterval = 100 * time.Millisecond
	logBufferSize    = 64 << 10
)

// newLogBuffer starts buffering writes to w; Close flushes and stops it.
func newLogBuffer(w io.Writer, interval time.Duration) *logBuffer {
	b := &logBuffer{w: w, buf: make([]byte, 0, logBufferSize), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.Flush()
			case <-b.stop:
				return
			}
		}
	}()
	return b
}

// Write appends p, a whole log record, and writes the buffer out once it
// is full.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		b.flushMu.Lock()
		defer b.flushMu.Unlock()
		return b.w.Write(p)
	}
	b.buf = append(b.buf, p...)
	full := len(b.buf) >= logBufferSize
	b.mu.Unlock()
	if full {
		if err := b.Flush(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes out everything buffered so far.
func (b *logBuffer) Flush() error {
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	b.mu.Lock()
	data := b.buf
	b.buf = b.spare[:0]
	b.mu.Unlock()
	var err error
	if len(data) > 0 {
		_, err = b.w.Write(data)
	}
	b.mu.Lock()
	b.spare = data
	b.mu.Unlock()
	return err
}

// Close stops the periodic flush and writes out what is left; later
// writes go straight to the sink, unbuffered, after it.
func (b *logBuffer) Close() error {
	close(b.stop)
	<-b.done
	b.flushMu.Lock()
	defer b.flushMu.Unlock()
	b.mu.Lock()
	data := b.buf
	b.buf, b.closed = nil, true
	b.mu.Unlock()
	if len(data) == 0 {
		return nil
	}
	_, err := b.w.Write(data)
	return err
}
