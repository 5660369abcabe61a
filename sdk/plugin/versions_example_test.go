package plugin_test

import (
	"errors"
	"fmt"

	"github.com/jwtd/jwtd/sdk/plugin"
)

// A host picks each kind's protocol version from what the plugin describes
// (plugin.Describe over the plugin's connection), and refuses a kind it
// speaks no version of.
func ExampleNegotiateKind() {
	described := map[string][]uint32{
		plugin.KindUserStore: {1},
		plugin.KindAuthRule:  {2}, // built against a later SDK
	}
	v, err := plugin.NegotiateKind(plugin.KindUserStore, described)
	fmt.Println(v, err)

	_, err = plugin.NegotiateKind(plugin.KindAuthRule, described)
	var ve *plugin.VersionError
	fmt.Println(errors.As(err, &ve), ve.Offered, ve.Spoken)

	_, err = plugin.NegotiateKind(plugin.KindClaimSerializer, described)
	fmt.Println(errors.Is(err, errors.ErrUnsupported))
	// Output:
	// 1 <nil>
	// true [2] [1]
	// true
}
