package passwords

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Limits on argon2 parameters, for stored hashes and for Params alike, so
// that a corrupt or hostile value cannot make one check allocate gigabytes
// or run for minutes. What a check costs is memory × passes: it may be at
// most maxArgon2Work, about ten times Django's default (m=102400 KiB, t=2,
// p=8), which still admits RFC 9106's first recommendation (2 GiB, t=1)
// shrunk to 1 GiB × 2.
const (
	maxArgon2MemoryKiB = 1 << 20 // 1 GiB
	maxArgon2Time      = 1000
	maxArgon2Work      = 1 << 21 // KiB × passes: 2 GiB·pass
	minArgon2SaltLen   = 8       // RFC 9106 minimum, enforced by argon2-cffi too
	minArgon2HashLen   = 4
	maxArgon2HashLen   = 1024
	argon2Version      = 19 // 0x13, the only version x/crypto implements
)

// Params are the argon2id parameters of new hashes. The zero value of a field
// means Django's default for it (DefaultParams).
type Params struct {
	// Time is argon2's time cost (iterations). Default 2.
	Time uint32
	// MemoryKiB is the memory cost in KiB. Default 102400 (100 MiB). It must be
	// at least 8 × Parallelism.
	MemoryKiB uint32
	// Parallelism is the number of lanes. Default 8.
	Parallelism uint8
	// HashLen is the digest length in bytes. Default 16, as Django
	// (argon2-cffi's DEFAULT_HASH_LENGTH).
	HashLen uint32
}

// DefaultParams returns Django's current Argon2PasswordHasher settings:
// time_cost 2, memory_cost 102400 KiB, parallelism 8, 16-byte digest.
func DefaultParams() Params {
	return Params{Time: 2, MemoryKiB: 102400, Parallelism: 8, HashLen: 16}
}

// withDefaults fills zero fields from DefaultParams.
func (p Params) withDefaults() Params {
	d := DefaultParams()
	if p.Time == 0 {
		p.Time = d.Time
	}
	if p.MemoryKiB == 0 {
		p.MemoryKiB = d.MemoryKiB
	}
	if p.Parallelism == 0 {
		p.Parallelism = d.Parallelism
	}
	if p.HashLen == 0 {
		p.HashLen = d.HashLen
	}
	return p
}

// Validate reports whether p (after defaults for zero fields) is usable: a
// user store calls it at start so that a bad setting is a config error, not a
// failure at the first CreateUser.
func (p Params) Validate() error {
	p = p.withDefaults()
	switch {
	case p.Time > maxArgon2Time:
		return fmt.Errorf("passwords: argon2 time cost %d above %d", p.Time, maxArgon2Time)
	case p.MemoryKiB > maxArgon2MemoryKiB:
		return fmt.Errorf("passwords: argon2 memory %d KiB above %d KiB", p.MemoryKiB, maxArgon2MemoryKiB)
	case uint64(p.MemoryKiB)*uint64(p.Time) > maxArgon2Work:
		return fmt.Errorf("passwords: argon2 memory × time %d KiB × %d above %d", p.MemoryKiB, p.Time, maxArgon2Work)
	case p.MemoryKiB < 8*uint32(p.Parallelism):
		return fmt.Errorf("passwords: argon2 memory %d KiB below 8 × parallelism (%d)", p.MemoryKiB, p.Parallelism)
	case p.HashLen < minArgon2HashLen || p.HashLen > maxArgon2HashLen:
		return fmt.Errorf("passwords: argon2 hash length %d outside [%d, %d]", p.HashLen, minArgon2HashLen, maxArgon2HashLen)
	}
	return nil
}

// Hash returns password hashed with argon2id in Django's format,
// "argon2$argon2id$v=19$m=M,t=T,p=P$SALT$HASH" (salt and digest base64
// without padding), with a fresh 22-character random salt as Django makes.
// Zero fields of p take Django's defaults.
func Hash(password string, p Params) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	p = p.withDefaults()
	salt, err := randomSalt()
	if err != nil {
		return "", err
	}
	return encodeArgon2(password, []byte(salt), p), nil
}

func encodeArgon2(password string, salt []byte, p Params) string {
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Parallelism, p.HashLen)
	return fmt.Sprintf("argon2$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2Version, p.MemoryKiB, p.Time, p.Parallelism,
		base64.RawStdEncoding.EncodeToString(salt),
		base64.RawStdEncoding.EncodeToString(key))
}

// saltChars is Django's RANDOM_STRING_CHARS.
const saltChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// randomSalt returns 22 characters of saltChars (about 131 bits), as
// Django's BasePasswordHasher.salt does.
func randomSalt() (string, error) {
	out := make([]byte, 0, 22)
	buf := make([]byte, 32)
	for len(out) < cap(out) {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("passwords: random salt: %w", err)
		}
		for _, b := range buf {
			// Rejection sampling keeps the choice uniform: 248 = 4 × 62.
			if b < 248 && len(out) < cap(out) {
				out = append(out, saltChars[int(b)%len(saltChars)])
			}
		}
	}
	return string(out), nil
}

// argon2Hasher is Django's Argon2PasswordHasher: "argon2" followed by
// argon2-cffi's encoding "$argon2id$v=19$m=..,t=..,p=..$salt$hash". It
// verifies argon2id and argon2i of version 19; argon2d and the old
// version-16 encoding (no "v=" field) are not implemented by x/crypto.
type argon2Hasher struct{}

func (argon2Hasher) verify(password, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) == 5 && strings.HasPrefix(parts[1], "argon2") {
		return false, fmt.Errorf("%w: argon2 version 16 (no v= field)", ErrUnknownAlgorithm)
	}
	if len(parts) != 6 {
		return false, malformed("argon2", "want 6 fields")
	}
	variant := parts[1]
	if variant != "argon2id" && variant != "argon2i" {
		return false, fmt.Errorf("%w: argon2 variant %q", ErrUnknownAlgorithm, truncate(variant))
	}
	if parts[2] != "v=19" {
		return false, fmt.Errorf("%w: argon2 version %q", ErrUnknownAlgorithm, truncate(parts[2]))
	}
	p, err := parseArgon2Params(parts[3])
	if err != nil {
		return false, err
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(strings.TrimRight(parts[4], "="))
	want, err2 := base64.RawStdEncoding.DecodeString(strings.TrimRight(parts[5], "="))
	if err1 != nil || err2 != nil {
		return false, malformed("argon2", "bad base64")
	}
	if len(salt) < minArgon2SaltLen {
		return false, malformed("argon2", "salt too short")
	}
	if len(want) < minArgon2HashLen || len(want) > maxArgon2HashLen {
		return false, malformed("argon2", "bad digest length")
	}
	p.HashLen = uint32(len(want))
	if err := p.Validate(); err != nil {
		return false, malformed("argon2", err.Error())
	}
	derive := argon2.IDKey
	if variant == "argon2i" {
		derive = argon2.Key
	}
	got := derive([]byte(password), salt, p.Time, p.MemoryKiB, p.Parallelism, p.HashLen)
	return equal(string(got), string(want)), nil
}

// parseArgon2Params reads "m=102400,t=2,p=8" (any order, each once).
func parseArgon2Params(s string) (Params, error) {
	var p Params
	seen := map[string]bool{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || seen[k] {
			return Params{}, malformed("argon2", "bad parameters")
		}
		seen[k] = true
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil || n == 0 {
			return Params{}, malformed("argon2", "bad parameter "+truncate(k))
		}
		switch k {
		case "m":
			p.MemoryKiB = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return Params{}, malformed("argon2", "parallelism above 255")
			}
			p.Parallelism = uint8(n)
		default:
			return Params{}, malformed("argon2", "unknown parameter "+truncate(k))
		}
	}
	if len(seen) != 3 {
		return Params{}, malformed("argon2", "want m, t and p")
	}
	return p, nil
}
