package wire

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"google.golang.org/grpc"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/jwtd/jwtd/sdk"
	authrulev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/authrule/v1"
	blackliststorev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/blackliststore/v1"
	claimserializerv1 "github.com/jwtd/jwtd/sdk/proto/jwtd/claimserializer/v1"
	commonv1 "github.com/jwtd/jwtd/sdk/proto/jwtd/common/v1"
	userstorev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/userstore/v1"
)

// The client adapters: one per sdk method, turning the call into its gRPC
// request and the reply back into sdk values. Errors arrive already mapped
// to sdk sentinels (the Endpoint's connection does that), and deadlines,
// supervision, metrics and caching sit on the connection too, so none of
// them is written here again.

// UserStore returns the user store behind e (e's kind must be
// KindUserStore). sdk.As finds sdk.UserAdmin on it when the plugin reported
// CapUserAdmin.
func UserStore(e Endpoint) sdk.UserStore {
	return &userStoreClient{client{e}, userstorev1.NewUserStoreClient(e.conn)}
}

// BlacklistStore returns the blacklist store behind e.
func BlacklistStore(e Endpoint) sdk.BlacklistStore {
	return &blacklistStoreClient{client{e}, blackliststorev1.NewBlacklistStoreClient(e.conn)}
}

// AuthRule returns the authentication rule behind e.
func AuthRule(e Endpoint) sdk.AuthRule {
	return &authRuleClient{client{e}, authrulev1.NewAuthRuleClient(e.conn)}
}

// ClaimSerializer returns the claim serializer behind e.
func ClaimSerializer(e Endpoint) sdk.ClaimSerializer {
	return &claimSerializerClient{client{e}, claimserializerv1.NewClaimSerializerClient(e.conn)}
}

// offer sets *target to v when target points to an O and the plugin has
// the capability.
func offer[O any](target any, has bool, v O) bool {
	t, ok := target.(*O)
	if ok && has {
		*t = v
	}
	return ok && has
}

type userStoreClient struct {
	client
	rpc userstorev1.UserStoreClient
}

// Capability offers sdk.UserAdmin and sdk.ChangeFeed when the plugin has
// them.
func (u *userStoreClient) Capability(target any) bool {
	return offer[sdk.UserAdmin](target, u.Has(CapUserAdmin), userAdminClient{u.rpc}) ||
		u.feed(target, func(ctx context.Context) (grpc.ServerStreamingClient[commonv1.Change], error) {
			return u.rpc.Watch(ctx, &commonv1.WatchRequest{})
		}) || u.client.Capability(target)
}

func (u *userStoreClient) LoginFields(ctx context.Context) ([]string, error) {
	resp, err := u.rpc.LoginFields(ctx, &userstorev1.LoginFieldsRequest{})
	return resp.GetFields(), err
}

func (u *userStoreClient) Authenticate(ctx context.Context, creds sdk.Credentials) (sdk.User, error) {
	return userResult(u.rpc.Authenticate(ctx, &userstorev1.AuthenticateRequest{Credentials: creds}))
}

func (u *userStoreClient) LookupUser(ctx context.Context, field, value string) (sdk.User, error) {
	return userResult(u.rpc.LookupUser(ctx, &userstorev1.LookupUserRequest{Field: field, Value: value}))
}

func (u *userStoreClient) RecordLogin(ctx context.Context, userID string, at time.Time) error {
	_, err := u.rpc.RecordLogin(ctx, &userstorev1.RecordLoginRequest{UserId: userID, At: toTimestamp(at)})
	return err
}

// userResult turns a user reply into an sdk.User; a reply that does not
// decode is the plugin failing (fail closed), not the transport.
func userResult(resp *userstorev1.UserResponse, err error) (sdk.User, error) {
	if err != nil {
		return sdk.User{}, err
	}
	u, err := userFromProto(resp.GetUser())
	if err != nil {
		return sdk.User{}, &RemoteError{Kind: KindUserStore, Msg: err.Error()}
	}
	return u, nil
}

type userAdminClient struct{ rpc userstorev1.UserStoreClient }

func (a userAdminClient) CreateUser(ctx context.Context, nu sdk.NewUser) (sdk.User, error) {
	attrs, err := encodeObject(nu.Attributes)
	if err != nil {
		return sdk.User{}, fmt.Errorf("user attributes: %w", err)
	}
	return userResult(a.rpc.CreateUser(ctx, &userstorev1.CreateUserRequest{
		Username: nu.Username, Password: nu.Password, IsActive: nu.IsActive, AttributesJson: attrs,
	}))
}

func (a userAdminClient) SetPassword(ctx context.Context, username, password string) error {
	_, err := a.rpc.SetPassword(ctx, &userstorev1.SetPasswordRequest{Username: username, Password: password})
	return err
}

func (a userAdminClient) SetActive(ctx context.Context, username string, active bool) error {
	_, err := a.rpc.SetActive(ctx, &userstorev1.SetActiveRequest{Username: username, Active: active})
	return err
}

type blacklistStoreClient struct {
	client
	rpc blackliststorev1.BlacklistStoreClient
}

// sessionFeedFlag is the client's sdk.SessionFeed: the plugin reported
// CapSessionFeed, which it does only when its store's SessionsInFeed is
// true.
type sessionFeedFlag struct{}

func (sessionFeedFlag) SessionsInFeed() bool { return true }

// Capability offers sdk.LoginFailureStore, sdk.SessionStore, sdk.SessionFeed
// and sdk.ChangeFeed when the plugin has them.
func (b *blacklistStoreClient) Capability(target any) bool {
	return offer[sdk.LoginFailureStore](target, b.Has(CapLoginFailures), loginFailuresClient{b.rpc}) ||
		offer[sdk.SessionStore](target, b.Has(CapSessions), sessionsClient{b.rpc}) ||
		offer[sdk.SessionFeed](target, b.Has(CapSessionFeed), sessionFeedFlag{}) ||
		b.feed(target, func(ctx context.Context) (grpc.ServerStreamingClient[commonv1.Change], error) {
			return b.rpc.Watch(ctx, &commonv1.WatchRequest{})
		}) || b.client.Capability(target)
}

func (b *blacklistStoreClient) AddOutstanding(ctx context.Context, t sdk.TokenRecord) error {
	_, err := b.rpc.AddOutstanding(ctx, &blackliststorev1.TokenRecordRequest{Record: recordToProto(t)})
	return err
}

func (b *blacklistStoreClient) Blacklist(ctx context.Context, t sdk.TokenRecord) (bool, error) {
	resp, err := b.rpc.Blacklist(ctx, &blackliststorev1.TokenRecordRequest{Record: recordToProto(t)})
	return resp.GetAdded(), err
}

func (b *blacklistStoreClient) IsBlacklisted(ctx context.Context, jti string) (bool, error) {
	resp, err := b.rpc.IsBlacklisted(ctx, &blackliststorev1.IsBlacklistedRequest{Jti: jti})
	return resp.GetBlacklisted(), err
}

func (b *blacklistStoreClient) FlushExpired(ctx context.Context, now time.Time) (int, error) {
	resp, err := b.rpc.FlushExpired(ctx, &blackliststorev1.FlushExpiredRequest{Now: toTimestamp(now)})
	return int(resp.GetDropped()), err
}

type loginFailuresClient struct {
	rpc blackliststorev1.BlacklistStoreClient
}

func (l loginFailuresClient) AddLoginFailure(ctx context.Context, key string, window time.Duration) (sdk.LoginFailureCount, error) {
	return countResult(l.rpc.AddLoginFailure(ctx, &blackliststorev1.AddLoginFailureRequest{Key: key, Window: durationpb.New(window)}))
}

func (l loginFailuresClient) LoginFailures(ctx context.Context, key string) (sdk.LoginFailureCount, error) {
	return countResult(l.rpc.LoginFailures(ctx, &blackliststorev1.LoginFailuresRequest{Key: key}))
}

func (l loginFailuresClient) ClearLoginFailures(ctx context.Context, key string) error {
	_, err := l.rpc.ClearLoginFailures(ctx, &blackliststorev1.ClearLoginFailuresRequest{Key: key})
	return err
}

func countResult(c *blackliststorev1.LoginFailureCount, err error) (sdk.LoginFailureCount, error) {
	if err != nil {
		return sdk.LoginFailureCount{}, err
	}
	return sdk.LoginFailureCount{Count: int(c.GetCount()), ResetIn: c.GetResetIn().AsDuration()}, nil
}

type sessionsClient struct {
	rpc blackliststorev1.BlacklistStoreClient
}

func (c sessionsClient) CreateSession(ctx context.Context, v sdk.Session, first string) error {
	_, err := c.rpc.CreateSession(ctx, &blackliststorev1.CreateSessionRequest{Session: sessionToProto(v), First: first})
	return err
}

func (c sessionsClient) RotateSession(ctx context.Context, userID, id, parent, child string, now time.Time) (sdk.Rotation, error) {
	resp, err := c.rpc.RotateSession(ctx, &blackliststorev1.RotateSessionRequest{
		UserId: userID, Id: id, Parent: parent, Child: child, Now: toTimestamp(now),
	})
	if err != nil {
		return sdk.Rotation{}, err
	}
	r := sdk.Rotation{
		Outcome: sdk.RotateOutcome(resp.GetOutcome()), ConsumedAt: fromTimestamp(resp.GetConsumedAt()),
		Child: resp.GetChild(), ChildConsumed: resp.GetChildConsumed(),
	}
	if r.Outcome < sdk.Rotated || r.Outcome > sdk.Refused {
		return sdk.Rotation{}, &RemoteError{Kind: KindBlacklistStore, Msg: fmt.Sprintf("unknown rotation outcome %d", r.Outcome)}
	}
	return r, nil
}

func (c sessionsClient) RevokeSession(ctx context.Context, userID, id string) (bool, error) {
	resp, err := c.rpc.RevokeSession(ctx, &blackliststorev1.RevokeSessionRequest{UserId: userID, Id: id})
	return resp.GetRevoked(), err
}

func (c sessionsClient) RevokeUserSessions(ctx context.Context, userID string, notBefore time.Time) (int, error) {
	resp, err := c.rpc.RevokeUserSessions(ctx, &blackliststorev1.RevokeUserSessionsRequest{UserId: userID, NotBefore: toTimestamp(notBefore)})
	return int(resp.GetRevoked()), err
}

func (c sessionsClient) Sessions(ctx context.Context, userID string, now time.Time) ([]sdk.Session, error) {
	resp, err := c.rpc.Sessions(ctx, &blackliststorev1.SessionsRequest{UserId: userID, Now: toTimestamp(now)})
	if err != nil {
		return nil, err
	}
	out := make([]sdk.Session, 0, len(resp.GetSessions()))
	for _, p := range resp.GetSessions() {
		out = append(out, sessionFromProto(p))
	}
	return out, nil
}

func (c sessionsClient) SessionState(ctx context.Context, userID, id string, now time.Time) (sdk.SessionState, error) {
	resp, err := c.rpc.SessionState(ctx, &blackliststorev1.SessionStateRequest{UserId: userID, Id: id, Now: toTimestamp(now)})
	if err != nil {
		return sdk.SessionState{}, err
	}
	return sdk.SessionState{Revoked: resp.GetRevoked(), NotBefore: fromTimestamp(resp.GetNotBefore())}, nil
}

type authRuleClient struct {
	client
	rpc authrulev1.AuthRuleClient
}

func (a *authRuleClient) Allow(ctx context.Context, user sdk.User) (bool, error) {
	p, err := userToProto(user, withoutHash)
	if err != nil {
		return false, err
	}
	resp, err := a.rpc.Allow(ctx, &authrulev1.AllowRequest{User: p})
	return resp.GetAllowed(), err
}

type claimSerializerClient struct {
	client
	rpc claimserializerv1.ClaimSerializerClient
}

func (s *claimSerializerClient) TokenClaims(ctx context.Context, user sdk.User, tokenType string) (map[string]any, error) {
	p, err := userToProto(user, withoutHash)
	if err != nil {
		return nil, err
	}
	return objectResult(s.rpc.TokenClaims(ctx, &claimserializerv1.TokenClaimsRequest{User: p, TokenType: tokenType}))
}

func (s *claimSerializerClient) ResponseFields(ctx context.Context, user sdk.User) (map[string]any, error) {
	p, err := userToProto(user, withoutHash)
	if err != nil {
		return nil, err
	}
	return objectResult(s.rpc.ResponseFields(ctx, &claimserializerv1.ResponseFieldsRequest{User: p}))
}

func (s *claimSerializerClient) TokenUser(ctx context.Context, claims map[string]any) (map[string]any, error) {
	b, err := encodeObject(claims)
	if err != nil {
		return nil, fmt.Errorf("token claims: %w", err)
	}
	return objectResult(s.rpc.TokenUser(ctx, &claimserializerv1.TokenUserRequest{ClaimsJson: b}))
}

func objectResult(resp *claimserializerv1.JSONObjectResponse, err error) (map[string]any, error) {
	if err != nil {
		return nil, err
	}
	m, err := decodeObject(resp.GetObjectJson())
	if err != nil {
		return nil, &RemoteError{Kind: KindClaimSerializer, Msg: err.Error()}
	}
	return m, nil
}

// feed offers sdk.ChangeFeed when the plugin reported CapChangeFeed: in
// process the implementation itself (its send is a plain call, no
// encoding), out of process a client of the kind's Watch stream.
func (c client) feed(target any, open func(context.Context) (grpc.ServerStreamingClient[commonv1.Change], error)) bool {
	if _, ok := target.(*sdk.ChangeFeed); !ok || !c.Has(CapChangeFeed) {
		return false
	}
	if c.impl != nil {
		return c.Capability(target)
	}
	return offer[sdk.ChangeFeed](target, true, watchClient{c.kind, open})
}

// watchClient is sdk.ChangeFeed over a Watch server stream.
type watchClient struct {
	kind string
	open func(context.Context) (grpc.ServerStreamingClient[commonv1.Change], error)
}

// Watch relays the stream's changes to send until the stream or ctx ends.
func (w watchClient) Watch(ctx context.Context, send func(sdk.Change) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := w.open(ctx)
	if err != nil {
		return err
	}
	for {
		m, err := st.Recv()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err == io.EOF {
				return fmt.Errorf("%w: %s change feed ended", sdk.ErrUnavailable, w.kind)
			}
			err = FromStatus(w.kind, err)
			if !errors.Is(err, sdk.ErrUnavailable) {
				// However the plugin's feed failed, the host's feed is
				// unavailable until it watches again.
				err = fmt.Errorf("%w: %w", sdk.ErrUnavailable, err)
			}
			return err
		}
		if err := send(ChangeFromProto(m)); err != nil {
			return err
		}
	}
}

// Compile-time interface guards.
var (
	_ sdk.UserStore         = (*userStoreClient)(nil)
	_ sdk.UserAdmin         = userAdminClient{}
	_ sdk.BlacklistStore    = (*blacklistStoreClient)(nil)
	_ sdk.AuthRule          = (*authRuleClient)(nil)
	_ sdk.ClaimSerializer   = (*claimSerializerClient)(nil)
	_ sdk.Pinger            = client{}
	_ sdk.Capable           = (*userStoreClient)(nil)
	_ sdk.Capable           = (*blacklistStoreClient)(nil)
	_ sdk.LoginFailureStore = loginFailuresClient{}
	_ sdk.SessionStore      = sessionsClient{}
	_ sdk.ChangeFeed        = watchClient{}
)
