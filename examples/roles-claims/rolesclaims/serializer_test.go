package rolesclaims_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/examples/roles-claims/rolesclaims"
	"github.com/jwtd/jwtd/sdk"
)

func newSerializer(t *testing.T, cfg sdk.Config) sdk.ClaimSerializer {
	t.Helper()
	s, err := rolesclaims.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// asJSON compares values the way they reach a client: as JSON.
func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	ann = sdk.User{ID: "1", Username: "ann", IsActive: true, Attributes: map[string]any{
		"roles": []any{"admin", "billing"}, "email": "ann@example.com", "groups": []any{"staff"}}}
	ben = sdk.User{ID: "2", Username: "ben", IsActive: true}
)

func TestTokenClaims(t *testing.T) {
	byGroups := newSerializer(t, sdk.Config{"roles_attribute": "groups"})
	def := newSerializer(t, nil)
	cases := []struct {
		name      string
		s         sdk.ClaimSerializer
		user      sdk.User
		tokenType string
		want      string
	}{
		{"pair", def, ann, "refresh", `{"email":"ann@example.com","roles":["admin","billing"]}`},
		{"sliding", def, ann, "sliding", `{"email":"ann@example.com","roles":["admin","billing"]}`},
		{"no attributes", def, ben, "refresh", `{"roles":[]}`},
		{"roles from groups", byGroups, ann, "refresh", `{"email":"ann@example.com","roles":["staff"]}`},
		{"in process []string", def, sdk.User{Attributes: map[string]any{"roles": []string{"x"}}}, "refresh", `{"roles":["x"]}`},
		{"lone string role", def, sdk.User{Attributes: map[string]any{"roles": "x"}}, "refresh", `{"roles":["x"]}`},
		{"odd values dropped", def, sdk.User{Attributes: map[string]any{"roles": []any{"x", 2.0, nil}, "email": 5.0}}, "refresh", `{"roles":["x"]}`},
		{"empty email dropped", def, sdk.User{Attributes: map[string]any{"email": ""}}, "refresh", `{"roles":[]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.s.TokenClaims(context.Background(), c.user, c.tokenType)
			if err != nil {
				t.Fatal(err)
			}
			if g := asJSON(t, got); g != c.want {
				t.Errorf("TokenClaims = %s, want %s", g, c.want)
			}
		})
	}
}

func TestResponseFields(t *testing.T) {
	s := newSerializer(t, nil)
	cases := []struct {
		name string
		user sdk.User
		want string
	}{
		{"with email", ann, `{"user":{"email":"ann@example.com","username":"ann"}}`},
		{"without email", ben, `{"user":{"email":"","username":"ben"}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.ResponseFields(context.Background(), c.user)
			if err != nil {
				t.Fatal(err)
			}
			if g := asJSON(t, got); g != c.want {
				t.Errorf("ResponseFields = %s, want %s", g, c.want)
			}
		})
	}
}

// TestTokenUserRoundTrip checks that what TokenClaims puts in a token comes
// back out of TokenUser.
func TestTokenUserRoundTrip(t *testing.T) {
	s := newSerializer(t, nil)
	cases := []struct {
		name   string
		claims map[string]any
		want   string
	}{
		{"token of ann", nil, `{"email":"ann@example.com","roles":["admin","billing"]}`},
		{"token without our claims", map[string]any{"user_id": "2"}, `{"roles":[]}`},
		{"garbled claims", map[string]any{"roles": 3.0, "email": []any{"x"}}, `{"roles":[]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			claims := c.claims
			if claims == nil {
				var err error
				if claims, err = s.TokenClaims(context.Background(), ann, "refresh"); err != nil {
					t.Fatal(err)
				}
				// The claims come back from a token as decoded JSON.
				if err := json.Unmarshal([]byte(asJSON(t, claims)), &claims); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.TokenUser(context.Background(), claims)
			if err != nil {
				t.Fatal(err)
			}
			if g := asJSON(t, got); g != c.want {
				t.Errorf("TokenUser = %s, want %s", g, c.want)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	cases := []struct {
		name    string
		cfg     sdk.Config
		wantMsg string
	}{
		{"unknown key", sdk.Config{"role_attribute": "groups"}, "role_attribute"},
		{"empty roles attribute", sdk.Config{"roles_attribute": ""}, "must not be empty"},
		{"empty email attribute", sdk.Config{"email_attribute": ""}, "must not be empty"},
		{"wrong type", sdk.Config{"email_attribute": true}, "email_attribute"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := rolesclaims.New(context.Background(), c.cfg)
			if !errors.Is(err, sdk.ErrInvalidConfig) || !strings.Contains(err.Error(), c.wantMsg) {
				t.Errorf("err = %v, want ErrInvalidConfig saying %q", err, c.wantMsg)
			}
		})
	}
}

// ExampleNew shows the claims the serializer adds for a user.
func ExampleNew() {
	s, err := rolesclaims.New(context.Background(), sdk.Config{"roles_attribute": "groups"})
	if err != nil {
		panic(err)
	}
	claims, _ := s.TokenClaims(context.Background(), sdk.User{ID: "7", Username: "ann",
		Attributes: map[string]any{"groups": []any{"ops"}, "email": "ann@example.com"}}, "refresh")
	b, _ := json.Marshal(claims)
	fmt.Println(string(b))
	// Output: {"email":"ann@example.com","roles":["ops"]}
}
