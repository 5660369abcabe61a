// Package builtin is the registry of plugins linked into the jwtd binary,
// by kind and name: what `use = "sqlite"` in jwtd.toml means. Out-of-process
// plugins (a `use` that is a binary path) are not here; host/pluginhost
// launches those.
package builtin

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/memory"
	"github.com/jwtd/jwtd/sdk/wire"
)

// Registry maps names to factories for each plugin kind.
type Registry struct {
	UserStores       map[string]sdk.Factory[sdk.UserStore]
	BlacklistStores  map[string]sdk.Factory[sdk.BlacklistStore]
	AuthRules        map[string]sdk.Factory[sdk.AuthRule]
	ClaimSerializers map[string]sdk.Factory[sdk.ClaimSerializer]
}

// Default is the registry of jwtd's built-ins.
func Default() *Registry {
	r := &Registry{
		UserStores:       map[string]sdk.Factory[sdk.UserStore]{},
		BlacklistStores:  map[string]sdk.Factory[sdk.BlacklistStore]{},
		AuthRules:        map[string]sdk.Factory[sdk.AuthRule]{},
		ClaimSerializers: map[string]sdk.Factory[sdk.ClaimSerializer]{},
	}
	// "memory" keeps everything in process memory: for tests and trying
	// jwtd out; state is lost at exit.
	r.UserStores["memory"] = func(ctx context.Context, cfg sdk.Config) (sdk.UserStore, error) {
		if err := cfg.Decode(&struct{}{}); err != nil {
			return nil, err
		}
		return memory.NewUserStore(), nil
	}
	r.BlacklistStores["memory"] = func(ctx context.Context, cfg sdk.Config) (sdk.BlacklistStore, error) {
		if err := cfg.Decode(&struct{}{}); err != nil {
			return nil, err
		}
		return memory.NewBlacklistStore(), nil
	}
	registerStores(r)
	return r
}

// UserStore builds the named built-in user store.
func (r *Registry) UserStore(ctx context.Context, name string, cfg sdk.Config) (sdk.UserStore, error) {
	return build(ctx, wire.KindUserStore, r.UserStores, name, cfg)
}

// BlacklistStore builds the named built-in blacklist store.
func (r *Registry) BlacklistStore(ctx context.Context, name string, cfg sdk.Config) (sdk.BlacklistStore, error) {
	return build(ctx, wire.KindBlacklistStore, r.BlacklistStores, name, cfg)
}

// AuthRule builds the named built-in authentication rule; nil means the
// core's default.
func (r *Registry) AuthRule(ctx context.Context, name string, cfg sdk.Config) (sdk.AuthRule, error) {
	return build(ctx, wire.KindAuthRule, r.AuthRules, name, cfg)
}

// ClaimSerializer builds the named built-in claim serializer; nil means the
// core's default.
func (r *Registry) ClaimSerializer(ctx context.Context, name string, cfg sdk.Config) (sdk.ClaimSerializer, error) {
	return build(ctx, wire.KindClaimSerializer, r.ClaimSerializers, name, cfg)
}

func build[T any](ctx context.Context, kind string, m map[string]sdk.Factory[T], name string, cfg sdk.Config) (T, error) {
	f, ok := m[name]
	if !ok {
		var zero T
		names := make([]string, 0, len(m))
		for n := range m {
			names = append(names, n)
		}
		slices.Sort(names)
		return zero, fmt.Errorf("plugins.%s: no built-in %q (built-ins: %s; a plugin binary is named by its path)", kind, name, strings.Join(names, ", "))
	}
	if cfg == nil {
		cfg = sdk.Config{}
	}
	v, err := f(ctx, cfg)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("plugins.%s %q: %w", kind, name, err)
	}
	return v, nil
}
