package daemon_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jwtd/jwtd/host/builtin"
	"github.com/jwtd/jwtd/host/config"
	"github.com/jwtd/jwtd/host/daemon"
	"github.com/jwtd/jwtd/host/httpapi"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
)

// lookupCounter is the memory store with its LookupUser calls counted.
type lookupCounter struct {
	*memory.UserStore
	n atomic.Int64
}

func (c *lookupCounter) LookupUser(ctx context.Context, field, value string) (sdk.User, error) {
	c.n.Add(1)
	return c.UserStore.LookupUser(ctx, field, value)
}

// TestUserStoreCacheEndToEnd runs the HTTP API over daemon.Build with and
// without [plugins.user_store] cache_ttl: the cache saves the store round
// trips of repeated authenticate requests; a deactivation through jwtd's own
// user admin (what the CLI uses) is seen at once either way; one made behind
// jwtd's back is seen at once without the cache and after the TTL with it,
// while refresh always sees it at once.
func TestUserStoreCacheEndToEnd(t *testing.T) {
	cases := []struct {
		name          string
		cacheLine     string
		throughJWTD   bool // deactivate through st.Users, else in the store directly
		wantAfter     int  // authenticate status after the deactivation
		wantSavedHits bool // repeated authenticates skip the store
	}{
		{"no cache, through jwtd", "", true, http.StatusUnauthorized, false},
		{"no cache, behind jwtd", "", false, http.StatusUnauthorized, false},
		{"cache, through jwtd", "cache_ttl = \"1m\"\n", true, http.StatusUnauthorized, true},
		{"cache, behind jwtd: stale for up to the ttl", "cache_ttl = \"1m\"\n", false, http.StatusOK, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			store := &lookupCounter{UserStore: memory.NewUserStore()}
			reg := builtin.Default()
			reg.UserStores["counted"] = func(context.Context, sdk.Config) (sdk.UserStore, error) { return store, nil }
			text := strings.Replace(memoryConfig, "use = \"memory\"\n", "use = \"counted\"\n"+tc.cacheLine, 1)
			cfg, err := config.Load(writeConfig(t, text), config.Options{NoKeyGeneration: true})
			if err != nil {
				t.Fatal(err)
			}
			st, err := daemon.Build(ctx, cfg, daemon.BuildOptions{Registry: reg})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			admin, ok := sdk.As[sdk.UserAdmin](st.Users)
			if !ok {
				t.Fatal("stack's user store lost UserAdmin")
			}
			if _, err := admin.CreateUser(ctx, sdk.NewUser{Username: "alice", Password: "pw-123456", IsActive: true}); err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(httpapi.New(st.Service, httpapi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
			defer srv.Close()
			pair, err := st.Service.Obtain(ctx, sdk.Credentials{"username": "alice", "password": "pw-123456"})
			if err != nil {
				t.Fatal(err)
			}
			authenticate := func() int {
				req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/authenticate", nil)
				req.Header.Set("Authorization", "Bearer "+pair.Access)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp.StatusCode
			}
			refresh := func() int {
				resp, err := http.Post(srv.URL+"/api/token/refresh/", "application/json", strings.NewReader(fmt.Sprintf(`{"refresh": %q}`, pair.Refresh)))
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp.StatusCode
			}

			if code := refresh(); code != http.StatusOK {
				t.Fatalf("refresh of an active user: %d", code)
			}
			before := store.n.Load()
			for i := range 5 {
				if code := authenticate(); code != http.StatusOK {
					t.Fatalf("authenticate %d: %d", i, code)
				}
			}
			calls := store.n.Load() - before
			if saved := calls < 5; saved != tc.wantSavedHits {
				t.Fatalf("5 authenticates made %d store lookups; cache in effect = %v, want %v", calls, saved, tc.wantSavedHits)
			}

			if tc.throughJWTD {
				err = admin.SetActive(ctx, "alice", false)
			} else {
				err = store.SetActive(ctx, "alice", false)
			}
			if err != nil {
				t.Fatal(err)
			}
			if code := authenticate(); code != tc.wantAfter {
				t.Fatalf("authenticate after deactivation: %d, want %d", code, tc.wantAfter)
			}
			if code := refresh(); code == http.StatusOK {
				t.Fatal("refresh accepted a deactivated user: its user re-check must not be cached")
			}
		})
	}
}
