package httpapi_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // to read the stores' file directly

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/host/httpapi"
	"github.com/jwtd/jwtd/internal/attacks"
)

// The attack suite (RFC 8725, OWASP's JWT cheat sheet): every hostile
// token, body and header from internal/attacks is sent to the running HTTP
// API over real SQLite stores, and each must be refused with the right 4xx
// and a JSON body, never a 2xx where the attack must fail and never a 5xx,
// without any outbound request (jku/x5u point at a canary server) and
// without writing any store.

// attackServer is an env served the way jwtd serves it (the server's header
// limit above the API's own), with a canary for outbound fetches.
type attackServer struct {
	*env
	url    string
	client *http.Client
	hits   *atomic.Int64
	canary string
	db     *sql.DB
}

func newAttackServer(t *testing.T, toml string) *attackServer {
	t.Helper()
	e := newEnvWith(t, toml, nil)
	srv := httptest.NewUnstartedServer(e.api)
	srv.Config.MaxHeaderBytes = httpapi.ServerMaxHeaderBytes(0)
	srv.Start()
	t.Cleanup(srv.Close)
	hits := &atomic.Int64{}
	canary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"keys":[]}`)
	}))
	t.Cleanup(canary.Close)
	dbPath := filepath.Join(filepath.Dir(e.stack.Config.Path), "jwtd.db")
	db, err := sql.Open("sqlite3", "file:"+dbPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	client := srv.Client()
	client.Timeout = 30 * time.Second
	return &attackServer{env: e, url: srv.URL, client: client, hits: hits, canary: canary.URL + "/jwks.json", db: db}
}

// storeTables are every table the SQLite user and blacklist stores write.
var storeTables = []string{"jwtd_users", "jwtd_outstanding_tokens", "jwtd_blacklisted_tokens"}

// snapshot is a digest of every row of every store table, with row counts
// for the failure message.
func (s *attackServer) snapshot(t *testing.T) string {
	t.Helper()
	h := sha256.New()
	var counts []string
	for _, table := range storeTables {
		rows, err := s.db.Query("SELECT * FROM " + table + " ORDER BY 1")
		if err != nil {
			t.Fatalf("reading %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		n := 0
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(h, "%s%q\n", table, vals)
			n++
		}
		rows.Close()
		counts = append(counts, fmt.Sprintf("%s=%d", table, n))
	}
	return strings.Join(counts, " ") + " " + hex.EncodeToString(h.Sum(nil))[:16]
}

// attackRequest is one hostile request. raw requests hold bytes Go's client
// will not send (NUL, CR, LF in a header), so they go straight into the
// handler, as a server would hand them over if a proxy let them through.
type attackRequest struct {
	method, path, ctype string
	body                []byte
	auth                string
	header              map[string]string
	raw                 bool
}

type attackAnswer struct {
	status  int
	ctype   string
	wwwAuth string
	body    []byte
	elapsed time.Duration
}

func (s *attackServer) send(t *testing.T, r attackRequest) attackAnswer {
	t.Helper()
	start := time.Now()
	if r.raw {
		req := httptest.NewRequest(r.method, r.path, strings.NewReader(string(r.body)))
		if r.ctype != "" {
			req.Header.Set("Content-Type", r.ctype)
		}
		if r.auth != "" {
			req.Header["Authorization"] = []string{r.auth}
		}
		rec := httptest.NewRecorder()
		s.api.ServeHTTP(rec, req)
		return attackAnswer{rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("WWW-Authenticate"), rec.Body.Bytes(), time.Since(start)}
	}
	req, err := http.NewRequest(r.method, s.url+r.path, strings.NewReader(string(r.body)))
	if err != nil {
		t.Fatal(err)
	}
	if r.ctype != "" {
		req.Header.Set("Content-Type", r.ctype)
	}
	if r.auth != "" {
		req.Header.Set("Authorization", r.auth)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return attackAnswer{resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("WWW-Authenticate"), body, time.Since(start)}
}

// headerDetails are the 401 details of an Authorization header that does
// not even hold one token (DRF's and Simple JWT's header checks).
var headerDetails = []string{core.ErrBadAuthHeader.Detail, core.ErrNotAuthenticated.Detail}

// tokenDetails are the 401 details a refused token may carry: Simple JWT's
// token errors and, for the user layers, its user errors.
var (
	tokenDetails = []string{
		core.ErrTokenInvalid.Detail, core.ErrTokenExpired.Detail, core.ErrTokenWrongType.Detail,
		core.ErrTokenNoID.Detail, core.ErrTokenNoType.Detail, core.ErrTokenNoExp.Detail,
		core.ErrTokenBlacklisted.Detail, core.ErrNoValidTokenType.Detail, core.ErrNoUserClaim.Detail,
	}
	userDetails = []string{
		core.ErrUserNotFound.Detail, core.ErrUserInactive.Detail, core.ErrNoActiveAccountForToken.Detail,
	}
)

// checkRefusal asserts a JSON 4xx in Simple JWT's shape: 400 with field
// errors, 401 with a known detail (token_not_valid for token-level layers)
// and WWW-Authenticate, 413 or 431 with a detail.
func checkRefusal(t *testing.T, a attackAnswer, layer attacks.Layer, extra []string, statuses ...int) {
	t.Helper()
	if !slices.Contains(statuses, a.status) {
		t.Fatalf("status %d, want one of %v: %.200s", a.status, statuses, a.body)
	}
	if !strings.HasPrefix(a.ctype, "application/json") {
		t.Fatalf("Content-Type %q: %.200s", a.ctype, a.body)
	}
	var m map[string]any
	if err := json.Unmarshal(a.body, &m); err != nil || len(m) == 0 {
		t.Fatalf("body is not a JSON object: %.200q", a.body)
	}
	detail, _ := m["detail"].(string)
	switch a.status {
	case http.StatusUnauthorized:
		if a.wwwAuth == "" {
			t.Error("401 without WWW-Authenticate")
		}
		allowed := append(slices.Clone(tokenDetails), extra...)
		if layer == attacks.LayerUserClaim || layer == attacks.LayerUserLookup {
			allowed = append(allowed, userDetails...)
		}
		if !slices.Contains(allowed, detail) {
			t.Errorf("401 detail %q is not one of Simple JWT's for the %s layer", detail, layer)
		}
		if slices.Contains(tokenDetails, detail) && m["code"] != "token_not_valid" {
			t.Errorf("401 %q with code %v, want token_not_valid", detail, m["code"])
		}
	case http.StatusBadRequest:
		if detail == "" {
			// Field errors: every value a list of messages.
			for k, v := range m {
				if l, ok := v.([]any); !ok || len(l) == 0 {
					t.Errorf("400 field %q is %v, not a list of messages", k, v)
				}
			}
		}
	case http.StatusRequestEntityTooLarge, http.StatusRequestHeaderFieldsTooLarge:
		if detail == "" {
			t.Errorf("%d without a detail: %s", a.status, a.body)
		}
	}
}

// tokenEndpoint is how a token reaches each endpoint.
type tokenEndpoint struct {
	ep attacks.Endpoint
	// name names the subtests when the endpoint is not ep's own path (ep
	// then says which refusals apply).
	name string
	typ  string // the token type the endpoint takes
	send func(tok string) attackRequest
	// details are 401 details this endpoint may give beyond the token ones.
	details []string
}

func bodyWith(path, field string) func(string) attackRequest {
	return func(tok string) attackRequest {
		b, _ := json.Marshal(map[string]string{field: tok})
		return attackRequest{method: http.MethodPost, path: path, ctype: "application/json", body: b}
	}
}

func headerWith(path string) func(string) attackRequest {
	return func(tok string) attackRequest {
		// Go's client refuses control bytes in a header value.
		raw := strings.ContainsAny(tok, "\x00\r\n\x7f")
		return attackRequest{method: http.MethodGet, path: path, auth: "Bearer " + tok, raw: raw}
	}
}

var tokenEndpoints = []tokenEndpoint{
	{attacks.Verify, "", "access", bodyWith(verifyPath, "token"), nil},
	{attacks.Refresh, "", "refresh", bodyWith(refreshPath, "refresh"), nil},
	{attacks.Blacklist, "", "refresh", bodyWith(blPath, "refresh"), nil},
	{attacks.SlidingRefresh, "", "sliding", bodyWith(slRefPath, "token"), nil},
	// A token with a space or a newline in it splits the header into more
	// than two values: DRF's header error, still a 401.
	{attacks.Authenticate, "", "access", headerWith(authPath), headerDetails},
	{attacks.Stateless, "", "access", headerWith(statePath), headerDetails},
	// Forward-auth (user mode) authenticates exactly as authenticate does.
	{attacks.Authenticate, "forward-auth", "access", headerWith(forwardAuthPath), headerDetails},
}

// TestAttackTokens: every hostile token on every endpoint that takes one,
// under HS256 and under RS256 (where the HS/RS confusion cases sign with
// the public key).
func TestAttackTokens(t *testing.T) {
	type scenario struct {
		name string
		toml string
		opts attacks.Options
	}
	rsaKey, rsaTOML := rsaConfig(t)
	scenarios := []scenario{
		{"HS256", configText("", ""), attacks.Options{Alg: "HS256", SigningKey: []byte(testSecret)}},
		{"RS256", rsaTOML, attacks.Options{Alg: "RS256", SigningKey: rsaKey}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			s := newAttackServer(t, sc.toml)
			for _, te := range tokenEndpoints {
				o := sc.opts
				o.TokenType, o.UserID, o.CanaryURL = te.typ, s.users["alice"].ID, s.canary
				if te.typ == "sliding" {
					o.ExtraClaims = map[string]any{"refresh_exp": time.Now().Add(24 * time.Hour).Unix()}
				}
				// The control token must pass, or every refusal below
				// proves nothing.
				valid, err := attacks.Valid(o)
				if err != nil {
					t.Fatal(err)
				}
				if a := s.send(t, te.send(valid)); a.status != http.StatusOK {
					t.Fatalf("%s refuses the control token: %d %s", te.ep, a.status, a.body)
				}
				cases, err := attacks.Tokens(o)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range cases {
					name := string(te.ep)
					if te.name != "" {
						name = te.name
					}
					t.Run(name+"/"+c.Name, func(t *testing.T) {
						before := s.snapshot(t)
						a := s.send(t, te.send(c.Token))
						if a.status >= 500 {
							t.Fatalf("%d (server error) for %s [%s]: %.200s", a.status, c.Name, c.Ref, a.body)
						}
						if c.MustReject(te.ep) {
							if a.status < 400 {
								t.Fatalf("accepted (%d) %s [%s], layer %s: %.200s", a.status, c.Name, c.Ref, c.Layer, a.body)
							}
							checkRefusal(t, a, c.Layer, te.details, 400, 401, 413, 431)
						}
						if a.status >= 400 {
							if after := s.snapshot(t); after != before {
								t.Fatalf("refused with %d but the stores changed: %s -> %s", a.status, before, after)
							}
						}
					})
				}
			}
			if n := s.hits.Load(); n != 0 {
				t.Fatalf("jwtd made %d outbound request(s) to the jku/x5u canary", n)
			}
		})
	}
}

// rsaConfig is an RS256 jwtd.toml with a fresh key pair in files.
func rsaConfig(t *testing.T) (*rsa.PrivateKey, string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	priv := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: must(x509.MarshalPKCS8PrivateKey(key))})
	pub := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: must(x509.MarshalPKIXPublicKey(&key.PublicKey))})
	privPath, pubPath := filepath.Join(dir, "private.pem"), filepath.Join(dir, "public.pem")
	if err := os.WriteFile(privPath, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pubPath, pub, 0o600); err != nil {
		t.Fatal(err)
	}
	toml := strings.Replace(configText("", ""), `signing_key = "`+testSecret+`"`,
		fmt.Sprintf("algorithm = \"RS256\"\nsigning_key = %q\nverifying_key = %q", "file:"+privPath, "file:"+pubPath), 1)
	return key, toml
}

// TestAttackBodies: hostile bodies on every endpoint that reads one (10 MB,
// deep JSON, NUL bytes, 1 MB fields, wrong JSON types, duplicate keys, wrong
// media types) get 400, 401, 413 or 415 with a JSON body, write nothing, and
// never succeed, though each is built around valid credentials or a valid
// token.
func TestAttackBodies(t *testing.T) {
	s := newAttackServer(t, configText("", ""))
	login := map[string]string{"username": "alice", "password": "alice-password-1"}
	pair := s.pair("alice")
	// Wrong credentials of the right shape are Simple JWT's login failure.
	loginFailed := []string{core.ErrNoActiveAccount.Detail}
	endpoints := []struct {
		name, path string
		fields     map[string]string
		details    []string
	}{
		{"obtain", obtainPath, login, loginFailed},
		{"sliding", slidingPath, login, loginFailed},
		{"refresh", refreshPath, map[string]string{"refresh": pair.Refresh}, nil},
		{"verify", verifyPath, map[string]string{"token": pair.Access}, nil},
		{"blacklist", blPath, map[string]string{"refresh": pair.Refresh}, nil},
		{"sliding refresh", slRefPath, map[string]string{"token": s.sliding("alice")}, nil},
	}
	for _, ep := range endpoints {
		for _, bc := range attacks.Bodies(ep.fields) {
			t.Run(ep.name+"/"+bc.Name, func(t *testing.T) {
				before := s.snapshot(t)
				a := s.send(t, attackRequest{method: http.MethodPost, path: ep.path, ctype: bc.ContentType, body: bc.Body})
				checkRefusal(t, a, attacks.LayerToken, ep.details, 400, 401, 413, 415)
				if after := s.snapshot(t); after != before {
					t.Fatalf("the stores changed: %s -> %s", before, after)
				}
			})
		}
	}
	// A password of about 1 MB in a body under the body cap: refused by the
	// length check before any hashing, so quickly.
	t.Run("obtain/1 MB password under the body cap", func(t *testing.T) {
		before := s.snapshot(t)
		body, _ := json.Marshal(map[string]string{"username": "alice", "password": strings.Repeat("p", 1000_000)})
		a := s.send(t, attackRequest{method: http.MethodPost, path: obtainPath, ctype: "application/json", body: body})
		checkRefusal(t, a, attacks.LayerToken, nil, 400)
		if a.elapsed > 2*time.Second {
			t.Errorf("took %v: the password was hashed?", a.elapsed)
		}
		if after := s.snapshot(t); after != before {
			t.Fatalf("the stores changed: %s -> %s", before, after)
		}
	})
}

// TestAttackHeaders: hostile Authorization values on both authenticate
// endpoints get 400/401/431 with a JSON body; a 64 KB header of any name
// gets the API's JSON 431.
func TestAttackHeaders(t *testing.T) {
	s := newAttackServer(t, configText("", ""))
	access := s.pair("alice").Access
	for _, path := range []string{authPath, statePath, forwardAuthPath} {
		if a := s.send(t, attackRequest{method: http.MethodGet, path: path, auth: "Bearer " + access}); a.status != http.StatusOK {
			t.Fatalf("%s refuses the control header: %d %s", path, a.status, a.body)
		}
		for _, hc := range attacks.AuthHeaders(access) {
			t.Run(path+"/"+hc.Name, func(t *testing.T) {
				before := s.snapshot(t)
				a := s.send(t, attackRequest{method: http.MethodGet, path: path, auth: hc.Value, raw: hc.Raw})
				checkRefusal(t, a, attacks.LayerToken, headerDetails, 400, 401, 431)
				if after := s.snapshot(t); after != before {
					t.Fatalf("the stores changed: %s -> %s", before, after)
				}
			})
		}
	}
	cases := []struct {
		name   string
		header map[string]string
		path   string
	}{
		{"64 KB X-Filler on obtain", map[string]string{"X-Filler": strings.Repeat("a", 64<<10)}, obtainPath},
		{"64 KB cookie on authenticate", map[string]string{"Cookie": "c=" + strings.Repeat("a", 64<<10)}, authPath},
		{"64 KB Authorization on stateless", map[string]string{"Authorization": "Bearer " + strings.Repeat("a", 64<<10)}, statePath},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := s.send(t, attackRequest{method: http.MethodPost, path: tc.path, header: tc.header})
			if a.status != http.StatusRequestHeaderFieldsTooLarge || string(a.body) != `{"detail":"Request header fields too large."}` {
				t.Fatalf("%d %q", a.status, a.body)
			}
		})
	}
}
