package core

import (
	"context"
	"errors"
	"strconv"

	"github.com/jwtd/jwtd/sdk"
)

// isHeaderSpace is Python's bytes.split() separator set.
func isHeaderSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\v', '\f':
		return true
	}
	return false
}

// rawToken is JWTAuthentication.get_raw_token: no header, or a first word
// not in AUTH_HEADER_TYPES (case-sensitive), is ErrNotAuthenticated; a
// known type with other than exactly one more word is ErrBadAuthHeader.
func (s *Service) rawToken(header string) (string, error) {
	var words [3]string
	n := 0
	for i := 0; i < len(header); {
		for i < len(header) && isHeaderSpace(header[i]) {
			i++
		}
		start := i
		for i < len(header) && !isHeaderSpace(header[i]) {
			i++
		}
		if i > start {
			if n < len(words) {
				words[n] = header[start:i]
			}
			n++
		}
	}
	if n == 0 {
		return "", ErrNotAuthenticated
	}
	known := false
	for _, t := range s.set.AuthHeaderTypes {
		if words[0] == t {
			known = true
			break
		}
	}
	if !known {
		return "", ErrNotAuthenticated
	}
	if n != 2 {
		return "", ErrBadAuthHeader
	}
	return words[1], nil
}

// authToken is JWTAuthentication.get_validated_token: the first of
// AUTH_TOKEN_CLASSES the token is valid as, or ErrNoValidTokenType with one
// message per class, in order. The signature and registered claims are
// checked once; only the type-specific checks repeat per class.
func (s *Service) authToken(ctx context.Context, raw string, rc *rawClaims) (string, error) {
	decodeErr := s.decode(ctx, raw, rc)
	var ce *Error
	if decodeErr != nil && !errors.As(decodeErr, &ce) {
		return "", decodeErr
	}
	var msgs []TokenMessage // only a failure needs them
	for _, typ := range s.set.AuthTokenClasses {
		err := decodeErr
		if err == nil {
			err = s.checkAs(ctx, rc, typ)
			if IsUnavailable(err) {
				return "", err
			}
		}
		if err == nil {
			return typ, nil
		}
		detail := err.Error()
		if errors.As(err, &ce) {
			detail = ce.Detail
		}
		msgs = append(msgs, TokenMessage{TokenClass: TokenClass(typ), TokenType: typ, Message: detail})
	}
	e := *ErrNoValidTokenType
	e.Messages = msgs
	e.Err = decodeErr
	return "", &e
}

func (s *Service) headerToken(ctx context.Context, header string, rc *rawClaims) (*Token, error) {
	raw, err := s.rawToken(header)
	if err != nil {
		return nil, err
	}
	// The claims map for Token.Claims is built in the same walk that
	// verifies the payload (see rawClaims.public).
	rc.public = make(map[string]any, 8)
	typ, err := s.authToken(ctx, raw, rc)
	if err != nil {
		return nil, err
	}
	return &Token{Type: typ, Claims: rc.public}, nil
}

// Authenticate is JWTAuthentication: header is the value of the
// AuthHeaderName header ("" when absent). The user the token names must
// exist (ErrUserNotFound), be active when CHECK_USER_IS_ACTIVE
// (ErrUserInactive), pass the authentication rule (ErrUserInactive too: a
// deliberate addition, Simple JWT applies its rule only at obtain), and
// under CHECK_REVOKE_TOKEN still have the password the token was issued
// under (ErrPasswordChanged). A user id claim that is absent or neither a
// JSON string nor an integer fitting int64 is ErrNoUserClaim.
func (s *Service) Authenticate(ctx context.Context, header string) (sdk.User, *Token, error) {
	var rc rawClaims
	tok, err := s.headerToken(ctx, header, &rc)
	if err != nil {
		return sdk.User{}, nil, err
	}
	// A missing user id claim, or one that is neither a string nor an
	// int64 (object, list, bool, null, float, 2^80), identifies no user.
	id, ok := userIDOf(&rc)
	if !ok {
		return sdk.User{}, nil, ErrNoUserClaim
	}
	u, err := s.p.Users.LookupUser(ctx, s.set.UserIDField, id)
	if errors.Is(err, sdk.ErrUserNotFound) {
		return sdk.User{}, nil, ErrUserNotFound
	}
	if err != nil {
		return sdk.User{}, nil, pluginErr(err)
	}
	allowed, err := s.allowed(ctx, u)
	if err != nil {
		return sdk.User{}, nil, err
	}
	if !allowed {
		return sdk.User{}, nil, ErrUserInactive
	}
	if s.set.CheckRevokeToken && !s.revokeMatches(&rc, u) {
		return sdk.User{}, nil, ErrPasswordChanged
	}
	return u, tok, nil
}

// AuthenticateStateless is JWTStatelessUserAuthentication: the token user
// as JSON fields ("id" plus the claim serializer's TokenUser fields), with
// no user lookup. "id" is the user id claim as the token holds it; a claim
// that is absent or neither a JSON string nor an integer fitting int64 is
// ErrNoUserClaim, as in Authenticate.
func (s *Service) AuthenticateStateless(ctx context.Context, header string) (map[string]any, *Token, error) {
	var rc rawClaims
	tok, uid, err := s.statelessToken(ctx, header, &rc)
	if err != nil {
		return nil, nil, err
	}
	// The id keeps the claim's JSON type (string as 5.5 issues it, integer
	// as 5.2 did), exactly: the claims map holds numbers as float64, which
	// would round ids beyond 2^53.
	var id any = uid
	if _, isString := jsonString(rc.user); !isString {
		n, _ := strconv.ParseInt(uid, 10, 64) // userIDOf already parsed it
		id = n
	}
	fields := map[string]any{"id": id}
	if s.p.Claims != nil {
		extra, err := s.p.Claims.TokenUser(ctx, cloneClaims(tok.Claims))
		if err != nil {
			return nil, nil, pluginErr(err)
		}
		for k, v := range extra {
			if k != "id" {
				fields[k] = v
			}
		}
	}
	return fields, tok, nil
}

// statelessToken is the token and user id of JWTStatelessUserAuthentication,
// shared by AuthenticateStateless and Verifier.Authenticate so that both
// apply exactly one set of rules. As in Authenticate, a user id claim that
// is absent or neither a JSON string nor an integer fitting int64 is
// ErrNoUserClaim: an ill-typed id is never echoed.
func (s *Service) statelessToken(ctx context.Context, header string, rc *rawClaims) (*Token, string, error) {
	tok, err := s.headerToken(ctx, header, rc)
	if err != nil {
		return nil, "", err
	}
	uid, ok := userIDOf(rc)
	if !ok {
		return nil, "", ErrNoUserClaim
	}
	return tok, uid, nil
}
