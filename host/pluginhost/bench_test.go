package pluginhost_test

import (
	"context"
	"testing"
	"time"

	"github.com/jwtd/jwtd/host/pluginhost"
	"github.com/jwtd/jwtd/plugins/defaults"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
	"github.com/jwtd/jwtd/sdk/sdktest"
	"github.com/jwtd/jwtd/sdk/wire"
)

// BenchmarkCall measures one call of each kind's hottest method in process
// (the implementation called directly) and out of process (the same
// implementation in a plugin process, through the Host's proxy: gRPC over
// a Unix socket with mTLS). Compare the two lines of each method for the
// transport's cost.
func BenchmarkCall(b *testing.B) {
	ctx := context.Background()
	h := pluginhost.New(nil)
	defer h.Close()
	spec := pluginhost.Spec{Path: pluginPath("memory")}

	inUsers := memory.NewUserStore()
	outUsers, err := h.UserStore(ctx, spec)
	if err != nil {
		b.Fatal(err)
	}
	inBL := memory.NewBlacklistStore()
	outBL, err := h.BlacklistStore(ctx, spec)
	if err != nil {
		b.Fatal(err)
	}
	inRule, _ := defaults.NewAuthRule(ctx, nil)
	outRule, err := h.AuthRule(ctx, spec)
	if err != nil {
		b.Fatal(err)
	}
	inCS, _ := defaults.NewClaimSerializer(ctx, nil)
	outCS, err := h.ClaimSerializer(ctx, spec)
	if err != nil {
		b.Fatal(err)
	}

	nu := sdk.NewUser{Username: "alice", Password: "pw-123456", IsActive: true, Attributes: map[string]any{"email": "a@example.com"}}
	rec := sdk.TokenRecord{JTI: "jti-1", UserID: "1", TokenType: "refresh", IssuedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}
	claims := map[string]any{"user_id": "1", "token_type": "access", "exp": int64(2000000000), "jti": "abc", "iat": int64(1900000000)}
	user := sdk.User{ID: "1", Username: "alice", IsActive: true, Attributes: map[string]any{"email": "a@example.com"}}

	type target struct {
		name string
		us   sdk.UserStore
		bl   sdk.BlacklistStore
		rule sdk.AuthRule
		cs   sdk.ClaimSerializer
	}
	// A built-in as jwtd runs it: the same implementations behind
	// wire.Local, through the client and server adapters without a process.
	endpoint := func(kind string, impl any) wire.Endpoint {
		e, err := wire.Local(kind, impl)
		if err != nil {
			b.Fatal(err)
		}
		return e
	}
	localUsers := memory.NewUserStore()
	targets := []target{
		{"in-process", inUsers, inBL, inRule, inCS},
		{"local-endpoint", wire.UserStore(endpoint(wire.KindUserStore, localUsers)), wire.BlacklistStore(endpoint(wire.KindBlacklistStore, memory.NewBlacklistStore())),
			wire.AuthRule(endpoint(wire.KindAuthRule, inRule)), wire.ClaimSerializer(endpoint(wire.KindClaimSerializer, inCS))},
		{"out-of-process", outUsers, outBL, outRule, outCS},
	}
	for _, tg := range targets {
		created, err := sdktest.Admin(b, tg.us).CreateUser(ctx, nu)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tg.bl.Blacklist(ctx, rec); err != nil {
			b.Fatal(err)
		}
		b.Run("UserStore.LookupUser/"+tg.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := tg.us.LookupUser(ctx, "id", created.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("BlacklistStore.IsBlacklisted/"+tg.name, func(b *testing.B) {
			for b.Loop() {
				if ok, err := tg.bl.IsBlacklisted(ctx, rec.JTI); err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
		b.Run("AuthRule.Allow/"+tg.name, func(b *testing.B) {
			for b.Loop() {
				if ok, err := tg.rule.Allow(ctx, user); err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
		b.Run("ClaimSerializer.TokenUser/"+tg.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := tg.cs.TokenUser(ctx, claims); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
