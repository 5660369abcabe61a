package pluginhost

import (
	"context"
	"errors"
	"time"

	"google.golang.org/grpc"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/wire"
)

// binding is one kind of one process as the host's caller sees it: a
// connection on which every call gets the process's current connection
// (failing fast with sdk.ErrUnavailable while the process is down) and a
// deadline. It wraps the transport, not the sdk methods, so every method
// of every kind is supervised by this one Invoke.
type binding struct {
	p       *proc
	kind    string
	name    string
	timeout time.Duration
}

// Invoke implements grpc.ClientConnInterface. A transport failure also
// wakes the supervisor, so a dead process is noticed by the first call
// that meets it rather than at the next tick.
func (b *binding) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	conn, err := b.p.get(b.kind, b.name)
	if err != nil {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	err = conn.Invoke(cctx, method, args, reply, opts...)
	if err != nil && errors.Is(wire.FromStatus(b.kind, err), sdk.ErrUnavailable) && ctx.Err() == nil {
		b.p.poke()
	}
	return err
}

// NewStream implements grpc.ClientConnInterface for a store's change feed
// (Watch): on the process's current connection, without a deadline (a feed
// lasts as long as its caller's context). A process that dies ends the
// stream with an error; the caller watches again, which fails fast with
// sdk.ErrUnavailable until the supervisor has restarted the process.
func (b *binding) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	conn, err := b.p.get(b.kind, b.name)
	if err != nil {
		return nil, err
	}
	cs, err := conn.NewStream(ctx, desc, method, opts...)
	if err != nil && ctx.Err() == nil {
		b.p.poke()
	}
	return cs, err
}
