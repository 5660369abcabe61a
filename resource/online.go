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

	mu      sync.Mutex
	answers map[[32]byte]onlineAnswer
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
	return &onlineCheck{url: rawURL, header: header, ttl: ttl, client: client, now: now, answers: map[[32]byte]onlineAnswer{}}, nil
}

// check returns nil when jwtd accepts the header's token, its *Rejection
// when it answers 401, and core.ErrUnavailable otherwise.
func (c *onlineCheck) check(ctx context.Context, header string) error {
	key := sha256.Sum256([]byte(header)) // no raw tokens kept in memory
	now := c.now()
	c.mu.Lock()
	a, ok := c.answers[key]
	c.mu.Unlock()
	if ok && now.Before(a.until) {
		if a.err != nil {
			return a.err
		}
		return nil
	}
	rej, err := c.ask(ctx, header)
	if err != nil {
		return core.ErrUnavailable.With(err)
	}
	c.mu.Lock()
	if len(c.answers) >= onlineCacheSize {
		for k, a := range c.answers {
			if !now.Before(a.until) {
				delete(c.answers, k)
			}
		}
		if len(c.answers) >= onlineCacheSize {
			clear(c.answers)
		}
	}
	c.answers[key] = onlineAnswer{until: now.Add(c.ttl), err: rej}
	c.mu.Unlock()
	if rej != nil {
		return rej
	}
	return nil
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
