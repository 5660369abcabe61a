package wire

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
)

// TestDescribeListsServedKinds: a plugin process describes exactly the
// kinds its Set offers, each at this SDK's versions.
func TestDescribeListsServedKinds(t *testing.T) {
	cases := []struct {
		name string
		set  Set
		want map[string][]uint32
	}{
		{"one kind", Set{AuthRule: func(context.Context, sdk.Config) (sdk.AuthRule, error) { return failingRule{}, nil }}, map[string][]uint32{KindAuthRule: {1}}},
		{"two kinds", Set{
			BlacklistStore:  func(context.Context, sdk.Config) (sdk.BlacklistStore, error) { return memory.NewBlacklistStore(), nil },
			ClaimSerializer: func(context.Context, sdk.Config) (sdk.ClaimSerializer, error) { return echoSerializer{}, nil },
		}, map[string][]uint32{KindBlacklistStore: {1}, KindClaimSerializer: {1}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Describe(context.Background(), pair(t, tc.set))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Describe = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestNegotiateKind: the host picks the highest version both sides speak,
// takes a plugin without PluginInfo for v1, and refuses a kind not served or
// served only at versions it does not speak, naming kind and versions.
func TestNegotiateKind(t *testing.T) {
	cases := []struct {
		name      string
		kind      string
		described map[string][]uint32
		want      uint32
		wantErr   []string
		wantIs    error
		wantVErr  bool
	}{
		{"v1 offered", KindUserStore, map[string][]uint32{KindUserStore: {1}}, 1, nil, nil, false},
		{"v1 and a later version offered", KindUserStore, map[string][]uint32{KindUserStore: {1, 7}}, 1, nil, nil, false},
		{"plugin without PluginInfo", KindAuthRule, nil, 1, nil, nil, false},
		{"only a later version", KindAuthRule, map[string][]uint32{KindAuthRule: {2}}, 0,
			[]string{"auth_rule at protocol version 2", "speaks auth_rule version 1"}, nil, true},
		{"no version at all", KindAuthRule, map[string][]uint32{KindAuthRule: {}}, 0, []string{"auth_rule"}, nil, true},
		{"kind not served", KindUserStore, map[string][]uint32{KindAuthRule: {1}, KindClaimSerializer: {1}}, 0,
			[]string{"does not serve the user_store kind", "auth_rule, claim_serializer"}, errors.ErrUnsupported, false},
		{"unknown kind", "token_minter", map[string][]uint32{"token_minter": {1}}, 0, []string{`unknown plugin kind "token_minter"`}, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NegotiateKind(tc.kind, tc.described)
			if tc.wantErr == nil {
				if err != nil || got != tc.want {
					t.Fatalf("NegotiateKind = %d, %v; want %d", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("NegotiateKind = %d, want an error", got)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("error %v is not %v", err, tc.wantIs)
			}
			var ve *VersionError
			if errors.As(err, &ve) != tc.wantVErr {
				t.Errorf("errors.As(VersionError) = %v, want %v", !tc.wantVErr, tc.wantVErr)
			}
		})
	}
}
