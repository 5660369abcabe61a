package sdk

import "context"

// ClaimSerializer covers Simple JWT's serializer settings, TOKEN_USER_CLASS
// and JSON_ENCODER: what is added to tokens and obtain responses, and how a
// token's claims look as a user without a lookup.
type ClaimSerializer interface {
	// TokenClaims returns extra claims for the tokens issued to user at obtain
	// (tokenType "refresh" for a pair, whose access token inherits them, or
	// "sliding"), and again at every refresh and sliding refresh: the core
	// rebuilds these claims from the user as they are then, so a role taken
	// away does not outlive the next refresh. Claims the core owns (token type, exp, iat, jti, the user id
	// claim, the revoke claim, aud, iss) cannot be overridden: the core
	// refuses such a result.
	TokenClaims(ctx context.Context, user User, tokenType string) (map[string]any, error)

	// ResponseFields returns extra fields for an obtain response (pair or
	// sliding) beside "access"/"refresh"/"token", which it cannot override.
	ResponseFields(ctx context.Context, user User) (map[string]any, error)

	// TokenUser returns the fields of the stateless token user (Simple JWT's
	// TokenUser) built from a validated token's claims. The core always sets
	// "id" from the user id claim; fields returned here are added beside it.
	TokenUser(ctx context.Context, claims map[string]any) (map[string]any, error)
}
