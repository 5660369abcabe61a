package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// client sends the benchmark's requests to one server.
type client struct {
	hc   *http.Client
	base string // "http://127.0.0.1:port"
}

func newClient(addr string, workers int) *client {
	tr := &http.Transport{
		MaxIdleConns:        workers * 2,
		MaxIdleConnsPerHost: workers * 2,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &client{hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}, base: "http://" + addr}
}

func (c *client) close() { c.hc.CloseIdleConnections() }

// do sends req and returns the body when the status is want.
func (c *client) do(req *http.Request, want int) ([]byte, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return body, fmt.Errorf("%s %s: status %d, want %d: %.200s", req.Method, req.URL.Path, resp.StatusCode, want, body)
	}
	return body, nil
}

// post sends a pre-encoded JSON body.
func (c *client) post(ctx context.Context, path string, body []byte, want int) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return c.do(req, want)
}

// getBearer sends GET with "Authorization: Bearer token".
func (c *client) getBearer(ctx context.Context, path, token string, want int) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return c.do(req, want)
}

// mustJSON encodes v; only called with maps of strings.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// pair is an obtain or refresh answer.
type pair struct {
	Access  string `json:"access"`
	Refresh string `json:"refresh"`
}

func decodePair(body []byte) (pair, error) {
	var p pair
	if err := json.Unmarshal(body, &p); err != nil {
		return p, fmt.Errorf("decoding %q: %w", body, err)
	}
	return p, nil
}
