package wire

import (
	"context"
	"testing"

	"github.com/jwtd/jwtd/sdk"
)

// BenchmarkInMemoryTransport is the cost of one AuthRule.Allow through the
// gRPC client and server with no process boundary (an in-memory
// connection, no TLS): encoding, decoding and gRPC's own work. The
// out-of-process figure in host/pluginhost adds the socket, TLS and the
// scheduling of a second process.
func BenchmarkInMemoryTransport(b *testing.B) {
	conn := pairB(b, Set{AuthRule: func(context.Context, sdk.Config) (sdk.AuthRule, error) { return failingRule{}, nil }})
	c := AuthRule(NewEndpoint(KindAuthRule, conn, nil))
	ctx := context.Background()
	if _, err := Configure(ctx, KindAuthRule, conn, nil); err != nil {
		b.Fatal(err)
	}
	u := sdk.User{ID: "1", Username: "alice", IsActive: true, Attributes: map[string]any{"email": "a@example.com"}}
	for b.Loop() {
		if ok, err := c.Allow(ctx, u); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
