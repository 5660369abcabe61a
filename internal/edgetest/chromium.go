package edgetest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Browser is a headless Chromium driven over the DevTools protocol. The
// protocol runs over a pipe (--remote-debugging-pipe: commands on the
// browser's fd 3, answers on its fd 4, each a JSON text ended by NUL), so
// there is no debugging port another local user could reach and no
// websocket library to depend on.
type Browser struct {
	proc *Proc
	out  *os.File // commands to the browser

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan cdpReply
	readErr error
}

// cdpReply is one answer of the protocol.
type cdpReply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// StartChromium runs the real Chromium headless with a fresh profile in
// the test's temp dir; the cleanup kills it and every child process.
func StartChromium(t testing.TB) *Browser {
	t.Helper()
	bin := Chromium.Find(t)
	dir := t.TempDir()
	toBrowser, cmdOut, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmdIn, fromBrowser, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir="+dir, "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{toBrowser, fromBrowser} // fds 3 and 4
	cmd.Env = append(os.Environ(), "HOME="+dir)
	b := &Browser{out: cmdOut, pending: map[int64]chan cdpReply{}}
	// Cleanups run last-registered first: this one, registered before
	// Start's group kill, runs after it.
	t.Cleanup(func() { checkNoSurvivors(t, dir) })
	b.proc = Start(t, cmd)
	toBrowser.Close()
	fromBrowser.Close()
	t.Cleanup(func() { cmdOut.Close(); cmdIn.Close() })
	go b.read(bufio.NewReader(cmdIn))
	return b
}

// read dispatches answers to their callers until the pipe closes; events
// are not needed by the tests and are dropped.
func (b *Browser) read(r *bufio.Reader) {
	for {
		msg, err := r.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			b.readErr = fmt.Errorf("chromium closed the protocol pipe: %w", err)
			for id, ch := range b.pending {
				close(ch)
				delete(b.pending, id)
			}
			b.mu.Unlock()
			return
		}
		var head struct {
			ID *int64 `json:"id"`
		}
		msg = msg[:len(msg)-1]
		if json.Unmarshal(msg, &head) != nil || head.ID == nil {
			continue
		}
		var rep cdpReply
		json.Unmarshal(msg, &rep)
		b.mu.Lock()
		ch := b.pending[*head.ID]
		delete(b.pending, *head.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- rep
		}
	}
}

// Call sends one command (to the browser when session is "", else to the
// attached page) and decodes its result into result (when not nil).
func (b *Browser) Call(ctx context.Context, session, method string, params, result any) error {
	b.mu.Lock()
	if b.readErr != nil {
		b.mu.Unlock()
		return b.readErr
	}
	b.nextID++
	id := b.nextID
	ch := make(chan cdpReply, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	if params == nil {
		params = struct{}{}
	}
	msg := map[string]any{"id": id, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return err
	}
	if _, err := b.out.Write(append(data, 0)); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case rep, ok := <-ch:
		if !ok {
			return b.readErr
		}
		if rep.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, rep.Error.Message, rep.Error.Code)
		}
		if result != nil {
			return json.Unmarshal(rep.Result, result)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// Page is one tab, attached for commands.
type Page struct {
	b       *Browser
	session string
}

// NewPage opens a tab on url, attaches to it and waits until url has
// loaded.
func (b *Browser) NewPage(ctx context.Context, url string) (*Page, error) {
	p, err := b.Open(ctx, "about:blank")
	if err != nil {
		return nil, err
	}
	return p, p.Navigate(ctx, url)
}

// Open opens a tab on url without waiting for it to load: for a page that
// navigates away by itself (a form posted on load).
func (b *Browser) Open(ctx context.Context, url string) (*Page, error) {
	var created struct {
		TargetID string `json:"targetId"`
	}
	if err := b.Call(ctx, "", "Target.createTarget", map[string]any{"url": url}, &created); err != nil {
		return nil, err
	}
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.Call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": created.TargetID, "flatten": true}, &attached); err != nil {
		return nil, err
	}
	return &Page{b: b, session: attached.SessionID}, nil
}

// Navigate loads url and waits until the document has loaded there.
func (p *Page) Navigate(ctx context.Context, url string) error {
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	if err := p.b.Call(ctx, p.session, "Page.navigate", map[string]any{"url": url}, &nav); err != nil {
		return err
	}
	if nav.ErrorText != "" {
		return fmt.Errorf("navigate %s: %s", url, nav.ErrorText)
	}
	return p.WaitFor(ctx, `location.href === `+jsString(url)+` && document.readyState === "complete"`)
}

// WaitFor polls the JS condition until it is true.
func (p *Page) WaitFor(ctx context.Context, cond string) error {
	for {
		var ok bool
		err := p.Eval(ctx, "!!("+cond+")", &ok)
		if err == nil && ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last error %v)", cond, ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Eval runs a JS expression in the page, awaits it when it is a promise,
// and decodes its value into result.
func (p *Page) Eval(ctx context.Context, expr string, result any) error {
	var rep struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	err := p.b.Call(ctx, p.session, "Runtime.evaluate", map[string]any{
		"expression": expr, "awaitPromise": true, "returnByValue": true,
	}, &rep)
	if err != nil {
		return err
	}
	if rep.Exception != nil {
		return fmt.Errorf("JS exception: %s %s", rep.Exception.Text, rep.Exception.Exception.Description)
	}
	if result == nil {
		return nil
	}
	if len(rep.Result.Value) == 0 {
		return errors.New("JS expression has no value")
	}
	return json.Unmarshal(rep.Result.Value, result)
}

// Cookie is a cookie as the browser stores it.
type Cookie struct {
	Name     string  `json:"name"`
	Value    string  `json:"value"`
	Domain   string  `json:"domain"`
	Path     string  `json:"path"`
	Expires  float64 `json:"expires"`
	HTTPOnly bool    `json:"httpOnly"`
	Secure   bool    `json:"secure"`
	SameSite string  `json:"sameSite"`
}

// Cookies returns every cookie the browser holds, httpOnly ones included.
func (b *Browser) Cookies(ctx context.Context) (map[string]Cookie, error) {
	var rep struct {
		Cookies []Cookie `json:"cookies"`
	}
	if err := b.Call(ctx, "", "Storage.getCookies", nil, &rep); err != nil {
		return nil, err
	}
	m := make(map[string]Cookie, len(rep.Cookies))
	for _, c := range rep.Cookies {
		m[c.Name] = c
	}
	return m, nil
}

// checkNoSurvivors fails the test when any process still names the
// profile dir on its command line: a Chromium child that left the process
// group. Those found are killed.
func checkNoSurvivors(t testing.TB, profile string) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		var left []int
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if err == nil && bytes.Contains(cmdline, []byte(profile)) {
				left = append(left, pid)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, pid := range left {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			t.Errorf("chromium processes %v survived the test", left)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
