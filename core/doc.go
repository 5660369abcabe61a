// Package core is jwtd's token core: Simple JWT's settings, token types,
// signing backend and operations (obtain, refresh, verify, blacklist,
// sliding tokens, request authentication), independent of any transport.
// It reaches users and storage only through the sdk interfaces, and imports
// no HTTP, RPC or storage package (JWK_URL is fetched through an injected
// JWKSFetcher; see package core/jwkshttp).
//
// Build a Service with New from Settings (DefaultSettings, then the
// operator's values; key material resolved with ResolveKey) and Plugins.
// Every failure a client may see is an *Error carrying Simple JWT's detail
// and code, matched with errors.Is against the sentinels in errors.go; a
// failing plugin is always ErrUnavailable (fail closed, never a success).
//
// Where jwtd deliberately differs from Simple JWT 5.5:
//   - verify checks the blacklist whenever a blacklist store is configured;
//   - refresh (and sliding refresh) re-check that the user exists, passes the
//     authentication rule, and under CHECK_REVOKE_TOKEN kept the password;
//   - Authenticate applies the authentication rule too, refusing with
//     ErrUserInactive;
//   - no token is minted for a user the rule refuses (IssueFor included);
//   - rotation with BLACKLIST_AFTER_ROTATION consumes the old refresh token
//     atomically (sdk.BlacklistStore.Blacklist), so of concurrent refreshes
//     with one token exactly one succeeds;
//   - where Simple JWT crashes (refresh token without jti, a non-numeric user
//     id against an integer key, a deleted user on refresh) the answer is a
//     401-kind error;
//   - decoding is stricter than PyJWT: at most 16 KiB, exactly three
//     unpadded base64url segments with no byte outside the alphabet in any
//     of them (CR and LF included, which Go's and Python's decoders skip),
//     header and payload valid UTF-8, no duplicate JSON keys in header or
//     payload (top level), exp/nbf/iat must be JSON numbers (1e400 is not),
//     any "crit" header is refused, and jwk/jku/x5u/x5c headers are ignored
//     (keys never come from a token; kid only selects a key of the ring or
//     of JWK_URL's set, as a map key, never a file or query). All of these
//     are ErrTokenInvalid;
//   - a jti that is present but not a non-empty JSON string is
//     ErrTokenInvalid for every operation, verify included (Simple JWT
//     would look up or record whatever value it holds);
//   - the user id claim must be a JSON string or an integer that fits int64
//     (as Simple JWT 5.2 issued them). Anything else (object, list, bool,
//     null, fraction, exponent, 2^80) identifies no user: Authenticate and
//     AuthenticateStateless answer ErrNoUserClaim, as for a missing claim
//     (stateless never echoes such a value); Refresh and RefreshSliding
//     answer ErrNoActiveAccountForToken, the answer Simple JWT 5.5's refresh
//     serializer gives when the token's user fails its check (it would
//     crash on the lookup instead);
//   - Blacklist, like TokenBlacklistView, takes refresh tokens only (sliding
//     is ErrTokenWrongType); BlacklistAny, for the operator's CLI, also
//     takes sliding tokens;
//   - an asymmetric algorithm without VERIFYING_KEY (and without JWK_URL) is
//     refused at start rather than derived from the private key, and a
//     verifying key that is not the signing key's public half is refused too;
//   - keys form a ring (Settings.Keys: one signing, others verify-only or
//     retired, each with a kid and its own pinned algorithm); every issued
//     token names its key in "kid" (by default an asymmetric key's RFC 7638
//     thumbprint, matching the document JWKS returns, or a digest of an
//     HMAC secret), verification picks the key by kid, and a token without
//     one (as Simple JWT issues them) is verified with the signing key;
//   - Verifier applies AuthenticateStateless's rules with no stores and no
//     private key, for resource servers (package resource);
//   - refresh and sliding refresh rebuild the claim serializer's claims from
//     the user as they are now (a role taken away leaves the tokens at the
//     next refresh); Simple JWT copies every claim of the old token. Without
//     a claim serializer every claim is still copied;
//   - CHECK_USER_IS_ACTIVE still applies when a custom authentication rule
//     is configured (the rule then decides among active users); Simple JWT's
//     custom rule replaces it. Set check_user_is_active = false to leave the
//     decision to the rule alone;
//   - exp, nbf, iat and refresh_exp beyond years 1 to 9999 are
//     ErrTokenInvalid, so no store converts an absurd date;
//   - blacklist entries are kept until no copy of the token can be accepted
//     (exp + LEEWAY; for sliding tokens refresh_exp + the sliding lifetime +
//     twice LEEWAY), decided here and handed to every store as
//     sdk.TokenRecord.ExpiresAt;
//   - BLACKLIST_AFTER_ROTATION without a blacklist store is refused at start;
//   - JWK_URL must be https, redirects included, and its keys are served at
//     most JWKMaxStale after their last successful fetch;
//   - with Settings.Sessions (off by default, needs sdk.SessionStore) every
//     login starts a session (token family, sessions.go): its tokens carry
//     the session id and auth_time, rotation goes through the store's
//     atomic RotateSession, a rotated token presented again revokes the
//     session (outside ReuseInterval; within it the same child is issued
//     again), SessionAbsoluteLifetime caps every exp, and Logout,
//     RevokeUser, Sessions and EndSession end sessions; RevokeAccessTokens
//     makes every authenticated token pass SessionState too.
package core
