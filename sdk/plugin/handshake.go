package plugin

import (
	"context"
	"fmt"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	authrulev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/authrule/v1"
	blackliststorev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/blackliststore/v1"
	claimserializerv1 "github.com/jwtd/jwtd/sdk/proto/jwtd/claimserializer/v1"
	commonv1 "github.com/jwtd/jwtd/sdk/proto/jwtd/common/v1"
	userstorev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/userstore/v1"
)

// The plugin kinds, as named in jwtd.toml ([plugins.<kind>]) and in the
// go-plugin plugin set.
const (
	KindUserStore       = "user_store"
	KindBlacklistStore  = "blacklist_store"
	KindAuthRule        = "auth_rule"
	KindClaimSerializer = "claim_serializer"
)

// Kinds lists every plugin kind.
var Kinds = []string{KindUserStore, KindBlacklistStore, KindAuthRule, KindClaimSerializer}

// ProtocolVersion is go-plugin's handshake version, which covers the plugin
// process as a whole (the handshake, AutoMTLS, the PluginInfo service). Each
// kind's own protocol version is negotiated separately after the handshake
// (KindVersions, Describe, NegotiateKind), so one kind can move to v2 while
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
// registers the kind's gRPC service, on the host side it builds the kind's
// client on the connection.
type kindPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	kind     string
	register func(*grpc.Server)
}

// GRPCServer implements goplugin.GRPCPlugin.
func (k *kindPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	if k.register == nil {
		return fmt.Errorf("%s: host-side plugin cannot serve", k.kind)
	}
	k.register(s)
	return nil
}

// GRPCClient implements goplugin.GRPCPlugin.
func (k *kindPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return NewKindClient(k.kind, conn)
}

// NewKindClient returns the host-side client of kind on conn: a
// *UserStoreClient, *BlacklistStoreClient, *AuthRuleClient or
// *ClaimSerializerClient.
func NewKindClient(kind string, conn grpc.ClientConnInterface) (Client, error) {
	switch kind {
	case KindUserStore:
		return NewUserStoreClient(conn), nil
	case KindBlacklistStore:
		return NewBlacklistStoreClient(conn), nil
	case KindAuthRule:
		return NewAuthRuleClient(conn), nil
	case KindClaimSerializer:
		return NewClaimSerializerClient(conn), nil
	}
	return nil, fmt.Errorf("unknown plugin kind %q", kind)
}

// HostPlugins is the go-plugin VersionedPlugins map for a host: every kind
// at every protocol version this SDK speaks. Dispensing a kind returns its
// Client.
func HostPlugins() map[int]goplugin.PluginSet {
	set := goplugin.PluginSet{}
	for _, k := range Kinds {
		set[k] = &kindPlugin{kind: k}
	}
	return map[int]goplugin.PluginSet{ProtocolVersion: set}
}

// servePlugins is the plugin-side VersionedPlugins map: only the kinds the
// Set offers, so that a host asking for another kind learns it at once.
func (s Set) servePlugins() (map[int]goplugin.PluginSet, *slots) {
	sl := &slots{}
	set := goplugin.PluginSet{}
	if s.UserStore != nil {
		sl.userStore = &slot[sdkUserStore]{kind: KindUserStore, factory: s.UserStore}
		srv := &userStoreServer{slot: sl.userStore}
		set[KindUserStore] = &kindPlugin{kind: KindUserStore, register: func(g *grpc.Server) { userstorev1.RegisterUserStoreServer(g, srv) }}
	}
	if s.BlacklistStore != nil {
		sl.blacklistStore = &slot[sdkBlacklistStore]{kind: KindBlacklistStore, factory: s.BlacklistStore}
		srv := &blacklistStoreServer{slot: sl.blacklistStore}
		set[KindBlacklistStore] = &kindPlugin{kind: KindBlacklistStore, register: func(g *grpc.Server) { blackliststorev1.RegisterBlacklistStoreServer(g, srv) }}
	}
	if s.AuthRule != nil {
		sl.authRule = &slot[sdkAuthRule]{kind: KindAuthRule, factory: s.AuthRule}
		srv := &authRuleServer{slot: sl.authRule}
		set[KindAuthRule] = &kindPlugin{kind: KindAuthRule, register: func(g *grpc.Server) { authrulev1.RegisterAuthRuleServer(g, srv) }}
	}
	if s.ClaimSerializer != nil {
		sl.claimSerializer = &slot[sdkClaimSerializer]{kind: KindClaimSerializer, factory: s.ClaimSerializer}
		srv := &claimSerializerServer{slot: sl.claimSerializer}
		set[KindClaimSerializer] = &kindPlugin{kind: KindClaimSerializer, register: func(g *grpc.Server) { claimserializerv1.RegisterClaimSerializerServer(g, srv) }}
	}
	// PluginInfo, once per process, so the host can check each kind's
	// protocol version before it uses the kind.
	info := &pluginInfoServer{}
	for _, k := range Kinds {
		if _, ok := set[k]; ok {
			info.kinds = append(info.kinds, k)
		}
	}
	set[pluginInfoName] = &kindPlugin{kind: pluginInfoName, register: func(g *grpc.Server) { commonv1.RegisterPluginInfoServer(g, info) }}
	return map[int]goplugin.PluginSet{ProtocolVersion: set}, sl
}
