package wire

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	commonv1 "github.com/jwtd/jwtd/sdk/proto/jwtd/common/v1"
)

// kindVersions are the protocol versions this SDK speaks for each kind:
// version N of a kind is its jwtd.<kind>.vN gRPC service. A later SDK
// lists a kind's new version beside the old, so its host still serves
// plugins built against the old one, and a plugin it builds still reports
// every version it can serve.
var kindVersions = map[string][]uint32{
	KindUserStore:       {1},
	KindBlacklistStore:  {1},
	KindAuthRule:        {1},
	KindClaimSerializer: {1},
}

// Versions returns the protocol versions this SDK speaks for kind (nil for
// an unknown kind); the caller may keep or change the slice.
func Versions(kind string) []uint32 { return slices.Clone(kindVersions[kind]) }

// pluginInfoName is the PluginInfo service's entry in a plugin's go-plugin
// set; it is never dispensed, only registered.
const pluginInfoName = "_plugin_info"

// pluginInfoServer answers Describe with the kinds a plugin serves.
type pluginInfoServer struct {
	commonv1.UnimplementedPluginInfoServer
	kinds []string
}

func (s *pluginInfoServer) Describe(context.Context, *commonv1.DescribeRequest) (*commonv1.DescribeResponse, error) {
	resp := &commonv1.DescribeResponse{}
	for _, k := range s.kinds {
		resp.Kinds = append(resp.Kinds, &commonv1.KindVersions{Kind: k, Versions: kindVersions[k]})
	}
	return resp, nil
}

// Describe asks a plugin process (over conn) which kinds it serves at
// which protocol versions. A plugin built before the PluginInfo service
// existed answers UNIMPLEMENTED; Describe then returns nil and no error,
// and NegotiateKind takes such a plugin to serve version 1.
func Describe(ctx context.Context, conn grpc.ClientConnInterface) (map[string][]uint32, error) {
	resp, err := commonv1.NewPluginInfoClient(conn).Describe(ctx, &commonv1.DescribeRequest{})
	if status.Code(err) == codes.Unimplemented {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe: %w", FromStatus("plugin", err))
	}
	out := map[string][]uint32{}
	for _, kv := range resp.GetKinds() {
		out[kv.GetKind()] = append(out[kv.GetKind()], kv.GetVersions()...)
	}
	return out, nil
}

// notServedError says which kinds a binary serves instead; it matches
// errors.ErrUnsupported without saying so in its text.
type notServedError string

func (e notServedError) Error() string        { return string(e) }
func (e notServedError) Is(target error) bool { return target == errors.ErrUnsupported }

// VersionError is NegotiateKind's refusal: the plugin serves kind, but at
// no protocol version this host speaks.
type VersionError struct {
	Kind string
	// Offered are the plugin's versions of Kind, Spoken the host's.
	Offered, Spoken []uint32
}

// Error names the kind and the versions on both sides.
func (e *VersionError) Error() string {
	return fmt.Sprintf("the plugin serves %s at protocol version %s, this jwtd speaks %s version %s: rebuild the plugin against this jwtd's SDK (or run a jwtd that speaks its version)",
		e.Kind, versionList(e.Offered), e.Kind, versionList(e.Spoken))
}

func versionList(vs []uint32) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ", ")
}

// NegotiateKind picks the protocol version to use for kind: the highest one
// both the plugin (described, from Describe) and this SDK speak. A nil
// described (a plugin without PluginInfo) means version 1 of every kind. A
// kind the plugin does not serve is an error wrapping
// errors.ErrUnsupported; one it serves only at versions this SDK does not
// speak is a *VersionError.
func NegotiateKind(kind string, described map[string][]uint32) (uint32, error) {
	spoken, ok := kindVersions[kind]
	if !ok {
		return 0, fmt.Errorf("unknown plugin kind %q", kind)
	}
	if described == nil {
		described = map[string][]uint32{kind: {1}}
	}
	offered, ok := described[kind]
	if !ok {
		var served []string
		for k := range described {
			served = append(served, k)
		}
		slices.Sort(served)
		return 0, notServedError(fmt.Sprintf("the binary does not serve the %s kind (it serves %s)", kind, strings.Join(served, ", ")))
	}
	best := uint32(0)
	for _, v := range offered {
		if slices.Contains(spoken, v) && v > best {
			best = v
		}
	}
	if best == 0 {
		return 0, &VersionError{Kind: kind, Offered: slices.Clone(offered), Spoken: slices.Clone(spoken)}
	}
	return best, nil
}
