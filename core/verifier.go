package core

import "context"

// Verifier checks tokens exactly as a Service's stateless authentication
// does (JWTStatelessUserAuthentication), with no users, storage or private
// key: what a resource server needs to trust jwtd's tokens locally. Package
// resource builds its HTTP middleware on it. It is safe for concurrent use.
//
// The rules are the Service's own, by construction (one code path): the
// algorithm pinned by the key (never by the token), strict decoding, exp,
// nbf and iat with LEEWAY, AUDIENCE and ISSUER, AUTH_TOKEN_CLASSES by
// TOKEN_TYPE_CLAIM, AUTH_HEADER_TYPES, and the user id claim's type. What it
// cannot check is what needs jwtd's stores: the blacklist, the user's
// existence and state, and a changed password (ask jwtd's authenticate
// endpoint for those).
type Verifier struct {
	s *Service
}

// NewVerifier validates settings as New does, except that no private key is
// needed: an asymmetric key needs only its VerifyingKey (or JWKURL, with
// WithJWKSFetcher), and a key ring needs no signing key (tokens without a
// kid are then refused). HMAC needs the shared secret as SigningKey.
func NewVerifier(settings Settings, opts ...Option) (*Verifier, error) {
	s, err := newService(settings, Plugins{}, true, opts)
	if err != nil {
		return nil, err
	}
	return &Verifier{s: s}, nil
}

// TokenUser is the user a verified token names, without a store lookup.
type TokenUser struct {
	// ID is the user id claim: a JSON string as it is, an integer (as
	// Simple JWT 5.2 issued it) in decimal.
	ID string
	// Token is the verified token: the type it was accepted as and every
	// claim.
	Token *Token
}

// Authenticate verifies the token in header (the value of the
// AuthHeaderName header, "" when absent) with AuthenticateStateless's rules
// and errors: ErrNotAuthenticated without a token, ErrBadAuthHeader for a
// malformed header, ErrNoValidTokenType (with one message per accepted
// type) for a token valid as none, ErrNoUserClaim without a usable user id.
func (v *Verifier) Authenticate(ctx context.Context, header string) (TokenUser, error) {
	var rc rawClaims
	tok, uid, err := v.s.statelessToken(ctx, header, &rc)
	if err != nil {
		return TokenUser{}, err
	}
	return TokenUser{ID: uid, Token: tok}, nil
}

// Settings returns the validated settings in force.
func (v *Verifier) Settings() Settings { return v.s.Settings() }
