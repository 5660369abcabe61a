package sdktest

import (
	"context"
	"testing"

	"github.com/jwtd/jwtd/sdk"
)

// ClaimSerializerCase is one input and the output the serializer must give.
// A nil Want map means "nothing extra" (nil and empty are equal).
type ClaimSerializerCase struct {
	Name string
	// User goes to TokenClaims (for "refresh" and "sliding") and
	// ResponseFields.
	User               sdk.User
	WantTokenClaims    map[string]any
	WantResponseFields map[string]any
	// Claims go to TokenUser.
	Claims        map[string]any
	WantTokenUser map[string]any
}

// reservedClaims are the claims the core owns under default settings; a
// serializer returning one is refused by the core at obtain.
var reservedClaims = []string{"token_type", "exp", "iat", "jti", "user_id", "aud", "iss", "refresh_exp"}

// reservedFields are obtain response fields a serializer cannot set.
var reservedFields = []string{"access", "refresh", "token"}

// TestClaimSerializer runs each case against s and checks that no result
// takes a claim or field the core owns.
func TestClaimSerializer(t *testing.T, s sdk.ClaimSerializer, cases []ClaimSerializerCase) {
	ctx := context.Background()
	if len(cases) == 0 {
		t.Fatal("TestClaimSerializer needs at least one case")
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			for _, tokenType := range []string{"refresh", "sliding"} {
				got, err := s.TokenClaims(ctx, tc.User, tokenType)
				if err != nil {
					t.Fatalf("TokenClaims(%s): %v", tokenType, err)
				}
				for _, k := range reservedClaims {
					if _, ok := got[k]; ok {
						t.Fatalf("TokenClaims(%s) sets %q, which the core owns", tokenType, k)
					}
				}
				if !jsonEqual(t, got, tc.WantTokenClaims) {
					t.Fatalf("TokenClaims(%s) = %s, want %s", tokenType, canonical(t, got), canonical(t, tc.WantTokenClaims))
				}
			}
			fields, err := s.ResponseFields(ctx, tc.User)
			if err != nil {
				t.Fatalf("ResponseFields: %v", err)
			}
			for _, k := range reservedFields {
				if _, ok := fields[k]; ok {
					t.Fatalf("ResponseFields sets %q, which the core owns", k)
				}
			}
			if !jsonEqual(t, fields, tc.WantResponseFields) {
				t.Fatalf("ResponseFields = %s, want %s", canonical(t, fields), canonical(t, tc.WantResponseFields))
			}
			tu, err := s.TokenUser(ctx, tc.Claims)
			if err != nil {
				t.Fatalf("TokenUser: %v", err)
			}
			if !jsonEqual(t, tu, tc.WantTokenUser) {
				t.Fatalf("TokenUser = %s, want %s", canonical(t, tu), canonical(t, tc.WantTokenUser))
			}
		})
	}
}

// DefaultClaimSerializerCases are the results of a serializer that adds
// nothing (jwtd's default).
var DefaultClaimSerializerCases = []ClaimSerializerCase{
	{
		Name:   "plain user",
		User:   sdk.User{ID: "1", Username: "alice", IsActive: true},
		Claims: map[string]any{"user_id": "1", "token_type": "access", "exp": int64(2000000000), "jti": "abc"},
	},
	{
		Name: "user with attributes",
		User: sdk.User{ID: "2", Username: "bob", IsActive: true,
			Attributes: map[string]any{"email": "bob@example.com", "roles": []any{"admin"}}},
		Claims: map[string]any{"user_id": "2", "token_type": "access", "email": "bob@example.com"},
	},
}
