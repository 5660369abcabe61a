package redis_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/jwtd/jwtd/internal/redistest"
	"github.com/jwtd/jwtd/plugins/redis"
	"github.com/jwtd/jwtd/sdk"
)

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	emptyFile := filepath.Join(dir, "empty")
	if err := os.WriteFile(emptyFile, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JWTD_TEST_EMPTY", "")
	one := []any{"127.0.0.1:6379"}
	two := []any{"127.0.0.1:7000", "127.0.0.1:7001"}

	cases := []struct {
		name    string
		cfg     sdk.Config
		wantKey string // the config key the message must name
	}{
		{"no addrs", sdk.Config{}, "addrs"},
		{"empty addrs", sdk.Config{"addrs": []any{}}, "addrs"},
		{"addr without port", sdk.Config{"addrs": []any{"localhost"}}, "addrs"},
		{"addrs not a list", sdk.Config{"addrs": "127.0.0.1:6379"}, "addrs"},
		{"unknown key", sdk.Config{"addrs": one, "adress": "x"}, "adress"},
		{"wrong type", sdk.Config{"addrs": one, "db": "zero"}, "db"},
		{"negative db", sdk.Config{"addrs": one, "db": -1}, "db"},
		{"db on cluster", sdk.Config{"addrs": two, "db": 2}, "db"},
		{"cluster with sentinel", sdk.Config{"addrs": one, "cluster": true, "master_name": "m"}, "cluster"},
		{"bad dial timeout", sdk.Config{"addrs": one, "dial_timeout": "5 seconds"}, "dial_timeout"},
		{"number as read timeout", sdk.Config{"addrs": one, "read_timeout": 5}, "read_timeout"},
		{"zero write timeout", sdk.Config{"addrs": one, "write_timeout": "0s"}, "write_timeout"},
		{"negative leeway", sdk.Config{"addrs": one, "leeway": "-1s"}, "leeway"},
		{"negative pool size", sdk.Config{"addrs": one, "pool_size": -3}, "pool_size"},
		{"two password sources", sdk.Config{"addrs": one, "password": "x", "password_env": "X"}, "password"},
		{"unset password env", sdk.Config{"addrs": one, "password_env": "JWTD_TEST_SURELY_UNSET"}, "password_env"},
		{"empty password env", sdk.Config{"addrs": one, "password_env": "JWTD_TEST_EMPTY"}, "password_env"},
		{"missing password file", sdk.Config{"addrs": one, "password_file": filepath.Join(dir, "nope")}, "password_file"},
		{"empty password file", sdk.Config{"addrs": one, "password_file": emptyFile}, "password_file"},
		{"sentinel password without sentinel", sdk.Config{"addrs": one, "sentinel_password_env": "X"}, "sentinel_password_env"},
		{"missing CA file", sdk.Config{"addrs": one, "tls_ca_file": filepath.Join(dir, "nope.pem")}, "tls_ca_file"},
		{"CA file without PEM", sdk.Config{"addrs": one, "tls_ca_file": notPEM}, "tls_ca_file"},
		{"cert without key", sdk.Config{"addrs": one, "tls_cert_file": notPEM}, "tls_cert_file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := redis.NewBlacklistStore(context.Background(), tc.cfg)
			if err == nil {
				s.(*redis.BlacklistStore).Close()
				t.Fatal("config accepted")
			}
			if !errors.Is(err, sdk.ErrInvalidConfig) {
				t.Fatalf("error %v does not wrap sdk.ErrInvalidConfig", err)
			}
			if !strings.Contains(err.Error(), tc.wantKey) {
				t.Fatalf("error %q does not name %q", err, tc.wantKey)
			}
		})
	}
}

func TestConfigTopology(t *testing.T) {
	cases := []struct {
		name        string
		cfg         sdk.Config
		wantCluster bool
	}{
		{"one address is a single server", sdk.Config{"addrs": []any{"127.0.0.1:6379"}, "db": 3}, false},
		{"several addresses are a cluster", sdk.Config{"addrs": []any{"127.0.0.1:7000", "127.0.0.1:7001"}}, true},
		{"cluster = true with one seed", sdk.Config{"addrs": []any{"127.0.0.1:7000"}, "cluster": true}, true},
		{"master name means sentinel", sdk.Config{"addrs": []any{"127.0.0.1:26379", "127.0.0.1:26380"}, "master_name": "m"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := redis.New(context.Background(), tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			_, isCluster := redis.ClientOf(s).(*goredis.ClusterClient)
			if isCluster != tc.wantCluster {
				t.Fatalf("cluster client = %v, want %v (%T)", isCluster, tc.wantCluster, redis.ClientOf(s))
			}
		})
	}
}

// A Sentinel config really goes through the Sentinel: a master name the
// Sentinel does not monitor cannot be reached, one it does works.
func TestSentinelMasterName(t *testing.T) {
	master := redistest.Start(t)
	sentinel := redistest.StartSentinel(t, master, "known")
	ctx := context.Background()
	tg := target{addrs: []string{sentinel.Addr}}
	unknown := tg.open(t, "master_name", "unknown", "dial_timeout", "1s")
	if err := unknown.Ping(ctx); !errors.Is(err, sdk.ErrUnavailable) {
		t.Fatalf("Ping via Sentinel for an unmonitored master = %v; want ErrUnavailable", err)
	}
	known := tg.open(t, "master_name", "known")
	if err := known.Ping(ctx); err != nil {
		t.Fatalf("Ping via Sentinel: %v", err)
	}
}

// Passwords from an environment variable or a file reach Redis; a wrong one
// fails closed.
func TestPasswordSources(t *testing.T) {
	srv := redistest.Start(t, "--requirepass", "s3cret-pw")
	file := filepath.Join(t.TempDir(), "redis-password")
	if err := os.WriteFile(file, []byte("s3cret-pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("JWTD_TEST_REDIS_PW", "s3cret-pw")
	t.Setenv("JWTD_TEST_REDIS_WRONG", "nope")
	tg := target{addrs: []string{srv.Addr}}
	cases := []struct {
		name   string
		kv     []any
		wantOK bool
	}{
		{"password_env", []any{"password_env", "JWTD_TEST_REDIS_PW"}, true},
		{"password_file", []any{"password_file", file}, true},
		{"inline password", []any{"password", "s3cret-pw"}, true},
		{"wrong password", []any{"password_env", "JWTD_TEST_REDIS_WRONG"}, false},
		{"no password", nil, false},
	}
	ctx := context.Background()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := tg.open(t, tc.kv...)
			r := record(t, "1", 3600e9)
			added, err := s.Blacklist(ctx, r)
			if tc.wantOK {
				if err != nil || !added {
					t.Fatalf("Blacklist = %v, %v", added, err)
				}
				return
			}
			if !errors.Is(err, sdk.ErrUnavailable) || added {
				t.Fatalf("Blacklist with a bad password = %v, %v; want false and ErrUnavailable", added, err)
			}
		})
	}
}
