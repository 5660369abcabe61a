package core

// WalkObject exposes the strict JSON walker to the external fuzz test.
var WalkObject = walkObject

// ClaimRuleErrors are the refusals of PublicClaims that are token rules
// (exp/nbf/iat not numbers, jti not a non-empty string), not JSON decoding
// differences.
var ClaimRuleErrors = []error{errClaimType, errJTI}

// PublicClaims builds Token.Claims from payload exactly as decode does for
// the authenticate operations (rawClaims.public, filled in the claims walk),
// under the default settings, for the external fuzz test.
func PublicClaims(payload []byte) (map[string]any, error) {
	s := &Service{set: DefaultSettings()}
	rc := rawClaims{public: make(map[string]any, 8)}
	if err := walkObject(payload, func(k, v []byte) error { return s.readClaim(&rc, k, v) }); err != nil {
		return nil, err
	}
	return rc.public, nil
}
