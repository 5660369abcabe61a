package memory_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

func TestUserStore(t *testing.T) {
	ctx := context.Background()
	s := memory.NewUserStore()
	alice, err := s.CreateUser(ctx, sdk.NewUser{Username: "alice", Password: "pw1", IsActive: true, Attributes: map[string]any{"email": "a@example.com", "n": 7}})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := s.CreateUser(ctx, sdk.NewUser{Username: "bob", Password: "pw2"})
	if err != nil {
		t.Fatal(err)
	}
	if alice.ID != "1" || bob.ID != "2" {
		t.Fatalf("ids = %q, %q; want sequential 1, 2", alice.ID, bob.ID)
	}
	if !strings.HasPrefix(alice.PasswordHash, "sha256$") || strings.Count(alice.PasswordHash, "$") != 2 {
		t.Fatalf("hash form %q", alice.PasswordHash)
	}
	if _, err := s.CreateUser(ctx, sdk.NewUser{Username: "alice"}); !errors.Is(err, sdk.ErrUserExists) {
		t.Fatalf("duplicate create: %v", err)
	}
	fields, _ := s.LoginFields(ctx)
	if fmt.Sprint(fields) != "[username password]" {
		t.Fatalf("login fields %v", fields)
	}

	authCases := []struct {
		name, user, pw string
		wantID         string
	}{
		{"right password", "alice", "pw1", "1"},
		{"inactive user still authenticates", "bob", "pw2", "2"},
		{"wrong password", "alice", "pw2", ""},
		{"unknown user", "carol", "pw1", ""},
		{"empty", "", "", ""},
	}
	for _, c := range authCases {
		t.Run("authenticate/"+c.name, func(t *testing.T) {
			u, err := s.Authenticate(ctx, sdk.Credentials{"username": c.user, "password": c.pw})
			if c.wantID == "" {
				if !errors.Is(err, sdk.ErrInvalidCredentials) {
					t.Fatalf("err = %v, want ErrInvalidCredentials", err)
				}
				return
			}
			if err != nil || u.ID != c.wantID {
				t.Fatalf("got %v, %v", u.ID, err)
			}
		})
	}

	lookupCases := []struct {
		name, field, value, wantID string
	}{
		{"by id", "id", "2", "2"},
		{"by username", "username", "alice", "1"},
		{"by attribute", "email", "a@example.com", "1"},
		{"by integer attribute", "n", "7", "1"},
		{"unknown id", "id", "99", ""},
		{"non-numeric id", "id", "abc", ""},
		{"unknown attribute", "nope", "x", ""},
	}
	for _, c := range lookupCases {
		t.Run("lookup/"+c.name, func(t *testing.T) {
			u, err := s.LookupUser(ctx, c.field, c.value)
			if c.wantID == "" {
				if !errors.Is(err, sdk.ErrUserNotFound) {
					t.Fatalf("err = %v, want ErrUserNotFound", err)
				}
				return
			}
			if err != nil || u.ID != c.wantID {
				t.Fatalf("got %v, %v", u.ID, err)
			}
		})
	}

	old := alice.PasswordHash
	if err := s.SetPassword(ctx, "alice", "pw1"); err != nil {
		t.Fatal(err)
	}
	u, _ := s.LookupUser(ctx, "id", "1")
	if u.PasswordHash == old {
		t.Fatal("SetPassword kept the same hash; revoke claim would not change")
	}
	if _, err := s.Authenticate(ctx, sdk.Credentials{"username": "alice", "password": "pw1"}); err != nil {
		t.Fatalf("after SetPassword: %v", err)
	}
	if err := s.SetActive(ctx, "alice", false); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.LookupUser(ctx, "id", "1"); u.IsActive {
		t.Fatal("SetActive(false) ignored")
	}
	at := time.Unix(1700000000, 0)
	if err := s.RecordLogin(ctx, "1", at); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.LookupUser(ctx, "id", "1"); !u.LastLogin.Equal(at) {
		t.Fatalf("LastLogin = %v", u.LastLogin)
	}
	for _, err := range []error{
		s.SetPassword(ctx, "zed", "x"), s.SetActive(ctx, "zed", true), s.RecordLogin(ctx, "99", at), s.DeleteUser(ctx, "zed"),
	} {
		if !errors.Is(err, sdk.ErrUserNotFound) {
			t.Fatalf("unknown user: %v", err)
		}
	}
	if err := s.DeleteUser(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LookupUser(ctx, "id", "2"); !errors.Is(err, sdk.ErrUserNotFound) {
		t.Fatalf("deleted user found: %v", err)
	}
	// Returned users are copies: mutating one must not change the store.
	u, _ = s.LookupUser(ctx, "id", "1")
	u.Attributes["email"] = "x"
	if u2, _ := s.LookupUser(ctx, "id", "1"); u2.Attributes["email"] != "a@example.com" {
		t.Fatal("store shares attribute map with callers")
	}
}

func TestBlacklistStoreAtomic(t *testing.T) {
	ctx := context.Background()
	b := memory.NewBlacklistStore()
	rec := sdk.TokenRecord{JTI: "j1", UserID: "1", TokenType: "refresh", ExpiresAt: time.Unix(2000, 0)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	added := 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := b.Blacklist(ctx, rec)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				added++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if added != 1 {
		t.Fatalf("%d concurrent Blacklist calls added; want exactly 1", added)
	}
	if ok, _ := b.IsBlacklisted(ctx, "j1"); !ok {
		t.Fatal("j1 not blacklisted")
	}
	if ok, _ := b.IsBlacklisted(ctx, "j2"); ok {
		t.Fatal("j2 blacklisted")
	}
	if err := b.AddOutstanding(ctx, sdk.TokenRecord{JTI: "j2", ExpiresAt: time.Unix(500, 0)}); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.Outstanding("j2"); !ok {
		t.Fatal("outstanding not recorded")
	}
	if o, bl := b.Counts(); o != 1 || bl != 1 {
		t.Fatalf("Counts = %d outstanding, %d blacklisted; want 1, 1", o, bl)
	}
	n, err := b.FlushExpired(ctx, time.Unix(1000, 0))
	if err != nil || n != 1 {
		t.Fatalf("flush = %d, %v; want 1 (only j2 expired)", n, err)
	}
	if _, ok := b.Outstanding("j2"); ok {
		t.Fatal("expired outstanding kept")
	}
	n, _ = b.FlushExpired(ctx, time.Unix(3000, 0))
	if n != 1 {
		t.Fatalf("second flush = %d, want 1", n)
	}
	if ok, _ := b.IsBlacklisted(ctx, "j1"); ok {
		t.Fatal("flushed entry still blacklisted")
	}
	if o, bl := b.Counts(); o != 0 || bl != 0 {
		t.Fatalf("Counts after flush = %d, %d; want 0, 0", o, bl)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.IsBlacklisted(cctx, "j1"); !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("cancelled ctx: %v", err)
	}
}

func ExampleNewUserStore() {
	ctx := context.Background()
	users := memory.NewUserStore()
	_, _ = users.CreateUser(ctx, sdk.NewUser{Username: "alice", Password: "s3cret", IsActive: true})
	u, err := users.Authenticate(ctx, sdk.Credentials{"username": "alice", "password": "s3cret"})
	fmt.Println(u.ID, u.Username, err)
	// Output: 1 alice <nil>
}

func ExampleNewBlacklistStore() {
	ctx := context.Background()
	bl := memory.NewBlacklistStore()
	rec := sdk.TokenRecord{JTI: "abc", ExpiresAt: time.Now().Add(time.Hour)}
	first, _ := bl.Blacklist(ctx, rec)
	second, _ := bl.Blacklist(ctx, rec)
	fmt.Println(first, second)
	// Output: true false
}

func TestImport(t *testing.T) {
	ctx := context.Background()
	s := memory.NewUserStore()
	cases := []struct {
		name    string
		in      sdk.User
		wantID  string
		wantErr error
	}{
		{"explicit id keeps hash", sdk.User{ID: "5", Username: "a", PasswordHash: "pbkdf2_sha256$1$x$y", IsActive: true}, "5", nil},
		{"next id follows highest", sdk.User{Username: "b"}, "6", nil},
		{"taken username", sdk.User{Username: "a"}, "", sdk.ErrUserExists},
		{"taken id", sdk.User{ID: "5", Username: "c"}, "", sdk.ErrUserExists},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u, err := s.Import(ctx, c.in)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("err = %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil || u.ID != c.wantID {
				t.Fatalf("got %q, %v; want id %q", u.ID, err, c.wantID)
			}
			got, _ := s.LookupUser(ctx, "id", c.wantID)
			if got.PasswordHash != c.in.PasswordHash {
				t.Fatalf("hash %q, want %q kept", got.PasswordHash, c.in.PasswordHash)
			}
		})
	}
}

func TestLoginFailureStoreConformance(t *testing.T) {
	sdktest.TestLoginFailureStore(t, func(*testing.T) sdk.LoginFailureStore { return memory.NewBlacklistStore() })
}

func TestLoginFailureStoreBounded(t *testing.T) {
	ctx := context.Background()
	s := memory.NewLoginFailureStore(2, nil)
	for _, k := range []string{"a", "b", "a", "c"} {
		if _, err := s.AddLoginFailure(ctx, k, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if s.Len() != 2 {
		t.Fatalf("Len = %d; want 2", s.Len())
	}
	// "b" was used least recently when "c" arrived: it is the one forgotten.
	for k, want := range map[string]int{"a": 2, "b": 0, "c": 1} {
		if got, _ := s.LoginFailures(ctx, k); got.Count != want {
			t.Errorf("%s: count %d; want %d", k, got.Count, want)
		}
	}
}

func TestSessionStoreConformance(t *testing.T) {
	sdktest.TestSessionStore(t, func(*testing.T) sdk.SessionStore { return memory.NewBlacklistStore() })
}
