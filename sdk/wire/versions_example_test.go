package wire_test

import (
	"errors"
	"fmt"

	"github.com/jwtd/jwtd/sdk/wire"
)

// A host picks each kind's protocol version from what the plugin describes
// (wire.Describe over the plugin's connection), and refuses a kind it
// speaks no version of.
func ExampleNegotiateKind() {
	described := map[string][]uint32{
		wire.KindUserStore: {1},
		wire.KindAuthRule:  {2}, // built against a later SDK
	}
	v, err := wire.NegotiateKind(wire.KindUserStore, described)
	fmt.Println(v, err)

	_, err = wire.NegotiateKind(wire.KindAuthRule, described)
	var ve *wire.VersionError
	fmt.Println(errors.As(err, &ve), ve.Offered, ve.Spoken)

	_, err = wire.NegotiateKind(wire.KindClaimSerializer, described)
	fmt.Println(errors.Is(err, errors.ErrUnsupported))
	// Output:
	// 1 <nil>
	// true [2] [1]
	// true
}
