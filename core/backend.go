package core

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// The signing backend: Simple JWT's TokenBackend on golang-jwt/jwt/v5's
// signing methods. The core decodes the compact serialization itself, with
// checks golang-jwt's parser does not make (duplicate keys, exact segment
// syntax, crit), and hands the signature to the golang-jwt SigningMethod of
// the configured algorithm: the token's "alg" must equal it exactly, so
// "none" or HMAC-with-a-public-key cannot be chosen by a token.

// maxTokenLen bounds the work one token can cause: 16 KiB, some 40 times a
// typical token with a few custom claims, and far below the request-size
// limits a front proxy applies. Longer tokens are ErrTokenInvalid before any
// decoding.
const maxTokenLen = 16 << 10

// b64strict decodes segments: base64url, no padding, canonical trailing bits.
var b64strict = base64.RawURLEncoding.Strict()

var (
	errSegments   = errors.New("token must have exactly three segments")
	errTooLong    = errors.New("token too long")
	errBase64     = errors.New("segment is not unpadded base64url")
	errAlg        = errors.New("token alg is not the configured algorithm")
	errCrit       = errors.New("token has a crit header, and no extension is understood")
	errClaimType  = errors.New("claim has the wrong JSON type")
	errNotYet     = errors.New("token is not yet valid")
	errAudience   = errors.New("token audience does not match")
	errIssuer     = errors.New("token issuer does not match")
	errHeaderType = errors.New("header member has the wrong JSON type")
	errJTI        = errors.New("jti claim is not a non-empty string")
	errDateRange  = errors.New("numeric date outside years 1 to 9999")
)

// The NumericDates the core accepts: years 1 to 9999 UTC, what Python's
// datetime (and so a Django token_blacklist table), SQL DATETIME columns,
// Redis expiry times and Go's time.Unix all represent. A date beyond (exp =
// 1e20) is refused as ErrTokenInvalid when the token is decoded, so that no
// store ever has to convert, clamp or overflow on it.
const (
	minNumericDate = -62135596800 // 0001-01-01T00:00:00Z
	maxNumericDate = 253402300799 // 9999-12-31T23:59:59Z
)

// numClaim is a NumericDate claim: seconds since the epoch.
type numClaim struct {
	v   float64
	set bool
}

// rawClaims are the claims the core reads, as raw JSON values pointing into
// payload (nil when absent), plus the payload for a full decode later.
type rawClaims struct {
	payload       []byte
	exp, nbf, iat numClaim
	aud, iss      []byte
	typ, jti      []byte
	user, revoke  []byte
	refreshExp    []byte
	// sid and authTime are the session claims, read when Sessions is on.
	sid      []byte
	authTime numClaim
	// public, when the caller sets it to an empty map before decode, is
	// filled with every claim as encoding/json would decode it into
	// map[string]any, in the same walk that reads the claims above, so the
	// authenticate path does not scan the payload twice.
	public map[string]any
}

// bytesOf views s as bytes without copying; callers only read.
func bytesOf(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// decodeSegment decodes a base64url segment into buf when it fits.
func decodeSegment(seg string, buf []byte) ([]byte, error) {
	if seg == "" {
		return nil, errBase64
	}
	n := b64strict.DecodedLen(len(seg))
	if n > len(buf) {
		buf = make([]byte, n)
	}
	n, err := b64strict.Decode(buf, bytesOf(seg))
	if err != nil {
		return nil, errBase64
	}
	return buf[:n], nil
}

// header is what the core reads of a JOSE header. jwk, jku, x5u and x5c are
// deliberately ignored: keys never come from the token.
type header struct {
	alg, kid []byte
	crit     bool
}

func parseHeader(d []byte) (header, error) {
	var h header
	err := walkObject(d, func(key, val []byte) error {
		switch string(key) {
		case "alg":
			if val[0] != '"' {
				return errHeaderType
			}
			h.alg = val
		case "kid":
			if val[0] != '"' {
				return errHeaderType
			}
			h.kid = val
		case "crit":
			h.crit = true
		}
		return nil
	})
	return h, err
}

// decode verifies token's syntax, algorithm, signature and registered
// claims (exp, nbf, iat, aud, iss) and fills rc. Failures are
// ErrTokenExpired or ErrTokenInvalid, as Simple JWT's backend reports them.
func (s *Service) decode(ctx context.Context, token string, rc *rawClaims) error {
	if len(token) > maxTokenLen {
		return ErrTokenInvalid.With(errTooLong)
	}
	d1 := strings.IndexByte(token, '.')
	if d1 < 0 {
		return ErrTokenInvalid.With(errSegments)
	}
	d2 := strings.IndexByte(token[d1+1:], '.')
	if d2 < 0 {
		return ErrTokenInvalid.With(errSegments)
	}
	d2 += d1 + 1
	if strings.IndexByte(token[d2+1:], '.') >= 0 {
		return ErrTokenInvalid.With(errSegments)
	}
	// The strict decoder refuses every byte outside the base64url alphabet
	// (padding, '+', '/', spaces, NUL, non-ASCII) except CR and LF, which
	// encoding/base64 skips by design; refusing those here makes the
	// alphabet check exact for all three segments (RFC 7515 §2), so no
	// two spellings of one token verify.
	if strings.IndexByte(token, '\n') >= 0 || strings.IndexByte(token, '\r') >= 0 {
		return ErrTokenInvalid.With(errBase64)
	}

	var hbuf [256]byte
	hd, err := decodeSegment(token[:d1], hbuf[:])
	if err != nil {
		return ErrTokenInvalid.With(err)
	}
	h, err := parseHeader(hd)
	if err != nil {
		return ErrTokenInvalid.With(err)
	}
	if h.crit {
		return ErrTokenInvalid.With(errCrit)
	}
	alg, key := s.c.keys.method, s.c.keys.verify
	if s.jwks == nil {
		// The kid picks a key of the ring, and with it the one algorithm
		// the token may use; the token never picks an algorithm itself.
		if alg, key, err = s.c.keys.verifyKey(h, s.now); err != nil {
			return ErrTokenInvalid.With(err)
		}
	}
	if !jsonStringIs(h.alg, alg.name) {
		return ErrTokenInvalid.With(errAlg)
	}
	if s.jwks != nil {
		kid := ""
		if h.kid != nil {
			kid, _ = jsonString(h.kid)
		}
		if key, err = s.jwks.key(ctx, kid); err != nil {
			return ErrTokenInvalid.With(err)
		}
	}

	// The signature escapes into the SigningMethod interface call, so it is
	// allocated at its exact size rather than in a stack buffer.
	sig, err := decodeSegment(token[d2+1:], nil)
	if err != nil {
		return ErrTokenInvalid.With(err)
	}
	if err := alg.method.Verify(token[:d2], sig, key); err != nil {
		return ErrTokenInvalid.With(err)
	}

	payload, err := decodeSegment(token[d1+1:d2], nil)
	if err != nil {
		return ErrTokenInvalid.With(err)
	}
	rc.payload = payload
	if err := walkObject(payload, func(key, val []byte) error { return s.readClaim(rc, key, val) }); err != nil {
		return ErrTokenInvalid.With(err)
	}
	return s.checkRegistered(rc)
}

// readClaim stores the claims the core reads. exp, nbf and iat must be
// numbers; aud a string or list of strings; iss a string; the jti, when
// present, a non-empty string (it is the blacklist key: a number or object
// would be looked up and recorded under a spelling no issued token has).
func (s *Service) readClaim(rc *rawClaims, key, val []byte) error {
	var date *numClaim
	switch string(key) {
	case "exp":
		date = &rc.exp
	case "nbf":
		date = &rc.nbf
	case "iat":
		date = &rc.iat
	case "aud":
		rc.aud = val
	case "iss":
		rc.iss = val
	}
	if date != nil {
		if err := numericDate(val, date); err != nil {
			return err
		}
	} else {
		if err := s.readNamedClaim(rc, key, val); err != nil {
			return err
		}
	}
	if rc.public == nil {
		return nil
	}
	var v any
	if date != nil && len(val) <= 15 && jsonInteger(val) {
		// Already parsed, and exact: 15 digits are below 2^53.
		v = date.v
	} else {
		var err error
		if v, err = s.claimValue(key, val); err != nil {
			return err
		}
	}
	rc.public[s.claimKey(key)] = v
	return nil
}

// readNamedClaim stores the claims whose names are settings.
func (s *Service) readNamedClaim(rc *rawClaims, key, val []byte) error {
	// Configurable names may coincide with each other's defaults only in
	// ways Validate allows; each is matched independently.
	switch string(key) {
	case s.set.TokenTypeClaim:
		rc.typ = val
	}
	switch string(key) {
	case s.set.JTIClaim:
		// `""` is the empty string; any other value not starting with a
		// quote is not a string. The walker has validated the string.
		if len(val) <= 2 || val[0] != '"' {
			return errJTI
		}
		rc.jti = val
	}
	switch string(key) {
	case s.set.UserIDClaim:
		rc.user = val
	}
	switch string(key) {
	case s.set.RevokeTokenClaim:
		rc.revoke = val
	}
	switch string(key) {
	case s.set.SlidingTokenRefreshExpClaim:
		rc.refreshExp = val
	}
	if s.set.Sessions {
		switch string(key) {
		case s.set.SessionIDClaim:
			rc.sid = val
		case AuthTimeClaim:
			if err := numericDate(val, &rc.authTime); err != nil {
				return err
			}
		}
	}
	return nil
}

// claimKey is key as a string, without allocating for the names nearly
// every token carries (the authenticate hot path builds a map per request).
func (s *Service) claimKey(key []byte) string {
	switch string(key) {
	case "exp":
		return "exp"
	case "iat":
		return "iat"
	case "nbf":
		return "nbf"
	case s.set.TokenTypeClaim:
		return s.set.TokenTypeClaim
	case s.set.JTIClaim:
		return s.set.JTIClaim
	case s.set.UserIDClaim:
		return s.set.UserIDClaim
	}
	return string(key)
}

// claimValue is jsonValue, without allocating for the built-in token type
// names.
func (s *Service) claimValue(key, val []byte) (any, error) {
	if string(key) == s.set.TokenTypeClaim {
		for _, t := range [...]string{TypeAccess, TypeRefresh, TypeSliding} {
			if jsonStringIs(val, t) {
				return t, nil
			}
		}
	}
	return jsonValue(val)
}

// numericDate parses a JSON number, truncated to whole seconds as PyJWT's
// int() does, and refuses dates outside [minNumericDate, maxNumericDate].
func numericDate(val []byte, n *numClaim) error {
	c := val[0]
	if c != '-' && (c < '0' || c > '9') {
		return errClaimType
	}
	var v float64
	if jsonInteger(val) && len(val) <= 18 {
		i, err := strconv.ParseInt(string(val), 10, 64)
		if err != nil {
			return errClaimType
		}
		v = float64(i)
	} else {
		f, err := strconv.ParseFloat(string(val), 64)
		if err != nil || math.IsInf(f, 0) {
			return errClaimType
		}
		v = math.Trunc(f)
	}
	if v < minNumericDate || v > maxNumericDate {
		return errDateRange
	}
	n.v, n.set = v, true
	return nil
}

// checkRegistered applies PyJWT's checks: exp (a token whose exp equals now
// is expired), iat and nbf not in the future, each with leeway; aud and iss
// when configured.
func (s *Service) checkRegistered(rc *rawClaims) error {
	now := s.nowSeconds()
	lw := s.c.leeway
	if rc.exp.set && rc.exp.v <= now-lw {
		return ErrTokenExpired
	}
	if rc.iat.set && rc.iat.v > now+lw {
		return ErrTokenInvalid.With(errNotYet)
	}
	if rc.nbf.set && rc.nbf.v > now+lw {
		return ErrTokenInvalid.With(errNotYet)
	}
	if s.set.Issuer != "" && (rc.iss == nil || !jsonStringIs(rc.iss, s.set.Issuer)) {
		return ErrTokenInvalid.With(errIssuer)
	}
	if len(s.c.aud) > 0 && !s.audienceMatches(rc.aud) {
		return ErrTokenInvalid.With(errAudience)
	}
	return nil
}

// audienceMatches: the token's aud (a string or a list of strings) must
// share a value with AUDIENCE, as PyJWT checks it.
func (s *Service) audienceMatches(raw []byte) bool {
	if raw == nil {
		return false
	}
	if raw[0] == '"' {
		v, ok := jsonString(raw)
		return ok && s.wantsAudience(v)
	}
	var list []any
	if err := json.Unmarshal(raw, &list); err != nil {
		return false
	}
	match := false
	for _, a := range list {
		v, ok := a.(string)
		if !ok {
			return false // PyJWT: "Invalid claim format in token"
		}
		match = match || s.wantsAudience(v)
	}
	return match
}

func (s *Service) wantsAudience(v string) bool {
	for _, a := range s.c.aud {
		if a == v {
			return true
		}
	}
	return false
}

// nowSeconds is the clock as fractional epoch seconds, as PyJWT compares.
func (s *Service) nowSeconds() float64 {
	t := s.now()
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// encodedHeader is the fixed base64url JOSE header of issued tokens:
// {"alg":…,"typ":"JWT"} as PyJWT writes it, plus the signing key's kid
// (which PyJWT ignores without JWK_URL) so a verifier can pick the key.
func encodedHeader(ks *keySet) string {
	h := map[string]string{"alg": ks.method.name, "typ": "JWT"}
	// Every key has a kid (HMAC ones too), so verification can pick the
	// key that signed a token after a rotation.
	if ks.kid != "" {
		h["kid"] = ks.kid
	}
	b, _ := json.Marshal(h)
	return b64.EncodeToString(b)
}

// sign encodes claims as a compact JWS with the configured algorithm. aud
// and iss are set from settings, overriding the payload, as Simple JWT's
// backend does.
func (s *Service) sign(claims map[string]any) (string, error) {
	if len(s.c.aud) == 1 {
		claims["aud"] = s.c.aud[0]
	} else if len(s.c.aud) > 1 {
		claims["aud"] = s.c.aud
	}
	if s.set.Issuer != "" {
		claims["iss"] = s.set.Issuer
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	buf := make([]byte, 0, len(s.hdr)+2+b64.EncodedLen(len(payload))+b64.EncodedLen(132))
	buf = append(buf, s.hdr...)
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, payload)
	sig, err := s.c.keys.method.method.Sign(string(buf), s.c.keys.sign)
	if err != nil {
		return "", err
	}
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, sig)
	return string(buf), nil
}
