package rolesclaims_test

import (
	"context"
	"testing"

	"github.com/jwtd/jwtd/examples/roles-claims/rolesclaims"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// conformanceCases are the serializer's results with its default config.
var conformanceCases = []sdktest.ClaimSerializerCase{
	{
		Name: "user with roles and email",
		User: sdk.User{ID: "1", Username: "ann", IsActive: true,
			Attributes: map[string]any{"roles": []any{"admin"}, "email": "ann@example.com"}},
		WantTokenClaims:    map[string]any{"roles": []any{"admin"}, "email": "ann@example.com"},
		WantResponseFields: map[string]any{"user": map[string]any{"username": "ann", "email": "ann@example.com"}},
		Claims:             map[string]any{"user_id": "1", "token_type": "access", "roles": []any{"admin"}, "email": "ann@example.com"},
		WantTokenUser:      map[string]any{"roles": []any{"admin"}, "email": "ann@example.com"},
	},
	{
		Name:               "plain user, token from before",
		User:               sdk.User{ID: "2", Username: "ben", IsActive: true},
		WantTokenClaims:    map[string]any{"roles": []any{}},
		WantResponseFields: map[string]any{"user": map[string]any{"username": "ben", "email": ""}},
		Claims:             map[string]any{"user_id": "2", "token_type": "access", "exp": int64(2000000000)},
		WantTokenUser:      map[string]any{"roles": []any{}},
	},
}

func TestConformance(t *testing.T) {
	s, err := rolesclaims.New(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sdktest.TestClaimSerializer(t, s, conformanceCases)
}
