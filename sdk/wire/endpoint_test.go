package wire_test

import (
	"context"
	"io"
	"testing"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
	"github.com/jwtd/jwtd/sdk/wire"
)

// bareBlacklist and bareUsers hide every optional interface of what they
// embed.
type bareBlacklist struct{ sdk.BlacklistStore }
type bareUsers struct{ sdk.UserStore }

// closingRule has an extra the protocol does not carry (io.Closer).
type closingRule struct{ closed bool }

func (*closingRule) Allow(context.Context, sdk.User) (bool, error) { return true, nil }
func (r *closingRule) Close() error                                { r.closed = true; return nil }

// TestCapabilitiesFollowTheImplementation: the host's view of a plugin
// offers exactly the optional interfaces its implementation has, found
// with sdk.As, with no wrapper type per combination.
func TestCapabilitiesFollowTheImplementation(t *testing.T) {
	local := func(kind string, impl any) wire.Endpoint {
		t.Helper()
		e, err := wire.Local(kind, impl)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	cases := []struct {
		name string
		got  func() bool
		want bool
	}{
		{"user admin", func() bool {
			_, ok := sdk.As[sdk.UserAdmin](wire.UserStore(local(wire.KindUserStore, memory.NewUserStore())))
			return ok
		}, true},
		{"no user admin", func() bool {
			_, ok := sdk.As[sdk.UserAdmin](wire.UserStore(local(wire.KindUserStore, bareUsers{memory.NewUserStore()})))
			return ok
		}, false},
		{"login failures", func() bool {
			_, ok := sdk.As[sdk.LoginFailureStore](wire.BlacklistStore(local(wire.KindBlacklistStore, memory.NewBlacklistStore())))
			return ok
		}, true},
		{"no login failures", func() bool {
			_, ok := sdk.As[sdk.LoginFailureStore](wire.BlacklistStore(local(wire.KindBlacklistStore, bareBlacklist{memory.NewBlacklistStore()})))
			return ok
		}, false},
		{"sessions", func() bool {
			_, ok := sdk.As[sdk.SessionStore](wire.BlacklistStore(local(wire.KindBlacklistStore, memory.NewBlacklistStore())))
			return ok
		}, true},
		{"no sessions", func() bool {
			_, ok := sdk.As[sdk.SessionStore](wire.BlacklistStore(local(wire.KindBlacklistStore, bareBlacklist{memory.NewBlacklistStore()})))
			return ok
		}, false},
		{"an in-process extra", func() bool {
			_, ok := sdk.As[io.Closer](wire.AuthRule(local(wire.KindAuthRule, &closingRule{})))
			return ok
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.got(); got != tc.want {
				t.Fatalf("found = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestLoginFailuresThroughTheAdapters: the capability's calls reach the
// store and its answers come back.
func TestLoginFailuresThroughTheAdapters(t *testing.T) {
	ctx := context.Background()
	e, err := wire.Local(wire.KindBlacklistStore, memory.NewBlacklistStore())
	if err != nil {
		t.Fatal(err)
	}
	f, _ := sdk.As[sdk.LoginFailureStore](wire.BlacklistStore(e))
	for want := 1; want <= 2; want++ {
		c, err := f.AddLoginFailure(ctx, "k", 60e9)
		if err != nil || c.Count != want || c.ResetIn <= 0 || c.ResetIn > 60e9 {
			t.Fatalf("AddLoginFailure #%d = %+v, %v", want, c, err)
		}
	}
	if err := f.ClearLoginFailures(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	if c, err := f.LoginFailures(ctx, "k"); err != nil || c.Count != 0 {
		t.Fatalf("LoginFailures after clear = %+v, %v", c, err)
	}
}

// TestLocalRefusesTheWrongKind: Local checks the implementation against
// the kind.
func TestLocalRefusesTheWrongKind(t *testing.T) {
	if _, err := wire.Local(wire.KindUserStore, memory.NewBlacklistStore()); err == nil {
		t.Fatal("a blacklist store accepted as a user store")
	}
	if _, err := wire.Local("token_minter", nil); err == nil {
		t.Fatal("an unknown kind accepted")
	}
}
