package config

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jwtd/jwtd/sdk"
	"github.com/jwtd/jwtd/sdk/wire"
)

// The plugin kinds, as named under [plugins]: the SDK's one declaration.
const (
	KindUserStore       = wire.KindUserStore
	KindBlacklistStore  = wire.KindBlacklistStore
	KindAuthRule        = wire.KindAuthRule
	KindClaimSerializer = wire.KindClaimSerializer
)

// Plugin is one [plugins.<kind>] section.
type Plugin struct {
	// Kind is the section's kind (KindUserStore, ...).
	Kind string
	// Use is a built-in's name ("sqlite", "redis", "default", "memory") or,
	// when External, the absolute path of a plugin binary.
	Use string
	// External reports that Use is a plugin binary to launch out of process:
	// the value had a path separator in it.
	External bool
	// SHA256 is the expected hex SHA-256 of an external plugin binary ("" to
	// skip the check).
	SHA256 string
	// CallTimeout bounds each call into the plugin (default 5s).
	CallTimeout time.Duration
	// Env names the environment variables jwtd passes on to an external
	// plugin process (`env = ["REDIS_PASSWORD"]`). Nothing else of jwtd's
	// environment reaches a plugin, since it may hold the signing key.
	Env []string
	// User is the user (name or uid) an external plugin process runs as,
	// so that it cannot read jwtd's memory, environment or files (jwtd
	// must run as root for this); "" runs it as jwtd's user. Group (name
	// or gid) replaces that user's primary group.
	User, Group string
	// Config is the plugin's own [plugins.<kind>.config] table, handed over
	// as it is, with relative "path" values made absolute against the config
	// file's directory.
	Config sdk.Config
	// CacheTTL is [plugins.user_store] cache_ttl: how long host/usercache
	// serves a looked-up user to request authentication without asking the
	// store (0, the default, is no cache). Changes made in the store behind
	// jwtd's back take up to CacheTTL to be seen there. User store only.
	CacheTTL time.Duration
	// CacheSize is cache_size: the most users the cache holds (default
	// DefaultCacheSize).
	CacheSize int
	// ChangeFeed is change_feed (default true): follow the store's change
	// feed when it has one (sdk.ChangeFeed), answering IsBlacklisted and
	// authenticate's user lookups from memory while the feed is live. User
	// and blacklist stores only.
	ChangeFeed bool
	// FeedMaxLag is feed_max_lag (default DefaultFeedMaxLag): the oldest
	// the feed's last "synchronised" mark may be for memory to answer, the
	// bound on how late a change made elsewhere is seen here.
	FeedMaxLag time.Duration
	// ViewSize is view_size (default DefaultViewSize): the most blacklist
	// entries kept in memory; over it IsBlacklisted asks the store.
	// Blacklist store only.
	ViewSize int
}

// Plugins are the configured plugins; a nil entry is not configured.
type Plugins struct {
	UserStore       *Plugin
	BlacklistStore  *Plugin
	AuthRule        *Plugin
	ClaimSerializer *Plugin
}

type rawPlugin struct {
	Use         *string        `toml:"use"`
	SHA256      *string        `toml:"sha256"`
	CallTimeout *string        `toml:"call_timeout"`
	Env         []string       `toml:"env"`
	User        *string        `toml:"user"`
	Group       *string        `toml:"group"`
	Config      map[string]any `toml:"config"`
	CacheTTL    *string        `toml:"cache_ttl"`
	CacheSize   *int64         `toml:"cache_size"`
	ChangeFeed  *bool          `toml:"change_feed"`
	FeedMaxLag  *string        `toml:"feed_max_lag"`
	ViewSize    *int64         `toml:"view_size"`
}

type rawPlugins struct {
	UserStore       *rawPlugin `toml:"user_store"`
	BlacklistStore  *rawPlugin `toml:"blacklist_store"`
	AuthRule        *rawPlugin `toml:"auth_rule"`
	ClaimSerializer *rawPlugin `toml:"claim_serializer"`
}

// DefaultCacheSize bounds the user store's lookup cache when cache_size is
// not set; MaxCacheTTL is the longest cache_ttl accepted, since a longer one
// would let a deactivated user in for too long.
const (
	DefaultCacheSize = 10000
	MaxCacheTTL      = time.Minute
	maxCacheSize     = 10_000_000
)

// Defaults and bounds of the change feed keys: feed_max_lag from 10 ms to
// 10 s, view_size up to maxCacheSize.
const (
	DefaultFeedMaxLag = 100 * time.Millisecond
	DefaultViewSize   = 100000
	minFeedMaxLag     = 10 * time.Millisecond
	maxFeedMaxLag     = 10 * time.Second
)

// DefaultCallTimeout bounds a plugin call when call_timeout is not set.
const DefaultCallTimeout = 5 * time.Second

var (
	sha256Hex = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	envName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// userName is what useradd accepts, plus numeric ids.
	userName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}\$?$`)
)

func (r rawPlugins) build(baseDir string) (Plugins, error) {
	var p Plugins
	var err error
	if r.UserStore == nil {
		return p, invalid("plugins.user_store", "is required: jwtd needs a user store")
	}
	if p.UserStore, err = r.UserStore.build(KindUserStore, baseDir); err != nil {
		return p, err
	}
	if p.BlacklistStore, err = r.BlacklistStore.build(KindBlacklistStore, baseDir); err != nil {
		return p, err
	}
	if p.AuthRule, err = r.AuthRule.build(KindAuthRule, baseDir); err != nil {
		return p, err
	}
	if p.ClaimSerializer, err = r.ClaimSerializer.build(KindClaimSerializer, baseDir); err != nil {
		return p, err
	}
	return p, nil
}

func (r *rawPlugin) build(kind, baseDir string) (*Plugin, error) {
	if r == nil {
		return nil, nil
	}
	key := "plugins." + kind
	if r.Use == nil || strings.TrimSpace(*r.Use) == "" {
		return nil, invalid(key+".use", "is required: a built-in name or a plugin binary path")
	}
	p := &Plugin{Kind: kind, Use: *r.Use, CallTimeout: DefaultCallTimeout, Config: sdk.Config{}}
	if strings.ContainsAny(p.Use, `/\`) {
		p.External = true
		if !filepath.IsAbs(p.Use) {
			p.Use = filepath.Join(baseDir, p.Use)
		}
	}
	if r.SHA256 != nil {
		if !sha256Hex.MatchString(*r.SHA256) {
			return nil, invalid(key+".sha256", "must be 64 hex digits")
		}
		if !p.External {
			return nil, invalid(key+".sha256", "only applies to a plugin binary, not the built-in %q", p.Use)
		}
		p.SHA256 = strings.ToLower(*r.SHA256)
	}
	if r.CallTimeout != nil {
		d, err := positiveDuration(key+".call_timeout", *r.CallTimeout)
		if err != nil {
			return nil, err
		}
		p.CallTimeout = d
	}
	p.CacheSize = DefaultCacheSize
	// Only authenticate's user lookups are worth caching; the other kinds'
	// calls are either cheap in process or must see every change.
	if r.CacheTTL != nil && kind != KindUserStore {
		return nil, invalid(key+".cache_ttl", "only applies to [plugins.user_store]")
	}
	if r.CacheSize != nil && kind != KindUserStore {
		return nil, invalid(key+".cache_size", "only applies to [plugins.user_store]")
	}
	if r.CacheTTL != nil {
		d, err := time.ParseDuration(*r.CacheTTL)
		if err != nil {
			return nil, invalid(key+".cache_ttl", "%q is not a duration such as \"2s\"", *r.CacheTTL)
		}
		if d < 0 || d > MaxCacheTTL {
			return nil, invalid(key+".cache_ttl", "%v is out of range: 0s (off) to %v", d, MaxCacheTTL)
		}
		p.CacheTTL = d
	}
	if r.CacheSize != nil {
		if *r.CacheSize < 1 || *r.CacheSize > maxCacheSize {
			return nil, invalid(key+".cache_size", "%d is out of range: 1 to %d", *r.CacheSize, maxCacheSize)
		}
		p.CacheSize = int(*r.CacheSize)
	}
	if err := r.buildFeed(p, kind, key); err != nil {
		return nil, err
	}
	for i, name := range r.Env {
		if !envName.MatchString(name) {
			return nil, invalid(fmt.Sprintf("%s.env[%d]", key, i), "%q is not an environment variable name", name)
		}
		if up := strings.ToUpper(name); strings.Contains(up, "SIGNING_KEY") || strings.Contains(up, "VERIFYING_KEY") {
			// Keeping the signing key out of plugins is why they get no
			// environment; a name that looks like it is refused outright
			// (the variable signing_key actually reads is checked too).
			return nil, invalid(fmt.Sprintf("%s.env[%d]", key, i), "%q looks like the signing key's variable and is never passed to a plugin", name)
		}
		if strings.HasPrefix(name, "PLUGIN_") || strings.HasPrefix(name, "JWTD_PLUGIN_") || name == "PATH" {
			// The plugin protocol's own variables, set by the host.
			return nil, invalid(fmt.Sprintf("%s.env[%d]", key, i), "%q is set by jwtd for every plugin", name)
		}
	}
	if len(r.Env) > 0 {
		if !p.External {
			return nil, invalid(key+".env", "only applies to a plugin binary; the built-in %q already runs in jwtd's environment", p.Use)
		}
		p.Env = append([]string(nil), r.Env...)
	}
	if err := r.buildUser(p, key); err != nil {
		return nil, err
	}
	for k, v := range r.Config {
		p.Config[k] = v
	}
	if err := absolutePaths(p.Config, baseDir); err != nil {
		return nil, fmt.Errorf("%w: %s.config: %v", ErrInvalid, key, err)
	}
	return p, nil
}

// buildUser checks user and group: names or ids, for plugin binaries
// only (a built-in runs inside jwtd), group only beside user. Whether the
// user exists and jwtd may switch to it is checked when the plugin starts.
func (r *rawPlugin) buildUser(p *Plugin, key string) error {
	for _, f := range []struct {
		name string
		v    *string
		dst  *string
	}{{"user", r.User, &p.User}, {"group", r.Group, &p.Group}} {
		if f.v == nil {
			continue
		}
		if !userName.MatchString(*f.v) {
			return invalid(key+"."+f.name, "%q is not a %s name or id", *f.v, f.name)
		}
		if !p.External {
			return invalid(key+"."+f.name, "only applies to a plugin binary; the built-in %q runs inside jwtd", p.Use)
		}
		*f.dst = *f.v
	}
	if p.Group != "" && p.User == "" {
		return invalid(key+".group", "needs user beside it")
	}
	return nil
}

// absolutePaths makes the config table's "path"-like string values absolute
// against the config file's directory, so that "jwtd.db" means the file
// beside jwtd.toml whatever the working directory of jwtd or of a plugin
// process is. Keys named "path" or ending in "_path" or "_file" count.
func absolutePaths(cfg sdk.Config, baseDir string) error {
	for k, v := range cfg {
		if k != "path" && !strings.HasSuffix(k, "_path") && !strings.HasSuffix(k, "_file") {
			continue
		}
		s, ok := v.(string)
		if !ok || s == "" || filepath.IsAbs(s) || s == ":memory:" || strings.HasPrefix(s, "file:") {
			continue
		}
		cfg[k] = filepath.Join(baseDir, s)
	}
	return nil
}

// buildFeed reads change_feed, feed_max_lag and view_size.
func (r *rawPlugin) buildFeed(p *Plugin, kind, key string) error {
	stores := kind == KindUserStore || kind == KindBlacklistStore
	p.ChangeFeed, p.FeedMaxLag, p.ViewSize = stores, DefaultFeedMaxLag, DefaultViewSize
	if !stores && (r.ChangeFeed != nil || r.FeedMaxLag != nil) {
		return invalid(key+".change_feed", "only applies to [plugins.user_store] and [plugins.blacklist_store]")
	}
	if r.ViewSize != nil && kind != KindBlacklistStore {
		return invalid(key+".view_size", "only applies to [plugins.blacklist_store]")
	}
	if r.ChangeFeed != nil {
		p.ChangeFeed = *r.ChangeFeed
	}
	if r.FeedMaxLag != nil {
		d, err := time.ParseDuration(*r.FeedMaxLag)
		if err != nil {
			return invalid(key+".feed_max_lag", "%q is not a duration such as \"100ms\"", *r.FeedMaxLag)
		}
		if d < minFeedMaxLag || d > maxFeedMaxLag {
			return invalid(key+".feed_max_lag", "%v is out of range: %v to %v", d, minFeedMaxLag, maxFeedMaxLag)
		}
		p.FeedMaxLag = d
	}
	if r.ViewSize != nil {
		if *r.ViewSize < 1 || *r.ViewSize > maxCacheSize {
			return invalid(key+".view_size", "%d is out of range: 1 to %d", *r.ViewSize, maxCacheSize)
		}
		p.ViewSize = int(*r.ViewSize)
	}
	return nil
}
