package wire

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/jwtd/jwtd/sdk"
	commonv1 "github.com/jwtd/jwtd/sdk/proto/jwtd/common/v1"
)

// Endpoint is one kind of one plugin as the host reaches it: a connection
// that carries the kind's gRPC service, with sdk errors mapped from gRPC
// statuses, and the capabilities the plugin reported. The same Endpoint
// shape stands for a plugin process (a supervised connection) and for an
// implementation in process (Local), so whatever wraps an Endpoint's
// connection — deadlines, supervision, metrics, caching — is written once
// for every method and both modes.
type Endpoint struct {
	kind string
	conn grpc.ClientConnInterface
	caps []string
	// impl is the implementation of a Local endpoint, through which
	// sdk.As finds capabilities the protocol does not carry (a store's own
	// extras); nil out of process.
	impl any
}

// NewEndpoint returns kind's endpoint on conn, whose plugin reported caps
// at Configure. Errors of conn become sdk errors (FromStatus) before any
// interceptor added by With sees them.
func NewEndpoint(kind string, conn grpc.ClientConnInterface, caps []string) Endpoint {
	return Endpoint{kind: kind, conn: statusConn{kind, conn}, caps: slices.Clone(caps)}
}

// Kind returns the endpoint's plugin kind.
func (e Endpoint) Kind() string { return e.kind }

// Has reports whether the plugin reported capability c (CapUserAdmin, …).
func (e Endpoint) Has(c string) bool { return slices.Contains(e.caps, c) }

// With returns e with interceptors around its connection, the first
// outermost. An interceptor sees the full gRPC method name
// ("/jwtd.userstore.v1.UserStore/LookupUser", see Method), the request and
// reply messages, and errors already mapped to sdk sentinels; its
// *grpc.ClientConn argument is nil.
func (e Endpoint) With(ics ...grpc.UnaryClientInterceptor) Endpoint {
	for i := len(ics) - 1; i >= 0; i-- {
		e.conn = newInterceptConn(e.conn, ics[i])
	}
	return e
}

// Method splits a full gRPC method name into the service's kind-neutral
// method name: "/jwtd.userstore.v1.UserStore/LookupUser" is "LookupUser".
func Method(fullMethod string) string {
	return fullMethod[strings.LastIndexByte(fullMethod, '/')+1:]
}

// statusConn maps every error to an sdk error.
type statusConn struct {
	kind string
	next grpc.ClientConnInterface
}

func (c statusConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	return FromStatus(c.kind, c.next.Invoke(ctx, method, args, reply, opts...))
}

// NewStream passes streams (a store's Watch) through; their errors are
// mapped by the client adapter that reads them (watchClient).
func (c statusConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	cs, err := c.next.NewStream(ctx, desc, method, opts...)
	return cs, FromStatus(c.kind, err)
}

var errNoStreams = status.Error(codes.Unimplemented, "no streams in process: the host takes an in-process store's sdk.ChangeFeed directly")

// interceptConn runs one interceptor around next.
type interceptConn struct {
	next grpc.ClientConnInterface
	ic   grpc.UnaryClientInterceptor
	// invoke calls next; made once here rather than as a closure per call,
	// which would cost an allocation per interceptor on every call.
	invoke grpc.UnaryInvoker
}

func newInterceptConn(next grpc.ClientConnInterface, ic grpc.UnaryClientInterceptor) *interceptConn {
	return &interceptConn{next: next, ic: ic, invoke: func(ctx context.Context, method string, args, reply any, _ *grpc.ClientConn, opts ...grpc.CallOption) error {
		return next.Invoke(ctx, method, args, reply, opts...)
	}}
}

func (c *interceptConn) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	return c.ic(ctx, method, args, reply, nil, c.invoke, opts...)
}

// NewStream passes streams through: the interceptors of With are unary
// (a stream is one long call, not a request to count or cache).
func (c *interceptConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return c.next.NewStream(ctx, desc, method, opts...)
}

// client is what every kind's client shares: Ping and the capability
// lookup.
type client struct{ Endpoint }

// Ping asks the plugin whether it (and, when it implements sdk.Pinger,
// what stands behind it) can answer.
func (c client) Ping(ctx context.Context) error {
	return Ping(ctx, c.kind, c.conn)
}

// Capability implements sdk.Capable for capabilities the protocol does
// not carry: those of a Local endpoint's implementation.
func (c client) Capability(target any) bool {
	if c.impl == nil {
		return false
	}
	v := reflect.ValueOf(target)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Interface {
		return false
	}
	iv := reflect.ValueOf(c.impl)
	if !iv.Type().Implements(v.Elem().Type()) {
		return false
	}
	v.Elem().Set(iv)
	return true
}

// fullMethod returns kind's gRPC method name, e.g.
// "/jwtd.authrule.v1.AuthRule/Ping".
func fullMethod(kind, method string) string {
	return "/" + services[kind].ServiceName + "/" + method
}

// Ping calls kind's Ping on conn.
func Ping(ctx context.Context, kind string, conn grpc.ClientConnInterface) error {
	return FromStatus(kind, conn.Invoke(ctx, fullMethod(kind, "Ping"), &commonv1.PingRequest{}, &commonv1.PingResponse{}))
}

// Configure hands kind's config table to the plugin on conn and returns the
// capabilities of what its factory built.
func Configure(ctx context.Context, kind string, conn grpc.ClientConnInterface, cfg sdk.Config) ([]string, error) {
	if cfg == nil {
		cfg = sdk.Config{}
	}
	b, err := json.Marshal(map[string]any(cfg))
	if err != nil {
		return nil, fmt.Errorf("%w: config is not JSON-compatible: %v", sdk.ErrInvalidConfig, err)
	}
	resp := &commonv1.ConfigureResponse{}
	if err := conn.Invoke(ctx, fullMethod(kind, "Configure"), &commonv1.ConfigureRequest{ConfigJson: b}, resp); err != nil {
		return nil, FromStatus(kind, err)
	}
	return resp.GetCapabilities(), nil
}

// Local serves impl, an implementation of kind's sdk interface, in process
// through the same server and client adapters as a plugin process, without
// encoding: requests and replies are copied as messages. Values therefore
// reach the host exactly as they would from a process (attributes
// normalised, no password hash for rules and serializers), and the
// interceptors of With apply in both modes. Closing impl stays the
// caller's business.
func Local(kind string, impl any) (Endpoint, error) {
	var sl any
	switch kind {
	case KindUserStore:
		sl = localSlot[sdk.UserStore](kind, impl)
	case KindBlacklistStore:
		sl = localSlot[sdk.BlacklistStore](kind, impl)
	case KindAuthRule:
		sl = localSlot[sdk.AuthRule](kind, impl)
	case KindClaimSerializer:
		sl = localSlot[sdk.ClaimSerializer](kind, impl)
	default:
		return Endpoint{}, fmt.Errorf("unknown plugin kind %q", kind)
	}
	if sl == nil {
		return Endpoint{}, fmt.Errorf("%T does not implement the %s interface", impl, kind)
	}
	lc := localConn{}
	register(lc, kind, sl)
	e := NewEndpoint(kind, lc, Capabilities(impl))
	e.impl = impl
	return e, nil
}

func localSlot[T any](kind string, impl any) any {
	t, ok := impl.(T)
	if !ok {
		return nil
	}
	return &slot[T]{kind: kind, impl: t, set: true}
}

// localConn dispatches calls to registered servers in process. It is a
// grpc.ServiceRegistrar on the server side and a grpc.ClientConnInterface
// on the client side.
type localConn map[string]localMethod

type localMethod struct {
	srv     any
	handler grpc.MethodHandler
}

func (l localConn) RegisterService(desc *grpc.ServiceDesc, srv any) {
	for _, m := range desc.Methods {
		l["/"+desc.ServiceName+"/"+m.MethodName] = localMethod{srv, m.Handler}
	}
}

func (l localConn) Invoke(ctx context.Context, method string, args, reply any, _ ...grpc.CallOption) error {
	m, ok := l[method]
	if !ok {
		return status.Errorf(codes.Unimplemented, "unknown method %s", method)
	}
	in, ok := args.(proto.Message)
	if !ok {
		return errors.New("wire: request is not a protobuf message")
	}
	out, err := m.handler(m.srv, ctx, func(dst any) error {
		proto.Merge(dst.(proto.Message), in)
		return nil
	}, nil)
	if err != nil {
		return err
	}
	proto.Merge(reply.(proto.Message), out.(proto.Message))
	return nil
}

func (l localConn) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, errNoStreams
}
