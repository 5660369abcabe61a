package allowlist_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/examples/allowlist-rule/allowlist"
	"github.com/jwtd/jwtd/sdk"
)

func TestAllow(t *testing.T) {
	rule, err := allowlist.New(context.Background(), sdk.Config{"allow": []any{"staff", "ops"}})
	if err != nil {
		t.Fatal(err)
	}
	emailRule, err := allowlist.New(context.Background(), sdk.Config{"attribute": "email", "allow": []any{"root@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		rule  sdk.AuthRule
		user  sdk.User
		allow bool
	}{
		{"staff member", rule, active(map[string]any{"groups": []any{"dev", "staff"}}), true},
		{"ops member", rule, active(map[string]any{"groups": []any{"ops"}}), true},
		{"in process []string", rule, active(map[string]any{"groups": []string{"ops"}}), true},
		{"single string value", rule, active(map[string]any{"groups": "staff"}), true},
		{"inactive staff member", rule, sdk.User{ID: "1", Attributes: map[string]any{"groups": []any{"staff"}}}, false},
		{"other groups only", rule, active(map[string]any{"groups": []any{"dev", "sales"}}), false},
		{"no groups", rule, active(map[string]any{"groups": []any{}}), false},
		{"no attribute", rule, active(nil), false},
		{"case differs", rule, active(map[string]any{"groups": []any{"Staff"}}), false},
		{"non-string values ignored", rule, active(map[string]any{"groups": []any{1.0, true, nil, map[string]any{"staff": true}}}), false},
		{"number attribute", rule, active(map[string]any{"groups": 7.0}), false},
		{"value in another attribute", rule, active(map[string]any{"roles": []any{"staff"}}), false},
		{"configured attribute", emailRule, active(map[string]any{"email": "root@example.com", "groups": []any{"staff"}}), true},
		{"configured attribute mismatch", emailRule, active(map[string]any{"email": "eve@example.com", "groups": []any{"staff"}}), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.rule.Allow(context.Background(), c.user)
			if err != nil || got != c.allow {
				t.Fatalf("Allow = %v, %v; want %v", got, err, c.allow)
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
		{"no allow-list", sdk.Config{}, `"allow" must list at least one value`},
		{"empty allow-list", sdk.Config{"allow": []any{}}, `"allow" must list at least one value`},
		{"empty value", sdk.Config{"allow": []any{"staff", ""}}, "empty value"},
		{"empty attribute", sdk.Config{"attribute": "", "allow": []any{"staff"}}, `"attribute" is empty`},
		{"unknown key", sdk.Config{"allow": []any{"staff"}, "allowed": []any{"ops"}}, "allowed"},
		{"allow not a list", sdk.Config{"allow": "staff"}, "allow"},
		{"attribute not a string", sdk.Config{"attribute": 3, "allow": []any{"staff"}}, "attribute"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := allowlist.New(context.Background(), c.cfg)
			if err == nil {
				t.Fatalf("New succeeded (%T), want an error", r)
			}
			if !errors.Is(err, sdk.ErrInvalidConfig) || !strings.Contains(err.Error(), c.wantMsg) {
				t.Errorf("err = %q, want ErrInvalidConfig saying %q", err, c.wantMsg)
			}
		})
	}
}

func active(attrs map[string]any) sdk.User {
	return sdk.User{ID: "1", Username: "u", IsActive: true, Attributes: attrs}
}

// ExampleNew shows the rule built from the config table jwtd hands it.
func ExampleNew() {
	rule, err := allowlist.New(context.Background(), sdk.Config{
		"attribute": "groups",
		"allow":     []any{"staff", "ops"},
	})
	if err != nil {
		panic(err)
	}
	ok, _ := rule.Allow(context.Background(), sdk.User{ID: "7", IsActive: true,
		Attributes: map[string]any{"groups": []any{"ops"}}})
	fmt.Println(ok)
	// Output: true
}
