package metrics

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jwtd/jwtd/sdk"
)

// Plugin kind labels, as the kinds are named in jwtd.toml.
const (
	KindUserStore       = "user_store"
	KindBlacklistStore  = "blacklist_store"
	KindAuthRule        = "auth_rule"
	KindClaimSerializer = "claim_serializer"
)

// Outcome classifies a plugin call's error: nil is OutcomeOK;
// sdk.ErrUnavailable and a passed deadline are OutcomeUnavailable; the
// domain answers sdk.ErrInvalidCredentials, sdk.ErrUserNotFound and
// sdk.ErrUserExists are OutcomeRejected (a wrong password is not a plugin
// failure); anything else is OutcomeError.
func Outcome(err error) string {
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, sdk.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return OutcomeUnavailable
	case errors.Is(err, sdk.ErrInvalidCredentials), errors.Is(err, sdk.ErrUserNotFound), errors.Is(err, sdk.ErrUserExists):
		return OutcomeRejected
	default:
		return OutcomeError
	}
}

var outcomes = [...]string{OutcomeOK, OutcomeRejected, OutcomeUnavailable, OutcomeError}

// method holds the pre-resolved series of one plugin method, one per
// outcome, so that a call costs no label lookup.
type method struct {
	count [len(outcomes)]prometheus.Counter
	dur   [len(outcomes)]prometheus.Observer
}

func (m *Metrics) method(kind, name string) *method {
	mm := &method{}
	for i, o := range outcomes {
		mm.count[i] = m.pluginCalls.WithLabelValues(kind, name, o)
		mm.dur[i] = m.pluginLatency.WithLabelValues(kind, name, o)
	}
	return mm
}

// done records a call that started at start and ended with err.
func (mm *method) done(start time.Time, err error) {
	d := time.Since(start).Seconds()
	o := Outcome(err)
	for i := range outcomes {
		if outcomes[i] == o {
			mm.count[i].Inc()
			mm.dur[i].Observe(d)
			return
		}
	}
}

// InstrumentUserStore wraps s so that every call is counted and timed under
// kind "user_store". The result also implements sdk.UserAdmin, sdk.Pinger
// and io.Closer exactly when s does (Close is passed through untimed).
func InstrumentUserStore(m *Metrics, s sdk.UserStore) sdk.UserStore {
	if s == nil {
		return nil
	}
	base := &userStore{next: s,
		loginFields: m.method(KindUserStore, "LoginFields"),
		authn:       m.method(KindUserStore, "Authenticate"),
		lookup:      m.method(KindUserStore, "LookupUser"),
		record:      m.method(KindUserStore, "RecordLogin"),
	}
	p, c := optional(m, KindUserStore, s)
	a, isAdmin := s.(sdk.UserAdmin)
	if !isAdmin {
		switch {
		case p != nil && c != nil:
			return struct {
				sdk.UserStore
				sdk.Pinger
				io.Closer
			}{base, p, c}
		case p != nil:
			return struct {
				sdk.UserStore
				sdk.Pinger
			}{base, p}
		case c != nil:
			return struct {
				sdk.UserStore
				io.Closer
			}{base, c}
		default:
			return base
		}
	}
	admin := &userAdmin{next: a,
		create: m.method(KindUserStore, "CreateUser"),
		passwd: m.method(KindUserStore, "SetPassword"),
		active: m.method(KindUserStore, "SetActive"),
	}
	switch {
	case p != nil && c != nil:
		return struct {
			sdk.UserStore
			sdk.UserAdmin
			sdk.Pinger
			io.Closer
		}{base, admin, p, c}
	case p != nil:
		return struct {
			sdk.UserStore
			sdk.UserAdmin
			sdk.Pinger
		}{base, admin, p}
	case c != nil:
		return struct {
			sdk.UserStore
			sdk.UserAdmin
			io.Closer
		}{base, admin, c}
	default:
		return struct {
			sdk.UserStore
			sdk.UserAdmin
		}{base, admin}
	}
}

// InstrumentBlacklistStore wraps s like InstrumentUserStore, under kind
// "blacklist_store", keeping sdk.Pinger and io.Closer when s has them.
func InstrumentBlacklistStore(m *Metrics, s sdk.BlacklistStore) sdk.BlacklistStore {
	if s == nil {
		return nil
	}
	base := &blacklistStore{next: s,
		outstanding: m.method(KindBlacklistStore, "AddOutstanding"),
		blacklist:   m.method(KindBlacklistStore, "Blacklist"),
		is:          m.method(KindBlacklistStore, "IsBlacklisted"),
		flush:       m.method(KindBlacklistStore, "FlushExpired"),
	}
	p, c := optional(m, KindBlacklistStore, s)
	switch {
	case p != nil && c != nil:
		return struct {
			sdk.BlacklistStore
			sdk.Pinger
			io.Closer
		}{base, p, c}
	case p != nil:
		return struct {
			sdk.BlacklistStore
			sdk.Pinger
		}{base, p}
	case c != nil:
		return struct {
			sdk.BlacklistStore
			io.Closer
		}{base, c}
	default:
		return base
	}
}

// InstrumentAuthRule wraps r under kind "auth_rule", keeping sdk.Pinger and
// io.Closer when r has them. A refusal (false, nil) is outcome "ok".
func InstrumentAuthRule(m *Metrics, r sdk.AuthRule) sdk.AuthRule {
	if r == nil {
		return nil
	}
	base := &authRule{next: r, allow: m.method(KindAuthRule, "Allow")}
	p, c := optional(m, KindAuthRule, r)
	switch {
	case p != nil && c != nil:
		return struct {
			sdk.AuthRule
			sdk.Pinger
			io.Closer
		}{base, p, c}
	case p != nil:
		return struct {
			sdk.AuthRule
			sdk.Pinger
		}{base, p}
	case c != nil:
		return struct {
			sdk.AuthRule
			io.Closer
		}{base, c}
	default:
		return base
	}
}

// InstrumentClaimSerializer wraps s under kind "claim_serializer", keeping
// sdk.Pinger and io.Closer when s has them.
func InstrumentClaimSerializer(m *Metrics, s sdk.ClaimSerializer) sdk.ClaimSerializer {
	if s == nil {
		return nil
	}
	base := &claimSerializer{next: s,
		claims: m.method(KindClaimSerializer, "TokenClaims"),
		fields: m.method(KindClaimSerializer, "ResponseFields"),
		user:   m.method(KindClaimSerializer, "TokenUser"),
	}
	p, c := optional(m, KindClaimSerializer, s)
	switch {
	case p != nil && c != nil:
		return struct {
			sdk.ClaimSerializer
			sdk.Pinger
			io.Closer
		}{base, p, c}
	case p != nil:
		return struct {
			sdk.ClaimSerializer
			sdk.Pinger
		}{base, p}
	case c != nil:
		return struct {
			sdk.ClaimSerializer
			io.Closer
		}{base, c}
	default:
		return base
	}
}

// optional returns a timed sdk.Pinger and the io.Closer of v, each nil when
// v lacks it.
func optional(m *Metrics, kind string, v any) (sdk.Pinger, io.Closer) {
	var p sdk.Pinger
	if next, ok := v.(sdk.Pinger); ok {
		p = &pinger{next: next, ping: m.method(kind, "Ping")}
	}
	c, _ := v.(io.Closer)
	return p, c
}

type pinger struct {
	next sdk.Pinger
	ping *method
}

func (p *pinger) Ping(ctx context.Context) error {
	start := time.Now()
	err := p.next.Ping(ctx)
	p.ping.done(start, err)
	return err
}

type userStore struct {
	next                               sdk.UserStore
	loginFields, authn, lookup, record *method
}

func (s *userStore) LoginFields(ctx context.Context) ([]string, error) {
	start := time.Now()
	f, err := s.next.LoginFields(ctx)
	s.loginFields.done(start, err)
	return f, err
}

func (s *userStore) Authenticate(ctx context.Context, creds sdk.Credentials) (sdk.User, error) {
	start := time.Now()
	u, err := s.next.Authenticate(ctx, creds)
	s.authn.done(start, err)
	return u, err
}

func (s *userStore) LookupUser(ctx context.Context, field, value string) (sdk.User, error) {
	start := time.Now()
	u, err := s.next.LookupUser(ctx, field, value)
	s.lookup.done(start, err)
	return u, err
}

func (s *userStore) RecordLogin(ctx context.Context, userID string, at time.Time) error {
	start := time.Now()
	err := s.next.RecordLogin(ctx, userID, at)
	s.record.done(start, err)
	return err
}

type userAdmin struct {
	next                   sdk.UserAdmin
	create, passwd, active *method
}

func (a *userAdmin) CreateUser(ctx context.Context, u sdk.NewUser) (sdk.User, error) {
	start := time.Now()
	user, err := a.next.CreateUser(ctx, u)
	a.create.done(start, err)
	return user, err
}

func (a *userAdmin) SetPassword(ctx context.Context, username, password string) error {
	start := time.Now()
	err := a.next.SetPassword(ctx, username, password)
	a.passwd.done(start, err)
	return err
}

func (a *userAdmin) SetActive(ctx context.Context, username string, active bool) error {
	start := time.Now()
	err := a.next.SetActive(ctx, username, active)
	a.active.done(start, err)
	return err
}

type blacklistStore struct {
	next                              sdk.BlacklistStore
	outstanding, blacklist, is, flush *method
}

func (s *blacklistStore) AddOutstanding(ctx context.Context, t sdk.TokenRecord) error {
	start := time.Now()
	err := s.next.AddOutstanding(ctx, t)
	s.outstanding.done(start, err)
	return err
}

func (s *blacklistStore) Blacklist(ctx context.Context, t sdk.TokenRecord) (bool, error) {
	start := time.Now()
	added, err := s.next.Blacklist(ctx, t)
	s.blacklist.done(start, err)
	return added, err
}

func (s *blacklistStore) IsBlacklisted(ctx context.Context, jti string) (bool, error) {
	start := time.Now()
	b, err := s.next.IsBlacklisted(ctx, jti)
	s.is.done(start, err)
	return b, err
}

func (s *blacklistStore) FlushExpired(ctx context.Context, now time.Time) (int, error) {
	start := time.Now()
	n, err := s.next.FlushExpired(ctx, now)
	s.flush.done(start, err)
	return n, err
}

type authRule struct {
	next  sdk.AuthRule
	allow *method
}

func (r *authRule) Allow(ctx context.Context, user sdk.User) (bool, error) {
	start := time.Now()
	ok, err := r.next.Allow(ctx, user)
	r.allow.done(start, err)
	return ok, err
}

type claimSerializer struct {
	next                 sdk.ClaimSerializer
	claims, fields, user *method
}

func (s *claimSerializer) TokenClaims(ctx context.Context, user sdk.User, tokenType string) (map[string]any, error) {
	start := time.Now()
	c, err := s.next.TokenClaims(ctx, user, tokenType)
	s.claims.done(start, err)
	return c, err
}

func (s *claimSerializer) ResponseFields(ctx context.Context, user sdk.User) (map[string]any, error) {
	start := time.Now()
	f, err := s.next.ResponseFields(ctx, user)
	s.fields.done(start, err)
	return f, err
}

func (s *claimSerializer) TokenUser(ctx context.Context, claims map[string]any) (map[string]any, error) {
	start := time.Now()
	u, err := s.next.TokenUser(ctx, claims)
	s.user.done(start, err)
	return u, err
}

// Compile-time guards.
var (
	_ sdk.UserStore       = (*userStore)(nil)
	_ sdk.UserAdmin       = (*userAdmin)(nil)
	_ sdk.BlacklistStore  = (*blacklistStore)(nil)
	_ sdk.AuthRule        = (*authRule)(nil)
	_ sdk.ClaimSerializer = (*claimSerializer)(nil)
	_ sdk.Pinger          = (*pinger)(nil)
)
