// Package attacks generates hostile inputs for jwtd's tests: the RFC 8725
// and OWASP JWT attacks as tokens (Tokens), hostile request bodies
// (Bodies) and hostile Authorization headers (AuthHeaders). Core tests loop
// over the tokens calling the core directly; HTTP tests send them to the
// running API. A token case must be refused with a 4xx (401) by every
// endpoint its MustReject names — Simple JWT's verify is untyped and never
// reads the user id, so some claim cases are only attacks on the endpoints
// that read those claims — and no case may get a 5xx or write to a store
// beyond what the endpoint normally writes. Body cases must get 400, 401,
// 413 or 415. A case never says more than that, because the exact body
// depends on the endpoint.
//
// Each token case is built from the service's real key material so that it
// tests what it claims to: a case marked Signed carries a signature that
// verifies under the service's key and algorithm, so only claim and header
// checks can refuse it; the others are forged, stripped or malformed and
// must fail at the signature or the structure. Valid returns the control
// token the cases are derived from, which must be accepted: a test that
// does not check it could pass with a service that refuses everything.
package attacks
