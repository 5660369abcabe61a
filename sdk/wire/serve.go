package wire

import (
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/jwtd/jwtd/sdk"
	authrulev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/authrule/v1"
	blackliststorev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/blackliststore/v1"
	claimserializerv1 "github.com/jwtd/jwtd/sdk/proto/jwtd/claimserializer/v1"
	commonv1 "github.com/jwtd/jwtd/sdk/proto/jwtd/common/v1"
	userstorev1 "github.com/jwtd/jwtd/sdk/proto/jwtd/userstore/v1"
)

// register adds kind's server, backed by sl, to r. It is the one place
// that knows which service serves which kind.
func register(r grpc.ServiceRegistrar, kind string, sl any) {
	switch kind {
	case KindUserStore:
		userstorev1.RegisterUserStoreServer(r, &userStoreServer{common: common[sdk.UserStore]{sl.(*slot[sdk.UserStore])}})
	case KindBlacklistStore:
		blackliststorev1.RegisterBlacklistStoreServer(r, &blacklistStoreServer{common: common[sdk.BlacklistStore]{sl.(*slot[sdk.BlacklistStore])}})
	case KindAuthRule:
		authrulev1.RegisterAuthRuleServer(r, &authRuleServer{common: common[sdk.AuthRule]{sl.(*slot[sdk.AuthRule])}})
	case KindClaimSerializer:
		claimserializerv1.RegisterClaimSerializerServer(r, &claimSerializerServer{common: common[sdk.ClaimSerializer]{sl.(*slot[sdk.ClaimSerializer])}})
	}
}

// Served is the plugin side of a process: the go-plugin set of the kinds
// it serves (plus the PluginInfo service) and the implementations to close
// when it stops.
type Served struct {
	// Plugins is the go-plugin VersionedPlugins map to hand to
	// goplugin.Serve.
	Plugins map[int]goplugin.PluginSet
	closers []func()
}

// Close closes every implementation built so far that is an io.Closer.
func (s *Served) Close() {
	for _, c := range s.closers {
		c()
	}
}

// Kinds returns the kinds served, in Kinds order.
func (s *Served) Kinds() []string {
	var out []string
	for _, k := range Kinds {
		if _, ok := s.Plugins[ProtocolVersion][k]; ok {
			out = append(out, k)
		}
	}
	return out
}

// Serve builds the plugin side for the given factories; a nil factory is a
// kind the process does not serve, so that a host asking for it learns it
// at once.
func Serve(us sdk.Factory[sdk.UserStore], bs sdk.Factory[sdk.BlacklistStore], ar sdk.Factory[sdk.AuthRule], cs sdk.Factory[sdk.ClaimSerializer]) *Served {
	s := &Served{Plugins: map[int]goplugin.PluginSet{ProtocolVersion: {}}}
	addKind(s, KindUserStore, us)
	addKind(s, KindBlacklistStore, bs)
	addKind(s, KindAuthRule, ar)
	addKind(s, KindClaimSerializer, cs)
	// PluginInfo, once per process, so the host can check each kind's
	// protocol version before it uses the kind.
	info := &pluginInfoServer{kinds: s.Kinds()}
	s.Plugins[ProtocolVersion][pluginInfoName] = &kindPlugin{kind: pluginInfoName, register: func(g grpc.ServiceRegistrar) { commonv1.RegisterPluginInfoServer(g, info) }}
	return s
}

func addKind[T any](s *Served, kind string, f sdk.Factory[T]) {
	if f == nil {
		return
	}
	sl := &slot[T]{kind: kind, factory: f}
	s.closers = append(s.closers, sl.close)
	s.Plugins[ProtocolVersion][kind] = &kindPlugin{kind: kind, register: func(g grpc.ServiceRegistrar) { register(g, kind, sl) }}
}
