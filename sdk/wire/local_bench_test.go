package wire_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
	"github.com/jwtd/jwtd/sdk/wire"
)

// allowRule allows every user; what it costs is the call, not the rule.
type allowRule struct{}

func (allowRule) Allow(context.Context, sdk.User) (bool, error) { return true, nil }

// pass is an interceptor that only passes the call on.
func pass(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoke grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	return invoke(ctx, method, req, reply, cc, opts...)
}

// BenchmarkLocal measures the hottest in-process calls of jwtd's request
// path twice: the implementation called directly, and through wire.Local
// (client adapter, connection, server adapter) as jwtd runs built-ins.
// The ratio of the two lines is what the seam costs in process.
func BenchmarkLocal(b *testing.B) {
	ctx := context.Background()
	users := memory.NewUserStore()
	for _, attrs := range []struct {
		name string
		m    map[string]any
	}{{"no-attributes", nil}, {"attributes", map[string]any{"email": "a@example.com", "level": int64(3)}}} {
		u, err := users.CreateUser(ctx, sdk.NewUser{Username: "alice-" + attrs.name, Password: "pw", IsActive: true, Attributes: attrs.m})
		if err != nil {
			b.Fatal(err)
		}
		ue, err := wire.Local(wire.KindUserStore, users)
		if err != nil {
			b.Fatal(err)
		}
		re, err := wire.Local(wire.KindAuthRule, allowRule{})
		if err != nil {
			b.Fatal(err)
		}
		for _, tg := range []struct {
			name string
			us   sdk.UserStore
			rule sdk.AuthRule
		}{
			{"direct", users, allowRule{}},
			{"local", wire.UserStore(ue), wire.AuthRule(re)},
			// Two pass-through interceptors, as metrics and the user cache
			// add in jwtd.
			{"local+2-interceptors", wire.UserStore(ue.With(pass, pass)), wire.AuthRule(re.With(pass, pass))},
		} {
			b.Run("LookupUser/"+attrs.name+"/"+tg.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := tg.us.LookupUser(ctx, "id", u.ID); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("Allow/"+attrs.name+"/"+tg.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if ok, err := tg.rule.Allow(ctx, u); err != nil || !ok {
						b.Fatal(ok, err)
					}
				}
			})
		}
	}
}
