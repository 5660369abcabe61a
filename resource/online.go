package resource

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/jwtd/jwtd/core"
)

// Bounds of the online check's cache.
const (
	DefaultOnlineTTL = 2 * time.Second
	MaxOnlineTTL     = time.Minute
	// onlineCacheSize bounds the answers kept; beyond it expired ones are
	// dropped, and if that is not enough, all of them.
	onlineCacheSize = 10000
	// maxRejectionBody caps the jwtd answer passed on.
	maxRejectionBody = 64 << 10
)

// onlineCheck asks jwtd's GET /api/authenticate/ whether a token is still
// good, caching each answer (good or refused, never an outage) for ttl.
type onlineCheck struct {
	url    string
	header string
	ttl    time.Duration
	client *http.Client
	now    func() time.Time

	mu       sync.Mutex
	answers  map[[32]byte]onlineAnswer
	inflight map[[32]byte]*onlineCall
}

// onlineCall is a question to jwtd in flight; requests for the same token
// wait for it instead of asking again, so a popular token whose answer
// just expired costs jwtd one request, not one per client.
type onlineCall struct {
	done chan struct{}
	rej  *Rejection
	err  error
}

type onlineAnswer struct {
	until time.Time
	err   *Rejection // nil: good
}

func newOnlineCheck(rawURL string, ttl time.Duration, client *http.Client, header string, now func() time.Time) (*onlineCheck, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, &core.SettingError{Setting: "online_check", Reason: fmt.Sprintf("must be an http(s) URL, got %q", rawURL)}
	}
	if ttl < 0 || ttl > MaxOnlineTTL {
		return nil, &core.SettingError{Setting: "online_check", Reason: fmt.Sprintf("cache TTL must be between 0 and %s, got %s", MaxOnlineTTL, ttl)}
	}
	if ttl == 0 {
		ttl = DefaultOnlineTTL
	}
	if now == nil {
		now = time.Now
	}
	return &onlineCheck{url: rawURL, header: header, ttl: ttl, client: client, now: now,
		answers: map[[32]byte]onlineAnswer{}, inflight: map[[32]byte]*onlineCall{}}, nil
}

// check returns nil when jwtd accepts the header's token, its *Rejection
// when it answers 401, and core.ErrUnavailable otherwise.
func (c *onlineCheck) check(ctx context.Context, header string) error {
	key := sha256.Sum256([]byte(header)) // no raw tokens kept in memory
	now := c.now()
	c.mu.Lock()
	if a, ok := c.answers[key]; ok && now.Before(a.until) {
		c.mu.Unlock()
		if a.err != nil {
			return a.err
		}
		return nil
	}
	call, asking := c.inflight[key]
	if !asking {
		call = &onlineCall{done: make(chan struct{})}
		c.inflight[key] = call
	}
	c.mu.Unlock()
	if asking {
		select {
		case <-call.done:
		case <-ctx.Done():
			return core.ErrUnavailable.With(ctx.Err())
		}
	} else {
		// The answer is shared, so one client going away must not fail the
		// others: the question outlives its request, bounded by the timeout.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), DefaultTimeout)
		call.rej, call.err = c.ask(actx, header)
		cancel()
		c.mu.Lock()
		delete(c.inflight, key)
		if call.err == nil {
			c.remember(key, onlineAnswer{until: now.Add(c.ttl), err: call.rej})
		}
		c.mu.Unlock()
		close(call.done)
	}
	if call.err != nil {
		return core.ErrUnavailable.With(call.err)
	}
	if call.rej != nil {
		return call.rej
	}
	return nil
}

// remember caches an answer, keeping the cache bounded. The caller holds
// c.mu.
func (c *onlineCheck) remember(key [32]byte, a onlineAnswer) {
	if len(c.answers) >= onlineCacheSize {
		now := c.now()
		for k, old := range c.answers {
			if !now.Before(old.until) {
				delete(c.answers, k)
			}
		}
		if len(c.answers) >= onlineCacheSize {
			clear(c.answers)
		}
	}
	c.answers[key] = a
}

// ask sends the header to jwtd: 200 is good, 401 a Rejection, anything
// else an error.
func (c *onlineCheck) ask(ctx context.Context, header string) (*Rejection, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(c.header, header)
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRejectionBody))
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return nil, nil
	case http.StatusUnauthorized:
		return &Rejection{Status: http.StatusUnauthorized, Body: body}, nil
	}
	return nil, fmt.Errorf("online check: GET %s: %s", c.url, resp.Status)
}
