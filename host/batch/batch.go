// Package batch shares plugin round trips between concurrent requests:
// IsBlacklisted calls to one blacklist store and LookupUser calls to one
// user store that arrive while an earlier one is on the wire are sent
// together, as one IsBlacklistedMany or LookupUsers call, as soon as the
// wire is free.
//
// There is no coalescing window: a call that finds nothing in flight goes
// out at once, alone, so a quiet jwtd pays no latency for batching; under
// load the calls that queue behind one round trip share the next, so the
// boundary costs a fraction of a call per request (about one call per
// round-trip time, whatever the request rate).
//
// It wraps an endpoint's connection (wire.Endpoint.With), below the
// in-memory views and above metrics, so jwtd_plugin_calls_total counts the
// batched calls as they cross. A plugin that does not serve the batch
// methods (built with an SDK before them: UNIMPLEMENTED) is called one by
// one from then on.
package batch

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	blackliststorev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/blackliststore/v1"
	userstorev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/userstore/v1"
	"github.com/jwtd/jwtd/sdk/wire"
)

// MaxBatch bounds one batched call.
const MaxBatch = 256

// Wrap returns e with concurrent IsBlacklisted (blacklist store) or
// LookupUser (user store) calls batched. Other calls pass through.
func Wrap(e wire.Endpoint) wire.Endpoint {
	b := &batcher{kind: e.Kind()}
	return e.With(b.intercept)
}

type pending struct {
	ctx   context.Context
	req   any
	reply any
	done  chan error
}

type batcher struct {
	kind     string
	disabled atomic.Bool

	mu       sync.Mutex
	inflight bool
	queue    []*pending
}

func (b *batcher) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoke grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	switch req.(type) {
	case *blackliststorev1.IsBlacklistedRequest, *userstorev1.LookupUserRequest:
	default:
		return invoke(ctx, method, req, reply, cc, opts...)
	}
	if b.disabled.Load() {
		return invoke(ctx, method, req, reply, cc, opts...)
	}
	b.mu.Lock()
	if !b.inflight {
		// Nothing on the wire: go at once, alone.
		b.inflight = true
		b.mu.Unlock()
		err := invoke(ctx, method, req, reply, cc, opts...)
		b.next(method, cc, invoke, opts)
		return err
	}
	p := &pending{ctx: ctx, req: req, reply: reply, done: make(chan error, 1)}
	b.queue = append(b.queue, p)
	b.mu.Unlock()
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		// The batch goes on without this caller; its answer is dropped.
		return wire.FromStatus(b.kind, status.FromContextError(ctx.Err()).Err())
	}
}

// next hands what queued meanwhile to a sender, or marks the wire free.
func (b *batcher) next(method string, cc *grpc.ClientConn, invoke grpc.UnaryInvoker, opts []grpc.CallOption) {
	b.mu.Lock()
	if len(b.queue) == 0 {
		b.inflight = false
		b.mu.Unlock()
		return
	}
	b.mu.Unlock()
	go b.drain(method, cc, invoke, opts)
}

// drain sends the queue in batches until it is empty.
func (b *batcher) drain(method string, cc *grpc.ClientConn, invoke grpc.UnaryInvoker, opts []grpc.CallOption) {
	for {
		b.mu.Lock()
		n := min(len(b.queue), MaxBatch)
		if n == 0 {
			b.inflight = false
			b.mu.Unlock()
			return
		}
		q := b.queue[:n:n]
		b.queue = b.queue[n:]
		b.mu.Unlock()
		b.send(method, q, cc, invoke, opts)
	}
}

// send makes one batched call for q and answers each caller.
func (b *batcher) send(method string, q []*pending, cc *grpc.ClientConn, invoke grpc.UnaryInvoker, opts []grpc.CallOption) {
	// Callers that gave up are left out.
	live := q[:0]
	for _, p := range q {
		if p.ctx.Err() == nil {
			live = append(live, p)
		}
	}
	if len(live) == 0 {
		return
	}
	if len(live) == 1 || b.disabled.Load() {
		for _, p := range live {
			p.done <- invoke(p.ctx, method, p.req, p.reply, cc, opts...)
		}
		return
	}
	// The batch runs for every caller in it: no one caller's context may
	// cancel it (each still stops waiting on its own); the plugin host's
	// call timeout bounds it.
	ctx := context.WithoutCancel(live[0].ctx)
	var err error
	switch live[0].req.(type) {
	case *blackliststorev1.IsBlacklistedRequest:
		err = b.sendBlacklist(ctx, method, live, cc, invoke, opts)
	case *userstorev1.LookupUserRequest:
		err = b.sendLookups(ctx, method, live, cc, invoke, opts)
	}
	if errors.Is(err, errors.ErrUnsupported) {
		// A plugin without the batch methods: one by one from now on.
		b.disabled.Store(true)
		for _, p := range live {
			p.done <- invoke(p.ctx, method, p.req, p.reply, cc, opts...)
		}
		return
	}
	if err != nil {
		for _, p := range live {
			p.done <- err
		}
	}
}

func batchMethod(method, name string) string {
	return method[:len(method)-len(wire.Method(method))] + name
}

func (b *batcher) sendBlacklist(ctx context.Context, method string, q []*pending, cc *grpc.ClientConn, invoke grpc.UnaryInvoker, opts []grpc.CallOption) error {
	req := &blackliststorev1.IsBlacklistedManyRequest{Jtis: make([]string, len(q))}
	for i, p := range q {
		req.Jtis[i] = p.req.(*blackliststorev1.IsBlacklistedRequest).GetJti()
	}
	resp := &blackliststorev1.IsBlacklistedManyResponse{}
	if err := invoke(ctx, batchMethod(method, "IsBlacklistedMany"), req, resp, cc, opts...); err != nil {
		return err
	}
	if len(resp.GetBlacklisted()) != len(q) {
		return &wire.RemoteError{Kind: b.kind, Msg: "IsBlacklistedMany answered a different number of results"}
	}
	for i, p := range q {
		p.reply.(*blackliststorev1.IsBlacklistedResponse).Blacklisted = resp.GetBlacklisted()[i]
		p.done <- nil
	}
	return nil
}

func (b *batcher) sendLookups(ctx context.Context, method string, q []*pending, cc *grpc.ClientConn, invoke grpc.UnaryInvoker, opts []grpc.CallOption) error {
	req := &userstorev1.LookupUsersRequest{Lookups: make([]*userstorev1.LookupUserRequest, len(q))}
	for i, p := range q {
		req.Lookups[i] = p.req.(*userstorev1.LookupUserRequest)
	}
	resp := &userstorev1.LookupUsersResponse{}
	if err := invoke(ctx, batchMethod(method, "LookupUsers"), req, resp, cc, opts...); err != nil {
		return err
	}
	if len(resp.GetResults()) != len(q) {
		return &wire.RemoteError{Kind: b.kind, Msg: "LookupUsers answered a different number of results"}
	}
	for i, p := range q {
		r := resp.GetResults()[i]
		if c := codes.Code(r.GetCode()); c != codes.OK {
			p.done <- wire.FromStatus(b.kind, status.Error(c, r.GetMessage()))
			continue
		}
		p.reply.(*userstorev1.UserResponse).User = r.GetUser()
		p.done <- nil
	}
	return nil
}
