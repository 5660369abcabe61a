package core

import (
	"context"
	"errors"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// SKELETON: the signatures below are the contract between core and host.
// The core issue replaces the bodies; keep the signatures (or tell the lead
// before changing one).

var errTODO = errors.New("core: not implemented yet")

// Plugins are the implementations the core reaches users and storage
// through. Users is required; a nil Blacklist means no blacklist app (verify
// and refresh skip the checks, and blacklisting is refused); nil Rule and
// Claims mean Simple JWT's defaults (user is active; no extra claims).
type Plugins struct {
	Users     sdk.UserStore
	Blacklist sdk.BlacklistStore
	Rule      sdk.AuthRule
	Claims    sdk.ClaimSerializer
}

// Option configures a Service beyond its Settings.
type Option func(*Service)

// WithClock makes the Service read the time from now (tests, vectors).
func WithClock(now func() time.Time) Option { return func(s *Service) {} }

// Service is the token core: every Simple JWT operation, independent of
// transport. It is safe for concurrent use.
type Service struct{}

// New validates settings and builds a Service.
func New(settings Settings, plugins Plugins, opts ...Option) (*Service, error) {
	return nil, errTODO
}

// Issued is what an obtain or refresh hands back: the fields of the JSON
// response. Empty strings are left out of the response.
type Issued struct {
	Access  string         // "access"
	Refresh string         // "refresh"
	Token   string         // "token" (sliding)
	Extra   map[string]any // claim serializer's response fields (obtain only)
}

// Token is a decoded, verified token.
type Token struct {
	Type   string
	Claims map[string]any
}

// LoginFields are the request fields obtain needs, from the user store.
func (s *Service) LoginFields(ctx context.Context) ([]string, error) { return nil, errTODO }

// Obtain is TokenObtainPairView: credentials to a refresh/access pair.
func (s *Service) Obtain(ctx context.Context, creds sdk.Credentials) (Issued, error) {
	return Issued{}, errTODO
}

// ObtainSliding is TokenObtainSlidingView.
func (s *Service) ObtainSliding(ctx context.Context, creds sdk.Credentials) (Issued, error) {
	return Issued{}, errTODO
}

// Refresh is TokenRefreshView, with rotation and blacklist-after-rotation.
func (s *Service) Refresh(ctx context.Context, refresh string) (Issued, error) {
	return Issued{}, errTODO
}

// RefreshSliding is TokenRefreshSlidingView.
func (s *Service) RefreshSliding(ctx context.Context, token string) (Issued, error) {
	return Issued{}, errTODO
}

// Verify is TokenVerifyView (untyped: any valid token).
func (s *Service) Verify(ctx context.Context, token string) error { return errTODO }

// Blacklist is TokenBlacklistView: blacklists a refresh (or sliding) token.
func (s *Service) Blacklist(ctx context.Context, token string) error { return errTODO }

// IssueFor is Simple JWT's RefreshToken.for_user: a pair for a known user.
func (s *Service) IssueFor(ctx context.Context, user sdk.User) (Issued, error) {
	return Issued{}, errTODO
}

// IssueSlidingFor is SlidingToken.for_user.
func (s *Service) IssueSlidingFor(ctx context.Context, user sdk.User) (Issued, error) {
	return Issued{}, errTODO
}

// Authenticate is JWTAuthentication: header is the value of the
// AuthHeaderName header ("" when absent).
func (s *Service) Authenticate(ctx context.Context, header string) (sdk.User, *Token, error) {
	return sdk.User{}, nil, errTODO
}

// AuthenticateStateless is JWTStatelessUserAuthentication: the token user
// as JSON fields ("id" plus the claim serializer's TokenUser fields).
func (s *Service) AuthenticateStateless(ctx context.Context, header string) (map[string]any, *Token, error) {
	return nil, nil, errTODO
}

// FlushExpired drops expired rows from the blacklist store.
func (s *Service) FlushExpired(ctx context.Context) (int, error) { return 0, errTODO }

// JWKS returns the public verifying keys as a JWK Set document, or nil when
// the algorithm is symmetric.
func (s *Service) JWKS() []byte { return nil }

// Settings returns the validated settings in force.
func (s *Service) Settings() Settings { return Settings{} }
