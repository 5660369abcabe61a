package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/jwtd/jwtd/core"
)

// rawKey is one [[tokens.keys]] table: a key of the ring.
type rawKey struct {
	Kid          *string `toml:"kid"`
	Algorithm    *string `toml:"algorithm"`
	State        *string `toml:"state"`
	SigningKey   *string `toml:"signing_key"`
	VerifyingKey *string `toml:"verifying_key"`
	// RetireAfter is a TOML date-time (2027-01-31T00:00:00Z) or an RFC 3339
	// string.
	RetireAfter any `toml:"retire_after"`
}

// buildKeys resolves the ring's key material (inline, file: or env:, as
// signing_key) and dates; the core checks the rest, naming the key.
func buildKeys(raw []rawKey, baseDir string) ([]core.Key, error) {
	keys := make([]core.Key, 0, len(raw))
	for i, r := range raw {
		k := core.Key{}
		// Each refusal names the key as the core's do:
		// tokens.keys[i].field: kid "…": reason.
		refuse := func(field, format string, args ...any) error {
			if k.ID != "" {
				format = fmt.Sprintf("kid %q: ", k.ID) + format
			}
			return invalid(fmt.Sprintf("tokens.keys[%d].%s", i, field), format, args...)
		}
		if r.Kid != nil {
			if strings.TrimSpace(*r.Kid) == "" {
				return nil, refuse("kid", "must not be empty (leave it out for a derived kid)")
			}
			k.ID = *r.Kid
		}
		if r.Algorithm != nil {
			k.Algorithm = *r.Algorithm
		}
		if r.State != nil {
			k.State = core.KeyState(*r.State)
		}
		for _, m := range []struct {
			field string
			spec  *string
			dst   *string
		}{{"signing_key", r.SigningKey, &k.SigningKey}, {"verifying_key", r.VerifyingKey, &k.VerifyingKey}} {
			if m.spec == nil || *m.spec == "" {
				continue
			}
			b, err := core.ResolveKey(*m.spec, baseDir)
			if err != nil {
				return nil, refuse(m.field, "%v", err)
			}
			*m.dst = string(b)
		}
		switch v := r.RetireAfter.(type) {
		case nil:
		case time.Time:
			k.RetireAfter = v
		case string:
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return nil, refuse("retire_after", "%q is not an RFC 3339 date-time", v)
			}
			k.RetireAfter = t
		default:
			return nil, refuse("retire_after", "must be a date-time, not %T", v)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// keySpecs are the key specs of [tokens] and its ring by setting name, for
// the checks that keep key variables away from plugins.
func keySpecs(t rawTokens) map[string]*string {
	m := map[string]*string{"tokens.signing_key": t.SigningKey, "tokens.verifying_key": t.VerifyingKey}
	for i, k := range t.Keys {
		m[fmt.Sprintf("tokens.keys[%d].signing_key", i)] = k.SigningKey
		m[fmt.Sprintf("tokens.keys[%d].verifying_key", i)] = k.VerifyingKey
	}
	return m
}
