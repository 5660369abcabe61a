package allowlist_test

import (
	"context"
	"testing"

	"github.com/jwtd/jwtd/examples/allowlist-rule/allowlist"
	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/sdktest"
)

// conformanceCases are the decisions the rule configured with
// allow = ["staff", "ops"] must make; the plugin test in the parent directory
// runs them against the built binary too.
var conformanceCases = []sdktest.AuthRuleCase{
	{Name: "staff", User: sdk.User{ID: "1", IsActive: true, Attributes: map[string]any{"groups": []any{"staff"}}}, Want: true},
	{Name: "ops among others", User: sdk.User{ID: "2", IsActive: true, Attributes: map[string]any{"groups": []any{"dev", "ops"}}}, Want: true},
	{Name: "inactive staff", User: sdk.User{ID: "3", IsActive: false, Attributes: map[string]any{"groups": []any{"staff"}}}, Want: false},
	{Name: "no allowed group", User: sdk.User{ID: "4", IsActive: true, Attributes: map[string]any{"groups": []any{"dev"}}}, Want: false},
	{Name: "no attributes", User: sdk.User{ID: "5", IsActive: true}, Want: false},
}

func TestConformance(t *testing.T) {
	rule, err := allowlist.New(context.Background(), sdk.Config{"allow": []any{"staff", "ops"}})
	if err != nil {
		t.Fatal(err)
	}
	sdktest.TestAuthRule(t, rule, conformanceCases)
}
