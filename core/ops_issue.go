package core

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// allowed is USER_AUTHENTICATION_RULE: Simple JWT's
// default_user_authentication_rule (active, when CHECK_USER_IS_ACTIVE) and
// then the Rule plugin, when one is configured. Unlike Simple JWT, whose
// custom rule replaces the active check, jwtd keeps refusing inactive users
// under a custom rule unless check_user_is_active is turned off: a rule
// written for another purpose (a role or tenant check) must not let a
// deactivated account obtain or refresh tokens by omission.
func (s *Service) allowed(ctx context.Context, u sdk.User) (bool, error) {
	if s.set.CheckUserIsActive && !u.IsActive {
		return false, nil
	}
	if s.p.Rule == nil {
		return true, nil
	}
	ok, err := s.p.Rule.Allow(ctx, u)
	if err != nil {
		return false, pluginErr(err)
	}
	return ok, nil
}

// login is TokenObtainSerializer.validate up to the user: credentials
// checked, and the rule applied so no token is minted for a refused user.
func (s *Service) login(ctx context.Context, creds sdk.Credentials) (sdk.User, error) {
	u, err := s.p.Users.Authenticate(ctx, creds)
	if errors.Is(err, sdk.ErrInvalidCredentials) || errors.Is(err, sdk.ErrUserNotFound) {
		return sdk.User{}, ErrNoActiveAccount
	}
	if err != nil {
		return sdk.User{}, pluginErr(err)
	}
	ok, err := s.allowed(ctx, u)
	if err != nil {
		return sdk.User{}, err
	}
	if !ok {
		return sdk.User{}, ErrNoActiveAccount
	}
	return u, nil
}

// afterLogin records the login (UPDATE_LAST_LOGIN) and gathers the claim
// serializer's response fields.
func (s *Service) afterLogin(ctx context.Context, u sdk.User, out *Issued, now time.Time) error {
	if s.set.UpdateLastLogin {
		if err := s.p.Users.RecordLogin(ctx, u.ID, now); err != nil {
			return pluginErr(err)
		}
	}
	if s.p.Claims == nil {
		return nil
	}
	extra, err := s.p.Claims.ResponseFields(ctx, u)
	if err != nil {
		return pluginErr(err)
	}
	for k := range extra {
		if k == "access" || k == "refresh" || k == "token" {
			return ErrUnavailable.With(fmt.Errorf("claim serializer tried to set response field %q", k))
		}
	}
	if len(extra) > 0 {
		out.Extra = extra
	}
	return nil
}

// Obtain is TokenObtainPairView: credentials to a refresh/access pair. Bad
// credentials, and users the rule refuses, are ErrNoActiveAccount.
func (s *Service) Obtain(ctx context.Context, creds sdk.Credentials) (Issued, error) {
	u, err := s.login(ctx, creds)
	if err != nil {
		return Issued{}, err
	}
	now := s.now()
	out, err := s.pairFor(ctx, u, now)
	if err != nil {
		return Issued{}, err
	}
	if err := s.afterLogin(ctx, u, &out, now); err != nil {
		return Issued{}, err
	}
	return out, nil
}

// ObtainSliding is TokenObtainSlidingView.
func (s *Service) ObtainSliding(ctx context.Context, creds sdk.Credentials) (Issued, error) {
	u, err := s.login(ctx, creds)
	if err != nil {
		return Issued{}, err
	}
	now := s.now()
	out, err := s.slidingFor(ctx, u, now)
	if err != nil {
		return Issued{}, err
	}
	if err := s.afterLogin(ctx, u, &out, now); err != nil {
		return Issued{}, err
	}
	return out, nil
}

// IssueFor is Simple JWT's RefreshToken.for_user: a pair for a known user
// (the CLI's `jwtd token issue`). Unlike for_user it applies the
// authentication rule (ErrNoActiveAccount), so no path mints tokens for a
// refused user. It records no login and adds no response fields.
func (s *Service) IssueFor(ctx context.Context, user sdk.User) (Issued, error) {
	if err := s.mayIssue(ctx, user); err != nil {
		return Issued{}, err
	}
	return s.pairFor(ctx, user, s.now())
}

// IssueSlidingFor is SlidingToken.for_user, with the rule applied as in
// IssueFor.
func (s *Service) IssueSlidingFor(ctx context.Context, user sdk.User) (Issued, error) {
	if err := s.mayIssue(ctx, user); err != nil {
		return Issued{}, err
	}
	return s.slidingFor(ctx, user, s.now())
}

// IssueToken mints one token of any issuable type for user: "access",
// "refresh", "sliding" or a CustomTokenTypes name, with that type's
// lifetime and the same claims obtain writes (Token.for_user of the type's
// class). The rule applies as in IssueFor; refresh and sliding tokens are
// recorded as outstanding.
func (s *Service) IssueToken(ctx context.Context, user sdk.User, tokenType string) (string, error) {
	if _, ok := s.c.types[tokenType]; !ok {
		return "", fmt.Errorf("core: unknown token type %q", tokenType)
	}
	if err := s.mayIssue(ctx, user); err != nil {
		return "", err
	}
	now := s.now()
	claims, err := s.forUser(ctx, user, tokenType, now)
	if err != nil {
		return "", err
	}
	if tokenType == TypeRefresh || tokenType == TypeSliding {
		if err := s.startSession(ctx, claims, now); err != nil {
			return "", err
		}
	}
	tok, err := s.sign(claims)
	if err != nil {
		return "", ErrUnavailable.With(err)
	}
	if tokenType == TypeRefresh || tokenType == TypeSliding {
		if err := s.outstand(ctx, claims, tokenType); err != nil {
			return "", err
		}
	}
	return tok, nil
}

func (s *Service) mayIssue(ctx context.Context, u sdk.User) error {
	ok, err := s.allowed(ctx, u)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNoActiveAccount
	}
	return nil
}

// pairFor issues a refresh token for u and the access token derived from
// it, recording the refresh token as outstanding.
func (s *Service) pairFor(ctx context.Context, u sdk.User, now time.Time) (Issued, error) {
	refresh, err := s.forUser(ctx, u, TypeRefresh, now)
	if err != nil {
		return Issued{}, err
	}
	if err := s.startSession(ctx, refresh, now); err != nil {
		return Issued{}, err
	}
	access, err := s.accessFrom(refresh, now)
	if err != nil {
		return Issued{}, ErrUnavailable.With(err)
	}
	var out Issued
	if out.Access, err = s.sign(access); err != nil {
		return Issued{}, ErrUnavailable.With(err)
	}
	if out.Refresh, err = s.sign(refresh); err != nil {
		return Issued{}, ErrUnavailable.With(err)
	}
	if err := s.outstand(ctx, refresh, TypeRefresh); err != nil {
		return Issued{}, err
	}
	return out, nil
}

func (s *Service) slidingFor(ctx context.Context, u sdk.User, now time.Time) (Issued, error) {
	claims, err := s.forUser(ctx, u, TypeSliding, now)
	if err != nil {
		return Issued{}, err
	}
	if err := s.startSession(ctx, claims, now); err != nil {
		return Issued{}, err
	}
	var out Issued
	if out.Token, err = s.sign(claims); err != nil {
		return Issued{}, ErrUnavailable.With(err)
	}
	if err := s.outstand(ctx, claims, TypeSliding); err != nil {
		return Issued{}, err
	}
	return out, nil
}

// outstand is BlacklistMixin.outstand: record an issued token.
func (s *Service) outstand(ctx context.Context, claims map[string]any, typ string) error {
	if s.p.Blacklist == nil {
		return nil
	}
	if err := s.p.Blacklist.AddOutstanding(ctx, s.recordOf(claims, typ)); err != nil {
		return pluginErr(err)
	}
	return nil
}

// tokenUser re-checks, on refresh, the user a token names: it must exist,
// pass the rule, and (CHECK_REVOKE_TOKEN) still have the password the token
// was issued under; otherwise the token is blacklisted (when a store is
// configured) and ErrPasswordChangedOnRefresh returned. Simple JWT crashes
// on a deleted user; jwtd answers ErrNoActiveAccountForToken.
func (s *Service) tokenUser(ctx context.Context, rc *rawClaims, typ string) (sdk.User, error) {
	id, ok := userIDOf(rc)
	if !ok {
		return sdk.User{}, ErrNoActiveAccountForToken
	}
	u, err := s.p.Users.LookupUser(ctx, s.set.UserIDField, id)
	if errors.Is(err, sdk.ErrUserNotFound) {
		return sdk.User{}, ErrNoActiveAccountForToken
	}
	if err != nil {
		return sdk.User{}, pluginErr(err)
	}
	allowed, err := s.allowed(ctx, u)
	if err != nil {
		return sdk.User{}, err
	}
	if !allowed {
		return sdk.User{}, ErrNoActiveAccountForToken
	}
	if s.set.CheckRevokeToken && !s.revokeMatches(rc, u) {
		if s.p.Blacklist != nil {
			if _, err := s.p.Blacklist.Blacklist(ctx, s.record(rc, typ)); err != nil {
				return sdk.User{}, pluginErr(err)
			}
			if _, err := s.endSessionOf(ctx, rc); err != nil {
				return sdk.User{}, err
			}
		}
		return sdk.User{}, ErrPasswordChangedOnRefresh
	}
	return u, nil
}

// revokeMatches compares the token's revoke claim with the user's current
// password hash. An empty stored hash never matches (sdk.User contract).
func (s *Service) revokeMatches(rc *rawClaims, u sdk.User) bool {
	if u.PasswordHash == "" || rc.revoke == nil {
		return false
	}
	return jsonStringIs(rc.revoke, RevokeClaim(u.PasswordHash))
}

// Refresh is TokenRefreshView: a new access token for a valid refresh
// token, and with ROTATE_REFRESH_TOKENS a new refresh token (same claims,
// fresh jti, exp and iat). With a claim serializer, the claims it owns are
// rebuilt from the current user (see reclaim), unlike Simple JWT. With BLACKLIST_AFTER_ROTATION and a blacklist
// store, the old token is consumed atomically before anything is issued: of
// concurrent refreshes with one token exactly one succeeds, the others get
// ErrTokenBlacklisted. The new refresh token is recorded (AddOutstanding)
// in the same moment as the old one is consumed, not after it.
func (s *Service) Refresh(ctx context.Context, refresh string) (Issued, error) {
	var rc rawClaims
	if err := s.decode(ctx, refresh, &rc); err != nil {
		return Issued{}, err
	}
	if _, ok := s.sessionOf(&rc); ok && s.set.RotateRefreshTokens {
		return s.refreshInSession(ctx, &rc)
	}
	if err := s.checkAs(ctx, &rc, TypeRefresh); err != nil {
		return Issued{}, err
	}
	u, err := s.tokenUser(ctx, &rc, TypeRefresh)
	if err != nil {
		return Issued{}, err
	}
	now := s.now()
	claims, err := fullClaims(rc.payload)
	if err != nil {
		return Issued{}, ErrTokenInvalid.With(err)
	}
	// Before the old token is consumed: a serializer that cannot answer
	// must not cost the user their session.
	if err := s.reclaim(ctx, claims, u, TypeRefresh); err != nil {
		return Issued{}, err
	}
	// With rotation the next refresh token (same claims, fresh jti, exp
	// and iat) is made before the old one is consumed, so that recording
	// it runs beside the consuming write: both reach the store together
	// (one group commit, or two plugin calls at once) rather than one
	// after the other. When the consume fails, the record names a token
	// that was never handed out, which is harmless and expires.
	var next map[string]any
	if s.set.RotateRefreshTokens {
		jti, err := newJTI()
		if err != nil {
			return Issued{}, ErrUnavailable.With(err)
		}
		next = maps.Clone(claims)
		next[s.set.JTIClaim] = jti
		s.stamp(next, TypeRefresh, now)
		s.clampToSession(next)
	}
	consumed := false
	if s.set.RotateRefreshTokens && s.set.BlacklistAfterRotation && s.p.Blacklist != nil {
		recorded := make(chan error, 1)
		go func() { recorded <- s.outstand(ctx, next, TypeRefresh) }()
		added, err := s.p.Blacklist.Blacklist(ctx, s.record(&rc, TypeRefresh))
		recordErr := <-recorded
		if err != nil {
			return Issued{}, pluginErr(err)
		}
		if !added {
			return Issued{}, ErrTokenBlacklisted
		}
		if recordErr != nil {
			return Issued{}, recordErr
		}
		consumed = true
	}
	access, err := s.accessFrom(claims, now)
	if err != nil {
		return Issued{}, ErrUnavailable.With(err)
	}
	var out Issued
	if out.Access, err = s.sign(access); err != nil {
		return Issued{}, ErrUnavailable.With(err)
	}
	if !s.set.RotateRefreshTokens {
		return out, nil
	}
	if out.Refresh, err = s.sign(next); err != nil {
		return Issued{}, ErrUnavailable.With(err)
	}
	if !consumed {
		if err := s.outstand(ctx, next, TypeRefresh); err != nil {
			return Issued{}, err
		}
	}
	return out, nil
}

// refreshInSession is Refresh of a session's refresh token under rotation.
// The session store, not the blacklist, decides whether the token may
// rotate (so a rotated token that comes back is recognised as reuse rather
// than merely refused): see rotateInSession. With BLACKLIST_AFTER_ROTATION
// the parent is also blacklisted after a fresh rotation, so verify and
// blacklist answer for it as Simple JWT does.
func (s *Service) refreshInSession(ctx context.Context, rc *rawClaims) (Issued, error) {
	if err := s.checkType(rc, TypeRefresh); err != nil {
		return Issued{}, err
	}
	u, err := s.tokenUser(ctx, rc, TypeRefresh)
	if err != nil {
		return Issued{}, err
	}
	now := s.now()
	claims, err := fullClaims(rc.payload)
	if err != nil {
		return Issued{}, ErrTokenInvalid.With(err)
	}
	if err := s.reclaim(ctx, claims, u, TypeRefresh); err != nil {
		return Issued{}, err
	}
	fresh, err := s.rotateInSession(ctx, rc, claims, TypeRefresh, now)
	if err != nil {
		return Issued{}, err
	}
	if fresh {
		// The session has rotated; the parent's blacklist entry and the
		// child's outstanding record are independent writes, sent at once
		// (one round trip's wait, or one group commit, instead of two).
		recorded := make(chan error, 1)
		go func() { recorded <- s.outstand(ctx, claims, TypeRefresh) }()
		var berr error
		if s.set.BlacklistAfterRotation {
			_, berr = s.p.Blacklist.Blacklist(ctx, s.record(rc, TypeRefresh))
		}
		if rerr := <-recorded; rerr != nil {
			return Issued{}, rerr
		}
		if berr != nil {
			return Issued{}, pluginErr(berr)
		}
	}
	access, err := s.accessFrom(claims, now)
	if err != nil {
		return Issued{}, ErrUnavailable.With(err)
	}
	var out Issued
	if out.Access, err = s.sign(access); err != nil {
		return Issued{}, ErrUnavailable.With(err)
	}
	if out.Refresh, err = s.sign(claims); err != nil {
		return Issued{}, ErrUnavailable.With(err)
	}
	return out, nil
}

// RefreshSliding is TokenRefreshSlidingView: a still-valid sliding token
// whose refresh_exp has not passed gets a new exp and iat; its jti and
// refresh_exp are kept, as Simple JWT does. The user is re-checked as in
// Refresh.
func (s *Service) RefreshSliding(ctx context.Context, token string) (Issued, error) {
	var rc rawClaims
	if err := s.validate(ctx, token, TypeSliding, &rc); err != nil {
		return Issued{}, err
	}
	claim := s.set.SlidingTokenRefreshExpClaim
	if rc.refreshExp == nil {
		return Issued{}, tokenErr(fmt.Sprintf("Token has no '%s' claim", claim))
	}
	var re numClaim
	if err := numericDate(rc.refreshExp, &re); err != nil {
		return Issued{}, ErrTokenInvalid.With(err)
	}
	if re.v <= s.nowSeconds()-s.c.leeway {
		return Issued{}, RefreshExpiredError(claim)
	}
	u, err := s.tokenUser(ctx, &rc, TypeSliding)
	if err != nil {
		return Issued{}, err
	}
	claims, err := fullClaims(rc.payload)
	if err != nil {
		return Issued{}, ErrTokenInvalid.With(err)
	}
	if err := s.reclaim(ctx, claims, u, TypeSliding); err != nil {
		return Issued{}, err
	}
	now := s.now()
	fresh := false
	if _, ok := s.sessionOf(&rc); ok {
		// In a session each sliding refresh is a rotation (a new jti), so a
		// copy presented again is caught as reuse, as with refresh tokens.
		if fresh, err = s.rotateInSession(ctx, &rc, claims, TypeSliding, now); err != nil {
			return Issued{}, err
		}
	} else {
		s.stamp(claims, TypeSliding, now)
	}
	var out Issued
	if out.Token, err = s.sign(claims); err != nil {
		return Issued{}, ErrUnavailable.With(err)
	}
	if fresh {
		if err := s.outstand(ctx, claims, TypeSliding); err != nil {
			return Issued{}, err
		}
	}
	return out, nil
}
