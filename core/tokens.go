package core

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/jwtd/jwtd/sdk"
)

// Token types, as their TOKEN_TYPE_CLAIM values.
const (
	TypeAccess  = "access"
	TypeRefresh = "refresh"
	TypeSliding = "sliding"
	// TypeUntyped is Simple JWT's UntypedToken: verify accepts any type.
	TypeUntyped = "untyped"
)

// TokenClass is the Simple JWT class name of a token type, as reported in
// the "messages" of ErrNoValidTokenType ("AccessToken", ...). A custom type
// is reported by its own name.
func TokenClass(tokenType string) string {
	switch tokenType {
	case TypeAccess:
		return "AccessToken"
	case TypeRefresh:
		return "RefreshToken"
	case TypeSliding:
		return "SlidingToken"
	case TypeUntyped:
		return "UntypedToken"
	}
	return tokenType
}

// newJTI is Simple JWT's jti: uuid4().hex, 32 lowercase hex digits.
func newJTI() (string, error) {
	u, err := uuid.NewRandom()
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(u[:]), nil
}

// RevokeClaim is the CHECK_REVOKE_TOKEN claim value for a stored password
// hash: uppercase hex MD5 of the hash string, as Simple JWT's
// get_md5_hash_password, so Django-issued tokens keep working.
func RevokeClaim(passwordHash string) string {
	sum := md5.Sum([]byte(passwordHash))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// newClaims starts a token of type typ at now: type, exp, iat and jti, as
// Simple JWT's Token() does.
func (s *Service) newClaims(typ string, now time.Time) (map[string]any, error) {
	jti, err := newJTI()
	if err != nil {
		return nil, err
	}
	m := make(map[string]any, 8)
	m[s.set.TokenTypeClaim] = typ
	s.stamp(m, typ, now)
	m[s.set.JTIClaim] = jti
	return m, nil
}

// stamp sets exp and iat for a token of type typ issued at now.
func (s *Service) stamp(m map[string]any, typ string, now time.Time) {
	sec := now.Unix()
	m["exp"] = sec + int64(s.c.types[typ]/time.Second)
	m["iat"] = sec
}

// userIDValue is the USER_ID_FIELD value of u as issued: always a string.
func (s *Service) userIDValue(u sdk.User) (string, error) {
	switch s.set.UserIDField {
	case "id":
		return u.ID, nil
	case "username":
		return u.Username, nil
	}
	v, ok := u.Attributes[s.set.UserIDField]
	if !ok || v == nil {
		return "", fmt.Errorf("user %q has no %q attribute (user_id_field)", u.ID, s.set.UserIDField)
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case float64:
		if v == float64(int64(v)) {
			return strconv.FormatInt(int64(v), 10), nil
		}
	case json.Number:
		return v.String(), nil
	}
	return fmt.Sprint(v), nil
}

// forUser is Token.for_user: a fresh token of type typ for u with the user
// id claim, the revoke claim, and the claim serializer's extra claims.
func (s *Service) forUser(ctx context.Context, u sdk.User, typ string, now time.Time) (map[string]any, error) {
	m, err := s.newClaims(typ, now)
	if err != nil {
		return nil, ErrUnavailable.With(err)
	}
	id, err := s.userIDValue(u)
	if err != nil {
		return nil, ErrUnavailable.With(err)
	}
	m[s.set.UserIDClaim] = id
	if s.set.CheckRevokeToken {
		m[s.set.RevokeTokenClaim] = RevokeClaim(u.PasswordHash)
	}
	if typ == TypeSliding {
		m[s.set.SlidingTokenRefreshExpClaim] = now.Unix() + int64(s.set.SlidingTokenRefreshLifetime/time.Second)
	}
	if err := s.serializerClaims(ctx, m, u, typ); err != nil {
		return nil, err
	}
	return m, nil
}

// serializerClaims adds the claim serializer's claims for u to m.
func (s *Service) serializerClaims(ctx context.Context, m map[string]any, u sdk.User, typ string) error {
	if s.p.Claims == nil {
		return nil
	}
	extra, err := s.p.Claims.TokenClaims(ctx, u, typ)
	if err != nil {
		return pluginErr(err)
	}
	for k, v := range extra {
		if s.ownedClaim(k) {
			return ErrUnavailable.With(fmt.Errorf("claim serializer tried to set %q, which the core owns", k))
		}
		m[k] = v
	}
	return nil
}

// reclaim rebuilds, at refresh, the claims of an old token that the core
// does not own: with a claim serializer configured they are dropped, and
// the serializer's claims for the user as they are NOW are added, so that a
// role taken away from a user leaves their tokens at the next refresh
// instead of being copied forward for ever. This is a deliberate difference
// from Simple JWT, which copies every claim of the old token. Without a
// claim serializer nothing is rebuilt and every claim is copied, as Simple
// JWT does (claims a Django serializer added stay).
func (s *Service) reclaim(ctx context.Context, claims map[string]any, u sdk.User, typ string) error {
	if s.p.Claims == nil {
		return nil
	}
	for k := range claims {
		if !s.ownedClaim(k) {
			delete(claims, k)
		}
	}
	return s.serializerClaims(ctx, claims, u, typ)
}

// ownedClaim reports claims only the core may set.
func (s *Service) ownedClaim(k string) bool {
	switch k {
	case "exp", "iat", "nbf", "aud", "iss", "jti", s.set.TokenTypeClaim, s.set.JTIClaim,
		s.set.UserIDClaim, s.set.RevokeTokenClaim, s.set.SlidingTokenRefreshExpClaim:
		return true
	}
	return false
}

// fullClaims decodes the whole payload for re-issuing, keeping numbers
// exact (json.Number), so copied claims round-trip unchanged.
func fullClaims(payload []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

// accessFrom is RefreshToken.access_token: every claim of the refresh token
// except type, exp, jti and iat, with a fresh type, exp, iat and jti.
func (s *Service) accessFrom(refresh map[string]any, now time.Time) (map[string]any, error) {
	m, err := s.newClaims(TypeAccess, now)
	if err != nil {
		return nil, err
	}
	for k, v := range refresh {
		switch k {
		case s.set.TokenTypeClaim, "exp", "jti", s.set.JTIClaim, "iat":
			continue
		}
		m[k] = v
	}
	s.clampToSession(m)
	return m, nil
}

// checkType is Token.verify after the backend: exp present, jti present,
// and (unless untyped) the type claim equal to want.
func (s *Service) checkType(rc *rawClaims, want string) error {
	if !rc.exp.set {
		return ErrTokenNoExp
	}
	if rc.jti == nil {
		return ErrTokenNoID
	}
	if want == TypeUntyped {
		return nil
	}
	if rc.typ == nil {
		return ErrTokenNoType
	}
	if !jsonStringIs(rc.typ, want) {
		return ErrTokenWrongType
	}
	return nil
}

// jtiOf is the token's jti as a string; a non-string jti (which Simple JWT
// would still look up) is used in its JSON form.
func jtiOf(rc *rawClaims) string {
	if s, ok := jsonString(rc.jti); ok {
		return s
	}
	return string(rc.jti)
}

// userIDOf is the user id claim as a lookup value: a JSON string, or an
// integer that fits int64 as Simple JWT 5.2 wrote it (in canonical decimal,
// so "-0" is "0"). ok is false when the claim is absent or any other value
// (object, list, bool, null, fraction, exponent, or an integer beyond
// int64 such as 2^80): such a claim identifies no user, and every operation
// that reads the user id refuses it rather than echo or look it up.
func userIDOf(rc *rawClaims) (string, bool) {
	if rc.user == nil {
		return "", false
	}
	if s, ok := jsonString(rc.user); ok {
		return s, true
	}
	if jsonInteger(rc.user) {
		v, err := strconv.ParseInt(string(rc.user), 10, 64)
		if err != nil {
			return "", false
		}
		return strconv.FormatInt(v, 10), true
	}
	return "", false
}

// record is what the blacklist store keeps of a token.
func (s *Service) record(rc *rawClaims, typ string) sdk.TokenRecord {
	uid, _ := userIDOf(rc)
	refreshExp, hasRefreshExp := int64(0), false
	if rc.refreshExp != nil {
		var re numClaim
		if numericDate(rc.refreshExp, &re) == nil {
			refreshExp, hasRefreshExp = int64(re.v), true
		}
	}
	r := sdk.TokenRecord{JTI: jtiOf(rc), UserID: uid, TokenType: typ,
		ExpiresAt: s.retainUntil(typ, int64(rc.exp.v), refreshExp, hasRefreshExp)}
	if rc.iat.set {
		r.IssuedAt = time.Unix(int64(rc.iat.v), 0)
	}
	return r
}

// recordOf is record for a token the core just built.
func (s *Service) recordOf(m map[string]any, typ string) sdk.TokenRecord {
	r := sdk.TokenRecord{TokenType: typ}
	r.JTI, _ = m[s.set.JTIClaim].(string)
	switch v := m[s.set.UserIDClaim].(type) {
	case string:
		r.UserID = v
	case json.Number:
		r.UserID = v.String()
	}
	refreshExp, hasRefreshExp := m[s.set.SlidingTokenRefreshExpClaim]
	r.ExpiresAt = s.retainUntil(typ, asInt(m["exp"]), asInt(refreshExp), hasRefreshExp)
	r.IssuedAt = time.Unix(asInt(m["iat"]), 0)
	return r
}

// retainUntil is the TokenRecord.ExpiresAt the core hands every blacklist
// store: the last instant at which some copy of the token can still be
// accepted, so that no store drops a blacklist entry while the token it
// revokes still works. The core decides it once, for every store:
//
//   - Any token is accepted until exp + LEEWAY (checkRegistered).
//   - A sliding token is refreshed with its jti kept and a new exp, while
//     refresh_exp + LEEWAY has not passed; the freshest copy therefore
//     expires before refresh_exp + LEEWAY + SLIDING_TOKEN_LIFETIME and is
//     accepted LEEWAY longer. Blacklisting any copy must outlive them all.
//
// The result never exceeds maxNumericDate, the latest time every store
// represents (it is reached only by tokens expiring in year 9999).
func (s *Service) retainUntil(typ string, exp, refreshExp int64, hasRefreshExp bool) time.Time {
	lw := int64(math.Ceil(s.c.leeway))
	until := exp + lw
	if typ == TypeSliding && hasRefreshExp {
		if last := refreshExp + 2*lw + int64(s.set.SlidingTokenLifetime/time.Second); last > until {
			until = last
		}
	}
	return time.Unix(min(until, maxNumericDate), 0)
}

func asInt(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case json.Number:
		i, _ := v.Int64()
		return i
	}
	return 0
}

// jsonValue decodes one valid JSON value as encoding/json does into any.
func jsonValue(val []byte) (any, error) {
	switch c := val[0]; {
	case c == '"':
		if s, ok := jsonString(val); ok {
			return s, nil
		}
	case c == 't':
		return true, nil
	case c == 'f':
		return false, nil
	case c == 'n':
		return nil, nil
	case c == '-' || c >= '0' && c <= '9':
		if f, err := strconv.ParseFloat(string(val), 64); err == nil {
			return f, nil
		}
	}
	var v any
	if err := json.Unmarshal(val, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// cloneClaims copies a claims map so callers cannot alias service state.
func cloneClaims(m map[string]any) map[string]any { return maps.Clone(m) }
