package sdktest

import (
	"context"
	"sync"
	"testing"

	"github.com/jwtd/jwtd/sdk"
)

// AuthRuleCase is one user and the decision the rule must make.
type AuthRuleCase struct {
	Name string
	User sdk.User
	Want bool
}

// DefaultRuleCases are the decisions of Simple JWT's default rule (active
// users only); a rule that keeps that behaviour passes them too.
var DefaultRuleCases = []AuthRuleCase{
	{Name: "active", User: sdk.User{ID: "1", Username: "alice", IsActive: true}, Want: true},
	{Name: "inactive", User: sdk.User{ID: "2", Username: "bob", IsActive: false}, Want: false},
	{Name: "active with attributes", User: sdk.User{ID: "3", Username: "carol", IsActive: true,
		Attributes: map[string]any{"email": "c@example.com", "level": int64(7)}}, Want: true},
}

// TestAuthRule runs each case against rule, in sequence and concurrently.
func TestAuthRule(t *testing.T, rule sdk.AuthRule, cases []AuthRuleCase) {
	ctx := context.Background()
	if len(cases) == 0 {
		t.Fatal("TestAuthRule needs at least one case")
	}
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			got, err := rule.Allow(ctx, tc.User)
			if err != nil || got != tc.Want {
				t.Fatalf("Allow(%+v) = %v, %v; want %v", tc.User, got, err, tc.Want)
			}
		})
	}
	t.Run("Concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		for range 4 {
			for _, tc := range cases {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if got, err := rule.Allow(ctx, tc.User); err != nil || got != tc.Want {
						t.Errorf("concurrent Allow(%s) = %v, %v; want %v", tc.Name, got, err, tc.Want)
					}
				}()
			}
		}
		wg.Wait()
	})
}
