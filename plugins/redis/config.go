package redis

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/jwtd/jwtd/sdk"
)

// DefaultKeyPrefix starts every key the store writes, so that jwtd can share
// a Redis database with other applications.
const DefaultKeyPrefix = "jwtd:"

// Config is the store's table in jwtd.toml ([plugins.blacklist_store.config]).
// Unknown keys are refused. Durations are Go duration strings ("500ms",
// "2s").
type Config struct {
	// Addrs lists "host:port" addresses. One address (and no MasterName, no
	// Cluster) is a single server; several addresses are the seed nodes of a
	// Redis Cluster; with MasterName they are Sentinel addresses. Required.
	Addrs []string `json:"addrs"`

	// Cluster forces Cluster mode with a single seed address (a cluster
	// behind one configuration endpoint). With several addresses Cluster mode
	// is implied. Cannot be combined with MasterName.
	Cluster bool `json:"cluster"`

	// MasterName is the Sentinel master set name. When set, Addrs are the
	// Sentinels and the store follows failovers to the current master.
	MasterName string `json:"master_name"`

	// Username is the Redis ACL user (Redis 6+). Empty means the default user.
	Username string `json:"username"`

	// Password is the Redis password written inline. Prefer PasswordEnv or
	// PasswordFile, which keep the secret out of jwtd.toml; at most one of the
	// three may be set.
	Password string `json:"password"`

	// PasswordEnv names an environment variable holding the password. An
	// unset or empty variable is a start-up error, never a silent
	// password-less connection.
	PasswordEnv string `json:"password_env"`

	// PasswordFile names a file holding the password (trailing newline
	// ignored), as Docker and Kubernetes secrets mount them.
	PasswordFile string `json:"password_file"`

	// SentinelPasswordEnv and SentinelPasswordFile give the Sentinels' own
	// password (Sentinel's requirepass), when it differs from the data
	// nodes'. Only with MasterName.
	SentinelPasswordEnv  string `json:"sentinel_password_env"`
	SentinelPasswordFile string `json:"sentinel_password_file"`

	// DB is the database number (default 0). Redis Cluster has only database
	// 0, so another number cannot be combined with Cluster mode.
	DB int `json:"db"`

	// TLS turns on TLS to Redis (and to the Sentinels). Implied by any other
	// tls_ key.
	TLS bool `json:"tls"`

	// TLSCAFile is a PEM bundle of CAs trusted for the server certificate,
	// instead of the system roots (a private CA is the common case for Redis).
	TLSCAFile string `json:"tls_ca_file"`

	// TLSCertFile and TLSKeyFile are a client certificate and its key, for
	// servers started with tls-auth-clients yes. Both or neither.
	TLSCertFile string `json:"tls_cert_file"`
	TLSKeyFile  string `json:"tls_key_file"`

	// TLSServerName is the name checked against the server certificate, when
	// it differs from the host in Addrs (for example when connecting by IP).
	TLSServerName string `json:"tls_server_name"`

	// UnsafeTLSInsecureSkipVerify accepts any server certificate, which lets
	// anyone on the path impersonate Redis and unblacklist tokens. For tests
	// only; the name says so on purpose.
	UnsafeTLSInsecureSkipVerify bool `json:"unsafe_tls_insecure_skip_verify"`

	// KeyPrefix starts every key (default "jwtd:"). Set it to keep several
	// jwtd deployments apart in one Redis; every instance that shares a
	// blacklist must use the same prefix. An explicit "" means no prefix.
	KeyPrefix *string `json:"key_prefix"`

	// DialTimeout bounds connecting (default "5s").
	DialTimeout string `json:"dial_timeout"`

	// ReadTimeout and WriteTimeout bound each command's socket reads and
	// writes (default "3s" each; "-1" disables, which is not recommended:
	// a hung Redis would then hang requests instead of failing them with
	// 503). A request's own deadline applies too, whichever is first.
	ReadTimeout  string `json:"read_timeout"`
	WriteTimeout string `json:"write_timeout"`

	// PoolSize is the number of connections per Redis node (default 10 per
	// CPU, go-redis's default).
	PoolSize int `json:"pool_size"`

	// Leeway is an extra margin added to every key's lifetime (default
	// "0s"). The [tokens] leeway needs none: the core already hands every
	// store an expiry that includes it (sdk.TokenRecord.ExpiresAt).
	Leeway string `json:"leeway"`
}

// settings is a validated Config turned into what the store needs.
type settings struct {
	opts   *goredis.UniversalOptions
	prefix string
	leeway time.Duration
}

// configError names the offending key, wrapped in sdk.ErrInvalidConfig.
func configError(key, format string, a ...any) error {
	return fmt.Errorf("%w: redis blacklist store: %s: %s", sdk.ErrInvalidConfig, key, fmt.Sprintf(format, a...))
}

// parseConfig decodes and validates cfg (strictly: unknown keys are errors)
// and builds go-redis options from it. It reads password and TLS files but
// does not connect.
func parseConfig(cfg sdk.Config) (*settings, error) {
	var c Config
	if err := cfg.Decode(&c); err != nil {
		return nil, fmt.Errorf("redis blacklist store: %w", err)
	}
	return c.settings()
}

func (c *Config) settings() (*settings, error) {
	if len(c.Addrs) == 0 {
		return nil, configError("addrs", "at least one address is required, for example [\"127.0.0.1:6379\"]")
	}
	for _, a := range c.Addrs {
		if host, port, err := net.SplitHostPort(a); err != nil || host == "" || port == "" {
			return nil, configError("addrs", "%q is not a host:port address", a)
		}
	}
	clusterMode := c.Cluster || (len(c.Addrs) > 1 && c.MasterName == "")
	if c.MasterName != "" && c.Cluster {
		return nil, configError("cluster", "cannot be combined with master_name (Sentinel)")
	}
	if c.DB < 0 {
		return nil, configError("db", "must not be negative, got %d", c.DB)
	}
	if clusterMode && c.DB != 0 {
		return nil, configError("db", "Redis Cluster has only database 0, got %d", c.DB)
	}
	if c.PoolSize < 0 {
		return nil, configError("pool_size", "must not be negative, got %d", c.PoolSize)
	}
	if c.MasterName == "" && (c.SentinelPasswordEnv != "" || c.SentinelPasswordFile != "") {
		return nil, configError("sentinel_password_env", "only applies with master_name (Sentinel)")
	}

	password, err := secret("password", c.Password, c.PasswordEnv, c.PasswordFile)
	if err != nil {
		return nil, err
	}
	sentinelPassword, err := secret("sentinel_password", "", c.SentinelPasswordEnv, c.SentinelPasswordFile)
	if err != nil {
		return nil, err
	}

	s := &settings{prefix: DefaultKeyPrefix}
	if c.KeyPrefix != nil {
		s.prefix = *c.KeyPrefix
	}
	if s.leeway, err = duration("leeway", c.Leeway, 0, false); err != nil {
		return nil, err
	}
	dial, err := duration("dial_timeout", c.DialTimeout, 5*time.Second, false)
	if err != nil {
		return nil, err
	}
	read, err := duration("read_timeout", c.ReadTimeout, 3*time.Second, true)
	if err != nil {
		return nil, err
	}
	write, err := duration("write_timeout", c.WriteTimeout, 3*time.Second, true)
	if err != nil {
		return nil, err
	}
	tlsConfig, err := c.tlsConfig()
	if err != nil {
		return nil, err
	}

	s.opts = &goredis.UniversalOptions{
		Addrs:            c.Addrs,
		IsClusterMode:    c.Cluster,
		MasterName:       c.MasterName,
		Username:         c.Username,
		Password:         password,
		SentinelPassword: sentinelPassword,
		DB:               c.DB,
		TLSConfig:        tlsConfig,
		DialTimeout:      dial,
		ReadTimeout:      read,
		WriteTimeout:     write,
		PoolSize:         c.PoolSize,
		ClientName:       "jwtd",
		// A request's deadline bounds its Redis calls too, so a slow Redis
		// turns into a prompt 503 rather than a request that hangs.
		ContextTimeoutEnabled: true,
		// Fail fast when Redis is down: one dial attempt per try (go-redis
		// would otherwise make 5, 100ms apart), and two quick retries, which
		// are enough to replace connections that died with a restarted Redis
		// (and are safe: every write is idempotent, see blacklistScript).
		DialerRetries:   1,
		MaxRetries:      2,
		MaxRetryBackoff: 100 * time.Millisecond,
		// The maintenance-notification handshake is for Redis Enterprise; on
		// other servers it only adds a refused command and a log line per
		// connection.
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
	return s, nil
}

// secret resolves a secret given inline, by environment variable or by file;
// at most one may be set. key names the config keys in errors.
func secret(key, inline, env, file string) (string, error) {
	set := 0
	for _, v := range []string{inline, env, file} {
		if v != "" {
			set++
		}
	}
	if set > 1 {
		return "", configError(key, "set only one of %s, %s_env and %s_file", key, key, key)
	}
	switch {
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			return "", configError(key+"_env", "environment variable %s is not set or empty", env)
		}
		return v, nil
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", configError(key+"_file", "%v", err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", configError(key+"_file", "%s is empty", file)
		}
		return v, nil
	}
	return inline, nil
}

// duration parses a Go duration string; empty gives def. With allowOff, "-1"
// (go-redis's "no timeout") is accepted.
func duration(key, v string, def time.Duration, allowOff bool) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	if allowOff && v == "-1" {
		return -1, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, configError(key, "%q is not a Go duration such as \"500ms\" or \"3s\"", v)
	}
	if d < 0 || (d == 0 && def != 0) {
		// A zero timeout would mean "go-redis default", not "none": refuse it
		// rather than silently ignore it. Only leeway (default 0) may be 0.
		return 0, configError(key, "must be positive, got %q", v)
	}
	return d, nil
}

// tlsConfig returns nil when TLS is off, else a config with TLS 1.2 at least,
// the CA bundle, client certificate and server name from c.
func (c *Config) tlsConfig() (*tls.Config, error) {
	on := c.TLS || c.TLSCAFile != "" || c.TLSCertFile != "" || c.TLSKeyFile != "" ||
		c.TLSServerName != "" || c.UnsafeTLSInsecureSkipVerify
	if !on {
		return nil, nil
	}
	tc := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         c.TLSServerName,
		InsecureSkipVerify: c.UnsafeTLSInsecureSkipVerify, //nolint:gosec // opt-in named unsafe_…
	}
	if c.TLSCAFile != "" {
		pem, err := os.ReadFile(c.TLSCAFile)
		if err != nil {
			return nil, configError("tls_ca_file", "%v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, configError("tls_ca_file", "%s holds no PEM certificate", c.TLSCAFile)
		}
		tc.RootCAs = pool
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		return nil, configError("tls_cert_file", "tls_cert_file and tls_key_file go together")
	}
	if c.TLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile)
		if err != nil {
			return nil, configError("tls_cert_file", "%v", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// errNoExpiry and errNoJTI refuse records the core never sends, rather than
// writing keys that would never expire or that every token would share.
var (
	errNoExpiry = errors.New("redis blacklist store: token record has no ExpiresAt")
	errNoJTI    = errors.New("redis blacklist store: token record has no JTI")
)
