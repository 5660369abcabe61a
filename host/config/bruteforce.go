package config

import "time"

// BruteForce is [server.brute_force]: failed logins counted per account
// and per client address, with a temporary lock (429 and Retry-After) once
// a count reaches its limit, in the manner of Authelia's regulation and
// django-axes. On by default. The counters live in the blacklist store when
// it can share them (sdk.LoginFailureStore: the built-in Redis and SQLite
// stores), so that every jwtd instance on the store sees every failure;
// otherwise each instance counts in its own memory.
type BruteForce struct {
	// Enabled turns the protection on (default true).
	Enabled bool
	// Window is how long a counter lives from its first failure, and so the
	// longest any lock lasts (default 10m): later failures do not extend
	// it, and a locked attempt is refused without being counted.
	Window time.Duration
	// MaxFailures locks an account for the client address that failed this
	// many times (default 5); the account's owner elsewhere is unaffected.
	MaxFailures int
	// MaxFailuresPerAccount locks an account for every address after this
	// many failures from anywhere (default 20): the limit on a distributed
	// guess at one password. Whoever knows a username can reach it, and so
	// lock that account for up to Window at a time; 0 turns it off.
	MaxFailuresPerAccount int
	// MaxFailuresPerAddress locks a client address for every account
	// after this many failures (default 50): the limit on one source
	// spraying usernames. 0 turns it off.
	MaxFailuresPerAddress int
}

type rawBruteForce struct {
	Enabled               *bool   `toml:"enabled"`
	Window                *string `toml:"window"`
	MaxFailures           *int64  `toml:"max_failures"`
	MaxFailuresPerAccount *int64  `toml:"max_failures_per_account"`
	MaxFailuresPerAddress *int64  `toml:"max_failures_per_address"`
}

// DefaultBruteForce returns the [server.brute_force] defaults.
func DefaultBruteForce() BruteForce {
	return BruteForce{Enabled: true, Window: 10 * time.Minute, MaxFailures: 5, MaxFailuresPerAccount: 20, MaxFailuresPerAddress: 50}
}

func (r rawBruteForce) build() (BruteForce, error) {
	b := DefaultBruteForce()
	if r.Enabled != nil {
		b.Enabled = *r.Enabled
	}
	if err := setDurations(durationField{"server.brute_force.window", r.Window, &b.Window}); err != nil {
		return b, err
	}
	if b.Window < time.Second {
		return b, invalid("server.brute_force.window", "must be at least 1s")
	}
	for _, f := range []struct {
		key string
		v   *int64
		dst *int
		min int64
	}{
		{"server.brute_force.max_failures", r.MaxFailures, &b.MaxFailures, 1},
		{"server.brute_force.max_failures_per_account", r.MaxFailuresPerAccount, &b.MaxFailuresPerAccount, 0},
		{"server.brute_force.max_failures_per_address", r.MaxFailuresPerAddress, &b.MaxFailuresPerAddress, 0},
	} {
		if f.v == nil {
			continue
		}
		if *f.v < f.min || *f.v > 1<<20 {
			return b, invalid(f.key, "must be between %d and %d", f.min, 1<<20)
		}
		*f.dst = int(*f.v)
	}
	return b, nil
}
