package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"google.golang.org/grpc"

	"github.com/jwtd/jwtd/sdk"
	authrulev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/authrule/v1"
	blackliststorev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/blackliststore/v1"
	claimserializerv1 "github.com/jwtd/jwtd/sdk/proto/jwtd/claimserializer/v1"
	commonv1 "github.com/jwtd/jwtd/sdk/proto/jwtd/common/v1"
	userstorev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/userstore/v1"
)

// Client is what every host-side kind client offers beside its sdk
// interface: the Configure step and a liveness ping.
type Client interface {
	// Configure hands the plugin its config table and returns the
	// capabilities (CapUserAdmin, CapPing) of what it built.
	Configure(ctx context.Context, cfg sdk.Config) ([]string, error)
	// Ping reports whether the plugin answers (and, when it implements
	// sdk.Pinger, whether what stands behind it does).
	Ping(ctx context.Context) error
}

func configureRequest(cfg sdk.Config) (*commonv1.ConfigureRequest, error) {
	if cfg == nil {
		cfg = sdk.Config{}
	}
	b, err := json.Marshal(map[string]any(cfg))
	if err != nil {
		return nil, fmt.Errorf("%w: config is not JSON-compatible: %v", sdk.ErrInvalidConfig, err)
	}
	return &commonv1.ConfigureRequest{ConfigJson: b}, nil
}

// UserStoreClient is the host side of the user store service: an
// sdk.UserStore and sdk.UserAdmin whose methods are calls to the plugin.
// Admin methods fail with errors.ErrUnsupported when the plugin's store has
// no admin ability.
type UserStoreClient struct {
	c userstorev1.UserStoreClient
}

// NewUserStoreClient returns a client on conn.
func NewUserStoreClient(conn grpc.ClientConnInterface) *UserStoreClient {
	return &UserStoreClient{c: userstorev1.NewUserStoreClient(conn)}
}

// Configure implements Client.
func (u *UserStoreClient) Configure(ctx context.Context, cfg sdk.Config) ([]string, error) {
	req, err := configureRequest(cfg)
	if err != nil {
		return nil, err
	}
	resp, err := u.c.Configure(ctx, req)
	if err != nil {
		return nil, fromStatus(KindUserStore, err)
	}
	return resp.GetCapabilities(), nil
}

// Ping implements Client.
func (u *UserStoreClient) Ping(ctx context.Context) error {
	_, err := u.c.Ping(ctx, &commonv1.PingRequest{})
	return fromStatus(KindUserStore, err)
}

// LoginFields implements sdk.UserStore.
func (u *UserStoreClient) LoginFields(ctx context.Context) ([]string, error) {
	resp, err := u.c.LoginFields(ctx, &userstorev1.LoginFieldsRequest{})
	if err != nil {
		return nil, fromStatus(KindUserStore, err)
	}
	return resp.GetFields(), nil
}

func userResult(resp *userstorev1.UserResponse, err error) (sdk.User, error) {
	if err != nil {
		return sdk.User{}, fromStatus(KindUserStore, err)
	}
	u, err := userFromProto(resp.GetUser())
	if err != nil {
		return sdk.User{}, &RemoteError{Kind: KindUserStore, Msg: err.Error()}
	}
	return u, nil
}

// Authenticate implements sdk.UserStore.
func (u *UserStoreClient) Authenticate(ctx context.Context, creds sdk.Credentials) (sdk.User, error) {
	return userResult(u.c.Authenticate(ctx, &userstorev1.AuthenticateRequest{Credentials: creds}))
}

// LookupUser implements sdk.UserStore.
func (u *UserStoreClient) LookupUser(ctx context.Context, field, value string) (sdk.User, error) {
	return userResult(u.c.LookupUser(ctx, &userstorev1.LookupUserRequest{Field: field, Value: value}))
}

// RecordLogin implements sdk.UserStore.
func (u *UserStoreClient) RecordLogin(ctx context.Context, userID string, at time.Time) error {
	_, err := u.c.RecordLogin(ctx, &userstorev1.RecordLoginRequest{UserId: userID, At: toTimestamp(at)})
	return fromStatus(KindUserStore, err)
}

// CreateUser implements sdk.UserAdmin.
func (u *UserStoreClient) CreateUser(ctx context.Context, nu sdk.NewUser) (sdk.User, error) {
	attrs, err := encodeObject(nu.Attributes)
	if err != nil {
		return sdk.User{}, fmt.Errorf("user attributes: %w", err)
	}
	return userResult(u.c.CreateUser(ctx, &userstorev1.CreateUserRequest{
		Username: nu.Username, Password: nu.Password, IsActive: nu.IsActive, AttributesJson: attrs,
	}))
}

// SetPassword implements sdk.UserAdmin.
func (u *UserStoreClient) SetPassword(ctx context.Context, username, password string) error {
	_, err := u.c.SetPassword(ctx, &userstorev1.SetPasswordRequest{Username: username, Password: password})
	return fromStatus(KindUserStore, err)
}

// SetActive implements sdk.UserAdmin.
func (u *UserStoreClient) SetActive(ctx context.Context, username string, active bool) error {
	_, err := u.c.SetActive(ctx, &userstorev1.SetActiveRequest{Username: username, Active: active})
	return fromStatus(KindUserStore, err)
}

// BlacklistStoreClient is the host side of the blacklist store service.
type BlacklistStoreClient struct {
	c blackliststorev1.BlacklistStoreClient
}

// NewBlacklistStoreClient returns a client on conn.
func NewBlacklistStoreClient(conn grpc.ClientConnInterface) *BlacklistStoreClient {
	return &BlacklistStoreClient{c: blackliststorev1.NewBlacklistStoreClient(conn)}
}

// Configure implements Client.
func (b *BlacklistStoreClient) Configure(ctx context.Context, cfg sdk.Config) ([]string, error) {
	req, err := configureRequest(cfg)
	if err != nil {
		return nil, err
	}
	resp, err := b.c.Configure(ctx, req)
	if err != nil {
		return nil, fromStatus(KindBlacklistStore, err)
	}
	return resp.GetCapabilities(), nil
}

// Ping implements Client.
func (b *BlacklistStoreClient) Ping(ctx context.Context) error {
	_, err := b.c.Ping(ctx, &commonv1.PingRequest{})
	return fromStatus(KindBlacklistStore, err)
}

// AddOutstanding implements sdk.BlacklistStore.
func (b *BlacklistStoreClient) AddOutstanding(ctx context.Context, t sdk.TokenRecord) error {
	_, err := b.c.AddOutstanding(ctx, &blackliststorev1.TokenRecordRequest{Record: recordToProto(t)})
	return fromStatus(KindBlacklistStore, err)
}

// Blacklist implements sdk.BlacklistStore.
func (b *BlacklistStoreClient) Blacklist(ctx context.Context, t sdk.TokenRecord) (bool, error) {
	resp, err := b.c.Blacklist(ctx, &blackliststorev1.TokenRecordRequest{Record: recordToProto(t)})
	if err != nil {
		return false, fromStatus(KindBlacklistStore, err)
	}
	return resp.GetAdded(), nil
}

// IsBlacklisted implements sdk.BlacklistStore.
func (b *BlacklistStoreClient) IsBlacklisted(ctx context.Context, jti string) (bool, error) {
	resp, err := b.c.IsBlacklisted(ctx, &blackliststorev1.IsBlacklistedRequest{Jti: jti})
	if err != nil {
		return false, fromStatus(KindBlacklistStore, err)
	}
	return resp.GetBlacklisted(), nil
}

// FlushExpired implements sdk.BlacklistStore.
func (b *BlacklistStoreClient) FlushExpired(ctx context.Context, now time.Time) (int, error) {
	resp, err := b.c.FlushExpired(ctx, &blackliststorev1.FlushExpiredRequest{Now: toTimestamp(now)})
	if err != nil {
		return 0, fromStatus(KindBlacklistStore, err)
	}
	return int(resp.GetDropped()), nil
}

// AuthRuleClient is the host side of the authentication rule service.
type AuthRuleClient struct {
	c authrulev1.AuthRuleClient
}

// NewAuthRuleClient returns a client on conn.
func NewAuthRuleClient(conn grpc.ClientConnInterface) *AuthRuleClient {
	return &AuthRuleClient{c: authrulev1.NewAuthRuleClient(conn)}
}

// Configure implements Client.
func (a *AuthRuleClient) Configure(ctx context.Context, cfg sdk.Config) ([]string, error) {
	req, err := configureRequest(cfg)
	if err != nil {
		return nil, err
	}
	resp, err := a.c.Configure(ctx, req)
	if err != nil {
		return nil, fromStatus(KindAuthRule, err)
	}
	return resp.GetCapabilities(), nil
}

// Ping implements Client.
func (a *AuthRuleClient) Ping(ctx context.Context) error {
	_, err := a.c.Ping(ctx, &commonv1.PingRequest{})
	return fromStatus(KindAuthRule, err)
}

// Allow implements sdk.AuthRule.
func (a *AuthRuleClient) Allow(ctx context.Context, user sdk.User) (bool, error) {
	p, err := userToProto(user)
	if err != nil {
		return false, err
	}
	resp, err := a.c.Allow(ctx, &authrulev1.AllowRequest{User: p})
	if err != nil {
		return false, fromStatus(KindAuthRule, err)
	}
	return resp.GetAllowed(), nil
}

// ClaimSerializerClient is the host side of the claim serializer service.
type ClaimSerializerClient struct {
	c claimserializerv1.ClaimSerializerClient
}

// NewClaimSerializerClient returns a client on conn.
func NewClaimSerializerClient(conn grpc.ClientConnInterface) *ClaimSerializerClient {
	return &ClaimSerializerClient{c: claimserializerv1.NewClaimSerializerClient(conn)}
}

// Configure implements Client.
func (s *ClaimSerializerClient) Configure(ctx context.Context, cfg sdk.Config) ([]string, error) {
	req, err := configureRequest(cfg)
	if err != nil {
		return nil, err
	}
	resp, err := s.c.Configure(ctx, req)
	if err != nil {
		return nil, fromStatus(KindClaimSerializer, err)
	}
	return resp.GetCapabilities(), nil
}

// Ping implements Client.
func (s *ClaimSerializerClient) Ping(ctx context.Context) error {
	_, err := s.c.Ping(ctx, &commonv1.PingRequest{})
	return fromStatus(KindClaimSerializer, err)
}

func objectResult(resp *claimserializerv1.JSONObjectResponse, err error) (map[string]any, error) {
	if err != nil {
		return nil, fromStatus(KindClaimSerializer, err)
	}
	m, err := decodeObject(resp.GetObjectJson())
	if err != nil {
		return nil, &RemoteError{Kind: KindClaimSerializer, Msg: err.Error()}
	}
	return m, nil
}

// TokenClaims implements sdk.ClaimSerializer.
func (s *ClaimSerializerClient) TokenClaims(ctx context.Context, user sdk.User, tokenType string) (map[string]any, error) {
	p, err := userToProto(user)
	if err != nil {
		return nil, err
	}
	return objectResult(s.c.TokenClaims(ctx, &claimserializerv1.TokenClaimsRequest{User: p, TokenType: tokenType}))
}

// ResponseFields implements sdk.ClaimSerializer.
func (s *ClaimSerializerClient) ResponseFields(ctx context.Context, user sdk.User) (map[string]any, error) {
	p, err := userToProto(user)
	if err != nil {
		return nil, err
	}
	return objectResult(s.c.ResponseFields(ctx, &claimserializerv1.ResponseFieldsRequest{User: p}))
}

// TokenUser implements sdk.ClaimSerializer.
func (s *ClaimSerializerClient) TokenUser(ctx context.Context, claims map[string]any) (map[string]any, error) {
	b, err := encodeObject(claims)
	if err != nil {
		return nil, fmt.Errorf("token claims: %w", err)
	}
	return objectResult(s.c.TokenUser(ctx, &claimserializerv1.TokenUserRequest{ClaimsJson: b}))
}

// Compile-time interface guards.
var (
	_ sdk.UserStore       = (*UserStoreClient)(nil)
	_ sdk.UserAdmin       = (*UserStoreClient)(nil)
	_ sdk.BlacklistStore  = (*BlacklistStoreClient)(nil)
	_ sdk.AuthRule        = (*AuthRuleClient)(nil)
	_ sdk.ClaimSerializer = (*ClaimSerializerClient)(nil)
	_ Client              = (*UserStoreClient)(nil)
	_ Client              = (*BlacklistStoreClient)(nil)
	_ Client              = (*AuthRuleClient)(nil)
	_ Client              = (*ClaimSerializerClient)(nil)
)
