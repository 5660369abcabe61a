package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/jwtd/jwtd/sdk"
	authrulev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/authrule/v1"
	blackliststorev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/blackliststore/v1"
	claimserializerv1 "github.com/jwtd/jwtd/sdk/proto/jwtd/claimserializer/v1"
	commonv1 "github.com/jwtd/jwtd/sdk/proto/jwtd/common/v1"
	userstorev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/userstore/v1"
)

// Capabilities a configured implementation may report.
const (
	// CapUserAdmin: the user store implements sdk.UserAdmin.
	CapUserAdmin = "user_admin"
	// CapPing: the implementation implements sdk.Pinger.
	CapPing = "ping"
	// CapLoginFailures: the blacklist store implements
	// sdk.LoginFailureStore.
	CapLoginFailures = "login_failures"
	// CapSessions: the blacklist store implements sdk.SessionStore.
	CapSessions = "sessions"
	// CapChangeFeed: the store implements sdk.ChangeFeed (Watch).
	CapChangeFeed = "change_feed"
	// CapSessionFeed: the store's change feed carries its sessions
	// (sdk.SessionFeed reporting true).
	CapSessionFeed = "session_feed"
	// CapBatch: the plugin serves the batch methods (LookupUsers,
	// IsBlacklistedMany). Every plugin built with this SDK does, whatever
	// its implementation, since the server adapter loops over the single
	// method; the host batches concurrent calls only when it is reported.
	CapBatch = "batch"
)

// slot holds the implementation a kind's factory built at Configure. The
// host configures once after every start of the process; a second Configure
// replaces (and closes) the first implementation.
type slot[T any] struct {
	kind    string
	factory sdk.Factory[T]

	mu   sync.RWMutex
	impl T
	set  bool
}

func (s *slot[T]) configure(ctx context.Context, req *commonv1.ConfigureRequest) (*commonv1.ConfigureResponse, error) {
	cfg, err := decodeObject(req.GetConfigJson())
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, fmt.Sprintf("%v: config: %v", sdk.ErrInvalidConfig, err))
	}
	if cfg == nil {
		cfg = map[string]any{}
	}
	impl, err := s.factory(ctx, sdk.Config(cfg))
	if err != nil {
		// A factory's error is a config problem unless it says otherwise
		// (a database that cannot be reached is ErrUnavailable).
		if !errors.Is(err, sdk.ErrUnavailable) && !errors.Is(err, sdk.ErrInvalidConfig) {
			err = fmt.Errorf("%w: %w", sdk.ErrInvalidConfig, err)
		}
		return nil, ToStatus(err)
	}
	s.mu.Lock()
	old, hadOld := s.impl, s.set
	s.impl, s.set = impl, true
	s.mu.Unlock()
	if hadOld {
		closeImpl(old)
	}
	return &commonv1.ConfigureResponse{Capabilities: Capabilities(impl)}, nil
}

// Capabilities lists the optional sdk interfaces impl implements, by the
// names a Configure reply carries. The host builds its view of a plugin
// from this list, in process and out of process alike.
func Capabilities(impl any) []string {
	var caps []string
	for _, c := range capabilityChecks {
		if c.has(impl) {
			caps = append(caps, c.name)
		}
	}
	return caps
}

// capabilityChecks is the one table of optional interfaces that cross the
// boundary; the client side offers each through Capability.
var capabilityChecks = []struct {
	name string
	has  func(any) bool
}{
	{CapUserAdmin, func(v any) bool { _, ok := v.(sdk.UserAdmin); return ok }},
	{CapPing, func(v any) bool { _, ok := v.(sdk.Pinger); return ok }},
	{CapLoginFailures, func(v any) bool { _, ok := v.(sdk.LoginFailureStore); return ok }},
	{CapSessions, func(v any) bool { _, ok := v.(sdk.SessionStore); return ok }},
	{CapChangeFeed, func(v any) bool { _, ok := v.(sdk.ChangeFeed); return ok }},
	{CapSessionFeed, func(v any) bool { f, ok := v.(sdk.SessionFeed); return ok && f.SessionsInFeed() }},
	{CapBatch, func(v any) bool {
		_, us := v.(sdk.UserStore)
		_, bs := v.(sdk.BlacklistStore)
		return us || bs
	}},
}

// get returns the configured implementation, or FailedPrecondition, which
// the host reads as "unavailable" (fail closed) rather than a plugin bug.
func (s *slot[T]) get() (T, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.set {
		var zero T
		return zero, status.Error(codes.FailedPrecondition, s.kind+" not configured")
	}
	return s.impl, nil
}

func (s *slot[T]) ping(ctx context.Context) (*commonv1.PingResponse, error) {
	impl, err := s.get()
	if err != nil {
		return nil, err
	}
	if p, ok := any(impl).(sdk.Pinger); ok {
		if err := p.Ping(ctx); err != nil {
			return nil, ToStatus(err)
		}
	}
	return &commonv1.PingResponse{}, nil
}

// close closes the implementation if it is an io.Closer, at shutdown.
func (s *slot[T]) close() {
	s.mu.Lock()
	impl, set := s.impl, s.set
	var zero T
	s.impl, s.set = zero, false
	s.mu.Unlock()
	if set {
		closeImpl(impl)
	}
}

func closeImpl(impl any) {
	if c, ok := impl.(io.Closer); ok {
		_ = c.Close()
	}
}

// common is every kind's server of Configure and Ping, written once.
type common[T any] struct {
	slot *slot[T]
}

// Configure builds the kind's implementation from its config table.
func (c common[T]) Configure(ctx context.Context, req *commonv1.ConfigureRequest) (*commonv1.ConfigureResponse, error) {
	return c.slot.configure(ctx, req)
}

// Ping answers while the process runs and, when the implementation is an
// sdk.Pinger, what stands behind it does too.
func (c common[T]) Ping(ctx context.Context, _ *commonv1.PingRequest) (*commonv1.PingResponse, error) {
	return c.slot.ping(ctx)
}

// The generated forward-compatibility methods sit one level below common's
// Configure and Ping in each server, which therefore win.
type (
	unimplementedUserStore struct {
		userstorev1.UnimplementedUserStoreServer
	}
	unimplementedBlacklistStore struct {
		blackliststorev1.UnimplementedBlacklistStoreServer
	}
	unimplementedAuthRule struct {
		authrulev1.UnimplementedAuthRuleServer
	}
	unimplementedClaimSerializer struct {
		claimserializerv1.UnimplementedClaimSerializerServer
	}
)

// optional returns a getter of the configured implementation as its
// optional interface O, which answers UNIMPLEMENTED (errors.ErrUnsupported
// on the host) when the implementation lacks it.
func optional[O, T any](sl *slot[T], lacks string) func() (O, error) {
	return func() (O, error) {
		var zero O
		impl, err := sl.get()
		if err != nil {
			return zero, err
		}
		o, ok := any(impl).(O)
		if !ok {
			return zero, status.Errorf(codes.Unimplemented, "%s (no %s)", lacks, strings.TrimPrefix(fmt.Sprintf("%T", (*O)(nil)), "*"))
		}
		return o, nil
	}
}

// malformed marks a wire value that could not be decoded or encoded: call
// reports it as codes.Unknown with its own message, not through toStatus,
// because it is a transport fault whatever it wraps.
type malformed struct{ error }

// call is the shape of every unary method: get the implementation (its
// error is already a status, such as FailedPrecondition when the plugin is
// not configured yet), run fn on it, and map fn's error to a status with
// toStatus so the host sees the sdk sentinel it wraps. On an error the reply
// is always nil, whatever fn returned with it.
func call[T any, R any](get func() (T, error), fn func(T) (R, error)) (R, error) {
	var zero R
	impl, err := get()
	if err != nil {
		return zero, err
	}
	reply, err := fn(impl)
	if m, ok := err.(malformed); ok {
		return zero, status.Error(codes.Unknown, m.Error())
	}
	if err != nil {
		return zero, ToStatus(err)
	}
	return reply, nil
}

// userStoreServer serves sdk.UserStore (and sdk.UserAdmin when the
// implementation has it).
type userStoreServer struct {
	common[sdk.UserStore]
	unimplementedUserStore
}

func (s *userStoreServer) LoginFields(ctx context.Context, _ *userstorev1.LoginFieldsRequest) (*userstorev1.LoginFieldsResponse, error) {
	return call(s.slot.get, func(impl sdk.UserStore) (*userstorev1.LoginFieldsResponse, error) {
		fields, err := impl.LoginFields(ctx)
		if err != nil {
			return nil, err
		}
		return &userstorev1.LoginFieldsResponse{Fields: fields}, nil
	})
}

// userReply turns a user store's answer into its reply; call maps the
// error.
func userReply(u sdk.User, err error) (*userstorev1.UserResponse, error) {
	if err != nil {
		return nil, err
	}
	p, err := userToProto(u, withHash)
	if err != nil {
		return nil, err
	}
	return &userstorev1.UserResponse{User: p}, nil
}

func (s *userStoreServer) Authenticate(ctx context.Context, req *userstorev1.AuthenticateRequest) (*userstorev1.UserResponse, error) {
	return call(s.slot.get, func(impl sdk.UserStore) (*userstorev1.UserResponse, error) {
		creds := sdk.Credentials(req.GetCredentials())
		if creds == nil {
			creds = sdk.Credentials{}
		}
		return userReply(impl.Authenticate(ctx, creds))
	})
}

func (s *userStoreServer) LookupUser(ctx context.Context, req *userstorev1.LookupUserRequest) (*userstorev1.UserResponse, error) {
	return call(s.slot.get, func(impl sdk.UserStore) (*userstorev1.UserResponse, error) {
		return userReply(impl.LookupUser(ctx, req.GetField(), req.GetValue()))
	})
}

// LookupUsers answers each lookup as LookupUser would, in order, in one
// round trip.
func (s *userStoreServer) LookupUsers(ctx context.Context, req *userstorev1.LookupUsersRequest) (*userstorev1.LookupUsersResponse, error) {
	return call(s.slot.get, func(impl sdk.UserStore) (*userstorev1.LookupUsersResponse, error) {
		out := &userstorev1.LookupUsersResponse{Results: make([]*userstorev1.LookupResult, len(req.GetLookups()))}
		for i, l := range req.GetLookups() {
			r, err := userReply(impl.LookupUser(ctx, l.GetField(), l.GetValue()))
			if m, ok := err.(malformed); ok {
				err = status.Error(codes.Unknown, m.Error())
			}
			st := status.Convert(ToStatus(err))
			out.Results[i] = &userstorev1.LookupResult{User: r.GetUser(), Code: int32(st.Code()), Message: st.Message()}
		}
		return out, nil
	})
}

// Watch streams the store's changes (sdk.ChangeFeed).
func (s *userStoreServer) Watch(req *commonv1.WatchRequest, stream grpc.ServerStreamingServer[commonv1.Change]) error {
	return watch(optional[sdk.ChangeFeed](s.slot, "this user store has no change feed"), stream)
}

func (s *userStoreServer) RecordLogin(ctx context.Context, req *userstorev1.RecordLoginRequest) (*userstorev1.RecordLoginResponse, error) {
	return call(s.slot.get, func(impl sdk.UserStore) (*userstorev1.RecordLoginResponse, error) {
		return &userstorev1.RecordLoginResponse{}, impl.RecordLogin(ctx, req.GetUserId(), fromTimestamp(req.GetAt()))
	})
}

func (s *userStoreServer) CreateUser(ctx context.Context, req *userstorev1.CreateUserRequest) (*userstorev1.UserResponse, error) {
	return call(optional[sdk.UserAdmin](s.slot, "this user store cannot manage users"), func(a sdk.UserAdmin) (*userstorev1.UserResponse, error) {
		attrs, err := decodeObject(req.GetAttributesJson())
		if err != nil {
			return nil, malformed{err}
		}
		return userReply(a.CreateUser(ctx, sdk.NewUser{
			Username: req.GetUsername(), Password: req.GetPassword(), IsActive: req.GetIsActive(), Attributes: attrs,
		}))
	})
}

func (s *userStoreServer) SetPassword(ctx context.Context, req *userstorev1.SetPasswordRequest) (*userstorev1.SetPasswordResponse, error) {
	return call(optional[sdk.UserAdmin](s.slot, "this user store cannot manage users"), func(a sdk.UserAdmin) (*userstorev1.SetPasswordResponse, error) {
		return &userstorev1.SetPasswordResponse{}, a.SetPassword(ctx, req.GetUsername(), req.GetPassword())
	})
}

func (s *userStoreServer) SetActive(ctx context.Context, req *userstorev1.SetActiveRequest) (*userstorev1.SetActiveResponse, error) {
	return call(optional[sdk.UserAdmin](s.slot, "this user store cannot manage users"), func(a sdk.UserAdmin) (*userstorev1.SetActiveResponse, error) {
		return &userstorev1.SetActiveResponse{}, a.SetActive(ctx, req.GetUsername(), req.GetActive())
	})
}

// blacklistStoreServer serves sdk.BlacklistStore.
type blacklistStoreServer struct {
	common[sdk.BlacklistStore]
	unimplementedBlacklistStore
}

func recordFromProto(p *blackliststorev1.TokenRecord) sdk.TokenRecord {
	return sdk.TokenRecord{
		JTI:       p.GetJti(),
		UserID:    p.GetUserId(),
		TokenType: p.GetTokenType(),
		IssuedAt:  fromTimestamp(p.GetIssuedAt()),
		ExpiresAt: fromTimestamp(p.GetExpiresAt()),
	}
}

func recordToProto(t sdk.TokenRecord) *blackliststorev1.TokenRecord {
	return &blackliststorev1.TokenRecord{
		Jti:       t.JTI,
		UserId:    t.UserID,
		TokenType: t.TokenType,
		IssuedAt:  toTimestamp(t.IssuedAt),
		ExpiresAt: toTimestamp(t.ExpiresAt),
	}
}

func (s *blacklistStoreServer) AddOutstanding(ctx context.Context, req *blackliststorev1.TokenRecordRequest) (*blackliststorev1.AddOutstandingResponse, error) {
	return call(s.slot.get, func(impl sdk.BlacklistStore) (*blackliststorev1.AddOutstandingResponse, error) {
		return &blackliststorev1.AddOutstandingResponse{}, impl.AddOutstanding(ctx, recordFromProto(req.GetRecord()))
	})
}

func (s *blacklistStoreServer) Blacklist(ctx context.Context, req *blackliststorev1.TokenRecordRequest) (*blackliststorev1.BlacklistResponse, error) {
	return call(s.slot.get, func(impl sdk.BlacklistStore) (*blackliststorev1.BlacklistResponse, error) {
		added, err := impl.Blacklist(ctx, recordFromProto(req.GetRecord()))
		return &blackliststorev1.BlacklistResponse{Added: added}, err
	})
}

func (s *blacklistStoreServer) IsBlacklisted(ctx context.Context, req *blackliststorev1.IsBlacklistedRequest) (*blackliststorev1.IsBlacklistedResponse, error) {
	return call(s.slot.get, func(impl sdk.BlacklistStore) (*blackliststorev1.IsBlacklistedResponse, error) {
		b, err := impl.IsBlacklisted(ctx, req.GetJti())
		return &blackliststorev1.IsBlacklistedResponse{Blacklisted: b}, err
	})
}

func (s *blacklistStoreServer) FlushExpired(ctx context.Context, req *blackliststorev1.FlushExpiredRequest) (*blackliststorev1.FlushExpiredResponse, error) {
	return call(s.slot.get, func(impl sdk.BlacklistStore) (*blackliststorev1.FlushExpiredResponse, error) {
		n, err := impl.FlushExpired(ctx, fromTimestamp(req.GetNow()))
		return &blackliststorev1.FlushExpiredResponse{Dropped: int64(n)}, err
	})
}

// IsBlacklistedMany answers each jti as IsBlacklisted would, in one round
// trip; the first error fails the batch (the host then fails each caller).
func (s *blacklistStoreServer) IsBlacklistedMany(ctx context.Context, req *blackliststorev1.IsBlacklistedManyRequest) (*blackliststorev1.IsBlacklistedManyResponse, error) {
	return call(s.slot.get, func(impl sdk.BlacklistStore) (*blackliststorev1.IsBlacklistedManyResponse, error) {
		out := &blackliststorev1.IsBlacklistedManyResponse{Blacklisted: make([]bool, len(req.GetJtis()))}
		for i, jti := range req.GetJtis() {
			b, err := impl.IsBlacklisted(ctx, jti)
			if err != nil {
				return nil, err
			}
			out.Blacklisted[i] = b
		}
		return out, nil
	})
}

// Watch streams the store's changes (sdk.ChangeFeed).
func (s *blacklistStoreServer) Watch(req *commonv1.WatchRequest, stream grpc.ServerStreamingServer[commonv1.Change]) error {
	return watch(optional[sdk.ChangeFeed](s.slot, "this blacklist store has no change feed"), stream)
}

// watch runs the implementation's feed on one server stream: every change
// becomes one message, and the stream's end (the host hanging up) ends the
// feed's context.
func watch(get func() (sdk.ChangeFeed, error), stream grpc.ServerStreamingServer[commonv1.Change]) error {
	f, err := get()
	if err != nil {
		return err
	}
	ctx := stream.Context()
	err = f.Watch(ctx, func(c sdk.Change) error { return stream.Send(ChangeToProto(c)) })
	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}
	if err == nil {
		err = fmt.Errorf("%w: change feed ended", sdk.ErrUnavailable)
	}
	return ToStatus(err)
}

// ChangeToProto and ChangeFromProto convert a feed's change for the wire.
func ChangeToProto(c sdk.Change) *commonv1.Change {
	return &commonv1.Change{
		Kind: int32(c.Kind), At: toTimestamp(c.At), Jti: c.JTI, UserId: c.UserID,
		SessionId: c.SessionID, NotBefore: toTimestamp(c.NotBefore), ExpiresAt: toTimestamp(c.ExpiresAt),
	}
}

// ChangeFromProto is ChangeToProto's inverse.
func ChangeFromProto(p *commonv1.Change) sdk.Change {
	return sdk.Change{
		Kind: sdk.ChangeKind(p.GetKind()), At: fromTimestamp(p.GetAt()), JTI: p.GetJti(), UserID: p.GetUserId(),
		SessionID: p.GetSessionId(), NotBefore: fromTimestamp(p.GetNotBefore()), ExpiresAt: fromTimestamp(p.GetExpiresAt()),
	}
}

func countToProto(c sdk.LoginFailureCount, err error) (*blackliststorev1.LoginFailureCount, error) {
	return &blackliststorev1.LoginFailureCount{Count: int64(c.Count), ResetIn: durationpb.New(c.ResetIn)}, err
}

func (s *blacklistStoreServer) AddLoginFailure(ctx context.Context, req *blackliststorev1.AddLoginFailureRequest) (*blackliststorev1.LoginFailureCount, error) {
	return call(optional[sdk.LoginFailureStore](s.slot, "this blacklist store cannot share failed-login counters"), func(f sdk.LoginFailureStore) (*blackliststorev1.LoginFailureCount, error) {
		return countToProto(f.AddLoginFailure(ctx, req.GetKey(), req.GetWindow().AsDuration()))
	})
}

func (s *blacklistStoreServer) LoginFailures(ctx context.Context, req *blackliststorev1.LoginFailuresRequest) (*blackliststorev1.LoginFailureCount, error) {
	return call(optional[sdk.LoginFailureStore](s.slot, "this blacklist store cannot share failed-login counters"), func(f sdk.LoginFailureStore) (*blackliststorev1.LoginFailureCount, error) {
		return countToProto(f.LoginFailures(ctx, req.GetKey()))
	})
}

func (s *blacklistStoreServer) ClearLoginFailures(ctx context.Context, req *blackliststorev1.ClearLoginFailuresRequest) (*blackliststorev1.ClearLoginFailuresResponse, error) {
	return call(optional[sdk.LoginFailureStore](s.slot, "this blacklist store cannot share failed-login counters"), func(f sdk.LoginFailureStore) (*blackliststorev1.ClearLoginFailuresResponse, error) {
		return &blackliststorev1.ClearLoginFailuresResponse{}, f.ClearLoginFailures(ctx, req.GetKey())
	})
}

const noSessions = "this blacklist store keeps no sessions"

func sessionToProto(v sdk.Session) *blackliststorev1.Session {
	return &blackliststorev1.Session{
		Id: v.ID, UserId: v.UserID,
		CreatedAt: toTimestamp(v.CreatedAt), LastUsedAt: toTimestamp(v.LastUsedAt), ExpiresAt: toTimestamp(v.ExpiresAt),
		ClientAddr: v.ClientAddr, UserAgent: v.UserAgent, Revoked: v.Revoked,
	}
}

func sessionFromProto(p *blackliststorev1.Session) sdk.Session {
	return sdk.Session{
		ID: p.GetId(), UserID: p.GetUserId(),
		CreatedAt: fromTimestamp(p.GetCreatedAt()), LastUsedAt: fromTimestamp(p.GetLastUsedAt()), ExpiresAt: fromTimestamp(p.GetExpiresAt()),
		ClientAddr: p.GetClientAddr(), UserAgent: p.GetUserAgent(), Revoked: p.GetRevoked(),
	}
}

func (s *blacklistStoreServer) CreateSession(ctx context.Context, req *blackliststorev1.CreateSessionRequest) (*blackliststorev1.CreateSessionResponse, error) {
	return call(optional[sdk.SessionStore](s.slot, noSessions), func(ss sdk.SessionStore) (*blackliststorev1.CreateSessionResponse, error) {
		return &blackliststorev1.CreateSessionResponse{}, ss.CreateSession(ctx, sessionFromProto(req.GetSession()), req.GetFirst())
	})
}

func (s *blacklistStoreServer) RotateSession(ctx context.Context, req *blackliststorev1.RotateSessionRequest) (*blackliststorev1.RotateSessionResponse, error) {
	return call(optional[sdk.SessionStore](s.slot, noSessions), func(ss sdk.SessionStore) (*blackliststorev1.RotateSessionResponse, error) {
		r, err := ss.RotateSession(ctx, req.GetUserId(), req.GetId(), req.GetParent(), req.GetChild(), fromTimestamp(req.GetNow()))
		return &blackliststorev1.RotateSessionResponse{
			Outcome: int32(r.Outcome), ConsumedAt: toTimestamp(r.ConsumedAt), Child: r.Child, ChildConsumed: r.ChildConsumed,
		}, err
	})
}

func (s *blacklistStoreServer) RevokeSession(ctx context.Context, req *blackliststorev1.RevokeSessionRequest) (*blackliststorev1.RevokeSessionResponse, error) {
	return call(optional[sdk.SessionStore](s.slot, noSessions), func(ss sdk.SessionStore) (*blackliststorev1.RevokeSessionResponse, error) {
		ok, err := ss.RevokeSession(ctx, req.GetUserId(), req.GetId())
		return &blackliststorev1.RevokeSessionResponse{Revoked: ok}, err
	})
}

func (s *blacklistStoreServer) RevokeUserSessions(ctx context.Context, req *blackliststorev1.RevokeUserSessionsRequest) (*blackliststorev1.RevokeUserSessionsResponse, error) {
	return call(optional[sdk.SessionStore](s.slot, noSessions), func(ss sdk.SessionStore) (*blackliststorev1.RevokeUserSessionsResponse, error) {
		n, err := ss.RevokeUserSessions(ctx, req.GetUserId(), fromTimestamp(req.GetNotBefore()))
		return &blackliststorev1.RevokeUserSessionsResponse{Revoked: int64(n)}, err
	})
}

func (s *blacklistStoreServer) Sessions(ctx context.Context, req *blackliststorev1.SessionsRequest) (*blackliststorev1.SessionsResponse, error) {
	return call(optional[sdk.SessionStore](s.slot, noSessions), func(ss sdk.SessionStore) (*blackliststorev1.SessionsResponse, error) {
		list, err := ss.Sessions(ctx, req.GetUserId(), fromTimestamp(req.GetNow()))
		resp := &blackliststorev1.SessionsResponse{}
		for _, v := range list {
			resp.Sessions = append(resp.Sessions, sessionToProto(v))
		}
		return resp, err
	})
}

func (s *blacklistStoreServer) SessionState(ctx context.Context, req *blackliststorev1.SessionStateRequest) (*blackliststorev1.SessionStateResponse, error) {
	return call(optional[sdk.SessionStore](s.slot, noSessions), func(ss sdk.SessionStore) (*blackliststorev1.SessionStateResponse, error) {
		st, err := ss.SessionState(ctx, req.GetUserId(), req.GetId(), fromTimestamp(req.GetNow()))
		return &blackliststorev1.SessionStateResponse{Revoked: st.Revoked, NotBefore: toTimestamp(st.NotBefore)}, err
	})
}

// authRuleServer serves sdk.AuthRule.
type authRuleServer struct {
	common[sdk.AuthRule]
	unimplementedAuthRule
}

func (s *authRuleServer) Allow(ctx context.Context, req *authrulev1.AllowRequest) (*authrulev1.AllowResponse, error) {
	return call(s.slot.get, func(impl sdk.AuthRule) (*authrulev1.AllowResponse, error) {
		u, err := userFromProto(req.GetUser())
		if err != nil {
			return nil, malformed{err}
		}
		ok, err := impl.Allow(ctx, u)
		return &authrulev1.AllowResponse{Allowed: ok}, err
	})
}

// claimSerializerServer serves sdk.ClaimSerializer.
type claimSerializerServer struct {
	common[sdk.ClaimSerializer]
	unimplementedClaimSerializer
}

// objectReply turns a serializer's object into its reply; call maps the
// serializer's error, and an object that cannot be encoded is malformed.
func objectReply(m map[string]any, err error) (*claimserializerv1.JSONObjectResponse, error) {
	if err != nil {
		return nil, err
	}
	b, err := encodeObject(m)
	if err != nil {
		return nil, malformed{err}
	}
	return &claimserializerv1.JSONObjectResponse{ObjectJson: b}, nil
}

func (s *claimSerializerServer) TokenClaims(ctx context.Context, req *claimserializerv1.TokenClaimsRequest) (*claimserializerv1.JSONObjectResponse, error) {
	return call(s.slot.get, func(impl sdk.ClaimSerializer) (*claimserializerv1.JSONObjectResponse, error) {
		u, err := userFromProto(req.GetUser())
		if err != nil {
			return nil, malformed{err}
		}
		return objectReply(impl.TokenClaims(ctx, u, req.GetTokenType()))
	})
}

func (s *claimSerializerServer) ResponseFields(ctx context.Context, req *claimserializerv1.ResponseFieldsRequest) (*claimserializerv1.JSONObjectResponse, error) {
	return call(s.slot.get, func(impl sdk.ClaimSerializer) (*claimserializerv1.JSONObjectResponse, error) {
		u, err := userFromProto(req.GetUser())
		if err != nil {
			return nil, malformed{err}
		}
		return objectReply(impl.ResponseFields(ctx, u))
	})
}

func (s *claimSerializerServer) TokenUser(ctx context.Context, req *claimserializerv1.TokenUserRequest) (*claimserializerv1.JSONObjectResponse, error) {
	return call(s.slot.get, func(impl sdk.ClaimSerializer) (*claimserializerv1.JSONObjectResponse, error) {
		claims, err := decodeObject(req.GetClaimsJson())
		if err != nil {
			return nil, malformed{err}
		}
		return objectReply(impl.TokenUser(ctx, claims))
	})
}
