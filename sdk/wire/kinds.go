package wire

import (
	"context"
	"fmt"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	authrulev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/authrule/v1"
	blackliststorev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/blackliststore/v1"
	claimserializerv1 "github.com/jwtd/jwtd/sdk/proto/jwtd/claimserializer/v1"
	userstorev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/userstore/v1"
)

// The plugin kinds, as named in jwtd.toml ([plugins.<kind>]), in metrics
// labels and in the go-plugin plugin set. This is the one declaration;
// the host's config and metrics use these.
const (
	KindUserStore       = "user_store"
	KindBlacklistStore  = "blacklist_store"
	KindAuthRule        = "auth_rule"
	KindClaimSerializer = "claim_serializer"
)

// Kinds lists every plugin kind.
var Kinds = []string{KindUserStore, KindBlacklistStore, KindAuthRule, KindClaimSerializer}

// services maps each kind to its gRPC service (version 1).
var services = map[string]*grpc.ServiceDesc{
	KindUserStore:       &userstorev1.UserStore_ServiceDesc,
	KindBlacklistStore:  &blackliststorev1.BlacklistStore_ServiceDesc,
	KindAuthRule:        &authrulev1.AuthRule_ServiceDesc,
	KindClaimSerializer: &claimserializerv1.ClaimSerializer_ServiceDesc,
}

// ProtocolVersion is go-plugin's handshake version, which covers the plugin
// process as a whole (the handshake, AutoMTLS, the PluginInfo service). Each
// kind's own protocol version is negotiated separately after the handshake
// (Versions, Describe, NegotiateKind), so one kind can move to v2 while
// a host still serves plugins whose other kinds, or the same kind, speak v1.
const ProtocolVersion = 1

// Handshake is the go-plugin handshake shared by host and plugins. The
// magic cookie is not security (AutoMTLS and the checksum pin are); it
// stops a plugin binary started by hand from waiting for a handshake that
// never comes.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "JWTD_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "5f2c3d0e-jwtd-plugin-protocol",
}

// EnvLogLevel names the environment variable through which the host tells
// a plugin the lowest log level worth sending ("trace" … "error").
const EnvLogLevel = "JWTD_PLUGIN_LOG_LEVEL"

// kindPlugin is the go-plugin glue for one kind: on the plugin side it
// registers the kind's gRPC service; on the host side it is only named,
// since the host reaches every kind through the one connection.
type kindPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	kind     string
	register func(grpc.ServiceRegistrar)
}

// GRPCServer implements goplugin.GRPCPlugin.
func (k *kindPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	if k.register == nil {
		return fmt.Errorf("%s: host-side plugin cannot serve", k.kind)
	}
	k.register(s)
	return nil
}

// GRPCClient implements goplugin.GRPCPlugin: the connection itself, which
// NewEndpoint turns into the kind's endpoint.
func (k *kindPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return conn, nil
}

// HostPlugins is the go-plugin VersionedPlugins map for a host: every kind
// at the process protocol version.
func HostPlugins() map[int]goplugin.PluginSet {
	set := goplugin.PluginSet{}
	for _, k := range Kinds {
		set[k] = &kindPlugin{kind: k}
	}
	return map[int]goplugin.PluginSet{ProtocolVersion: set}
}
