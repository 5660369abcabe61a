package daemon

import (
	"context"
	"testing"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
)

// flakyFields is a user store whose login field is "email" and whose first
// LoginFields call fails, as a plugin still starting would.
type flakyFields struct {
	sdk.UserStore
	calls int
}

func (f *flakyFields) LoginFields(context.Context) ([]string, error) {
	f.calls++
	if f.calls == 1 {
		return nil, sdk.ErrUnavailable
	}
	return []string{"email", "password"}, nil
}

// TestLoginFieldAsksAgain: a store that cannot answer at first does not
// leave the per-username limit reading the wrong field for good; once it
// answers, the answer is kept.
func TestLoginFieldAsksAgain(t *testing.T) {
	ctx := context.Background()
	store := &flakyFields{UserStore: memory.NewUserStore()}
	s := core.DefaultSettings()
	s.SigningKey = "daemon-internal-test-secret-0123456789abcdef"
	svc, err := core.New(s, core.Plugins{Users: store})
	if err != nil {
		t.Fatal(err)
	}
	f := &loginField{svc: svc}
	got := []string{f.get(ctx), f.get(ctx), f.get(ctx)}
	if got[0] != "username" || got[1] != "email" || got[2] != "email" {
		t.Fatalf("login field over three requests = %v, want [username email email]", got)
	}
	if store.calls != 2 {
		t.Errorf("LoginFields called %d times, want 2 (kept once known)", store.calls)
	}
}
