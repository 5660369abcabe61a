package pluginhost

import (
	"context"
	"errors"
	"time"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/plugin"
)

// binding is one kind of one process as the host's caller sees it: every
// call gets the current client (failing fast while the process is down)
// and a deadline.
type binding struct {
	p       *proc
	kind    string
	name    string
	timeout time.Duration
}

// call runs f against the kind's current client under the call deadline.
// A transport failure also wakes the supervisor, so a dead process is
// noticed by the first call that meets it rather than at the next tick.
func call[C any, R any](ctx context.Context, b *binding, f func(context.Context, C) (R, error)) (R, error) {
	var zero R
	pc, err := b.p.get(b.kind, b.name)
	if err != nil {
		return zero, err
	}
	c, ok := pc.(C)
	if !ok {
		return zero, errors.New("plugin " + b.name + ": client of the wrong kind")
	}
	cctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	r, err := f(cctx, c)
	if err != nil && errors.Is(err, sdk.ErrUnavailable) && ctx.Err() == nil {
		b.p.poke()
	}
	return r, err
}

type none struct{}

// Ping implements sdk.Pinger: the plugin answers and, when its
// implementation is an sdk.Pinger, what stands behind it does too.
func (b *binding) Ping(ctx context.Context) error {
	_, err := call(ctx, b, func(ctx context.Context, c plugin.Client) (none, error) {
		return none{}, c.Ping(ctx)
	})
	return err
}

type userStore struct{ *binding }

func (u *userStore) LoginFields(ctx context.Context) ([]string, error) {
	return call(ctx, u.binding, func(ctx context.Context, c *plugin.UserStoreClient) ([]string, error) {
		return c.LoginFields(ctx)
	})
}

func (u *userStore) Authenticate(ctx context.Context, creds sdk.Credentials) (sdk.User, error) {
	return call(ctx, u.binding, func(ctx context.Context, c *plugin.UserStoreClient) (sdk.User, error) {
		return c.Authenticate(ctx, creds)
	})
}

func (u *userStore) LookupUser(ctx context.Context, field, value string) (sdk.User, error) {
	return call(ctx, u.binding, func(ctx context.Context, c *plugin.UserStoreClient) (sdk.User, error) {
		return c.LookupUser(ctx, field, value)
	})
}

func (u *userStore) RecordLogin(ctx context.Context, userID string, at time.Time) error {
	_, err := call(ctx, u.binding, func(ctx context.Context, c *plugin.UserStoreClient) (none, error) {
		return none{}, c.RecordLogin(ctx, userID, at)
	})
	return err
}

// userStoreAdmin is a userStore whose plugin manages users.
type userStoreAdmin struct{ *userStore }

func (u *userStoreAdmin) CreateUser(ctx context.Context, nu sdk.NewUser) (sdk.User, error) {
	return call(ctx, u.binding, func(ctx context.Context, c *plugin.UserStoreClient) (sdk.User, error) {
		return c.CreateUser(ctx, nu)
	})
}

func (u *userStoreAdmin) SetPassword(ctx context.Context, username, password string) error {
	_, err := call(ctx, u.binding, func(ctx context.Context, c *plugin.UserStoreClient) (none, error) {
		return none{}, c.SetPassword(ctx, username, password)
	})
	return err
}

func (u *userStoreAdmin) SetActive(ctx context.Context, username string, active bool) error {
	_, err := call(ctx, u.binding, func(ctx context.Context, c *plugin.UserStoreClient) (none, error) {
		return none{}, c.SetActive(ctx, username, active)
	})
	return err
}

type blacklistStore struct{ *binding }

func (b *blacklistStore) AddOutstanding(ctx context.Context, t sdk.TokenRecord) error {
	_, err := call(ctx, b.binding, func(ctx context.Context, c *plugin.BlacklistStoreClient) (none, error) {
		return none{}, c.AddOutstanding(ctx, t)
	})
	return err
}

func (b *blacklistStore) Blacklist(ctx context.Context, t sdk.TokenRecord) (bool, error) {
	return call(ctx, b.binding, func(ctx context.Context, c *plugin.BlacklistStoreClient) (bool, error) {
		return c.Blacklist(ctx, t)
	})
}

func (b *blacklistStore) IsBlacklisted(ctx context.Context, jti string) (bool, error) {
	return call(ctx, b.binding, func(ctx context.Context, c *plugin.BlacklistStoreClient) (bool, error) {
		return c.IsBlacklisted(ctx, jti)
	})
}

func (b *blacklistStore) FlushExpired(ctx context.Context, now time.Time) (int, error) {
	return call(ctx, b.binding, func(ctx context.Context, c *plugin.BlacklistStoreClient) (int, error) {
		return c.FlushExpired(ctx, now)
	})
}

type authRule struct{ *binding }

func (a *authRule) Allow(ctx context.Context, user sdk.User) (bool, error) {
	return call(ctx, a.binding, func(ctx context.Context, c *plugin.AuthRuleClient) (bool, error) {
		return c.Allow(ctx, user)
	})
}

type claimSerializer struct{ *binding }

func (s *claimSerializer) TokenClaims(ctx context.Context, user sdk.User, tokenType string) (map[string]any, error) {
	return call(ctx, s.binding, func(ctx context.Context, c *plugin.ClaimSerializerClient) (map[string]any, error) {
		return c.TokenClaims(ctx, user, tokenType)
	})
}

func (s *claimSerializer) ResponseFields(ctx context.Context, user sdk.User) (map[string]any, error) {
	return call(ctx, s.binding, func(ctx context.Context, c *plugin.ClaimSerializerClient) (map[string]any, error) {
		return c.ResponseFields(ctx, user)
	})
}

func (s *claimSerializer) TokenUser(ctx context.Context, claims map[string]any) (map[string]any, error) {
	return call(ctx, s.binding, func(ctx context.Context, c *plugin.ClaimSerializerClient) (map[string]any, error) {
		return c.TokenUser(ctx, claims)
	})
}

// Compile-time interface guards.
var (
	_ sdk.UserStore       = (*userStore)(nil)
	_ sdk.Pinger          = (*userStore)(nil)
	_ sdk.UserAdmin       = (*userStoreAdmin)(nil)
	_ sdk.BlacklistStore  = (*blacklistStore)(nil)
	_ sdk.Pinger          = (*blacklistStore)(nil)
	_ sdk.AuthRule        = (*authRule)(nil)
	_ sdk.ClaimSerializer = (*claimSerializer)(nil)
)
