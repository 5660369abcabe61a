package passwords

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/pbkdf2"
)

// DefaultPBKDF2Iterations is the iteration count of Django's
// PBKDF2PasswordHasher in the current Django release (6.1: 1,500,000;
// Django 6.2 raises it to 1,800,000). New pbkdf2_sha256 hashes use it unless
// a Hasher says otherwise.
const DefaultPBKDF2Iterations = 1_500_000

// DefaultBcryptRounds is Django's BCryptSHA256PasswordHasher.rounds.
const DefaultBcryptRounds = 12

// The algorithm names a Hasher writes, as Django's PASSWORD_HASHERS name
// them in the stored value.
const (
	AlgPBKDF2SHA256 = "pbkdf2_sha256"
	AlgArgon2       = "argon2"
	AlgBcryptSHA256 = "bcrypt_sha256"
)

// Hasher writes new password hashes in one of the formats a stock Django
// verifies, and tells which stored hashes should be rewritten: Django's
// first PASSWORD_HASHERS entry with its check_password upgrade rule. The
// zero value writes pbkdf2_sha256 with DefaultPBKDF2Iterations, which every
// Django installation checks without optional libraries (argon2 needs
// argon2-cffi, bcrypt the bcrypt package).
type Hasher struct {
	// Algorithm is AlgPBKDF2SHA256 (default), AlgArgon2 or AlgBcryptSHA256.
	Algorithm string
	// PBKDF2Iterations for pbkdf2_sha256; 0 means DefaultPBKDF2Iterations.
	PBKDF2Iterations int
	// Argon2 parameters for argon2 (zero fields: Django's defaults).
	Argon2 Params
	// BcryptRounds for bcrypt_sha256 (log2 cost); 0 means
	// DefaultBcryptRounds.
	BcryptRounds int
}

func (h Hasher) withDefaults() Hasher {
	if h.Algorithm == "" {
		h.Algorithm = AlgPBKDF2SHA256
	}
	if h.PBKDF2Iterations == 0 {
		h.PBKDF2Iterations = DefaultPBKDF2Iterations
	}
	if h.BcryptRounds == 0 {
		h.BcryptRounds = DefaultBcryptRounds
	}
	return h
}

// Validate reports whether h can hash: a known algorithm and parameters
// within the bounds Check accepts, so a setting is refused at start rather
// than producing hashes nobody can verify.
func (h Hasher) Validate() error {
	h = h.withDefaults()
	switch h.Algorithm {
	case AlgPBKDF2SHA256:
		if h.PBKDF2Iterations < 1 || h.PBKDF2Iterations > maxPBKDF2Iterations {
			return fmt.Errorf("passwords: pbkdf2 iterations %d outside [1, %d]", h.PBKDF2Iterations, maxPBKDF2Iterations)
		}
	case AlgArgon2:
		return h.Argon2.Validate()
	case AlgBcryptSHA256:
		// Capped at what Check accepts (maxBcryptCost), not bcrypt's own
		// maximum: a store must never write a hash it then refuses.
		if h.BcryptRounds < bcrypt.MinCost || h.BcryptRounds > maxBcryptCost {
			return fmt.Errorf("passwords: bcrypt rounds %d outside [%d, %d]", h.BcryptRounds, bcrypt.MinCost, maxBcryptCost)
		}
	default:
		return fmt.Errorf("passwords: cannot write %q hashes (want %s, %s or %s)", h.Algorithm, AlgPBKDF2SHA256, AlgArgon2, AlgBcryptSHA256)
	}
	return nil
}

// Hash returns password hashed with h's algorithm and a fresh salt, in the
// form Django stores.
func (h Hasher) Hash(password string) (string, error) {
	if err := h.Validate(); err != nil {
		return "", err
	}
	h = h.withDefaults()
	switch h.Algorithm {
	case AlgArgon2:
		return Hash(password, h.Argon2)
	case AlgBcryptSHA256:
		return HashBcryptSHA256(password, h.BcryptRounds)
	default:
		return HashPBKDF2SHA256(password, h.PBKDF2Iterations)
	}
}

// MustUpdate reports whether a stored hash that just verified should be
// rewritten with h, as Django's check_password does through its setter: the
// algorithm is not h's, or it is h's with less work (fewer PBKDF2
// iterations, a lower bcrypt cost, smaller argon2 costs). Unlike Django it
// never rewrites a hash that asks for more work than h, so that jwtd and a
// Django with an older default do not rewrite each other's hashes down.
// Empty, unusable and unparsable values are never rewritten here (they do
// not verify in the first place).
func (h Hasher) MustUpdate(encoded string) bool {
	h = h.withDefaults()
	algo := Algorithm(encoded)
	if algo == "" || !Supported(encoded) {
		return false
	}
	if algo != h.Algorithm {
		return true
	}
	switch algo {
	case AlgPBKDF2SHA256:
		parts := strings.Split(encoded, "$")
		if len(parts) != 4 {
			return false
		}
		iter, err := strconv.Atoi(parts[1])
		return err == nil && iter < h.PBKDF2Iterations
	case AlgBcryptSHA256:
		_, data, _ := strings.Cut(encoded, "$")
		cost, err := bcrypt.Cost([]byte(data))
		return err == nil && cost < h.BcryptRounds
	case AlgArgon2:
		parts := strings.Split(encoded, "$")
		if len(parts) != 6 {
			return false
		}
		p, err := parseArgon2Params(parts[3])
		if err != nil {
			return false
		}
		want := h.Argon2.withDefaults()
		return parts[1] != "argon2id" || p.Time < want.Time || p.MemoryKiB < want.MemoryKiB || p.Parallelism < want.Parallelism
	}
	return false
}

// HashPBKDF2SHA256 returns password in Django's PBKDF2PasswordHasher format,
// "pbkdf2_sha256$<iterations>$<salt>$<base64 of the 32-byte key>", with a
// fresh 22-character salt as Django makes.
func HashPBKDF2SHA256(password string, iterations int) (string, error) {
	if iterations < 1 || iterations > maxPBKDF2Iterations {
		return "", fmt.Errorf("passwords: pbkdf2 iterations %d outside [1, %d]", iterations, maxPBKDF2Iterations)
	}
	salt, err := randomSalt()
	if err != nil {
		return "", err
	}
	key := pbkdf2.Key([]byte(password), []byte(salt), iterations, sha256.Size, sha256.New)
	return fmt.Sprintf("%s$%d$%s$%s", AlgPBKDF2SHA256, iterations, salt, base64.StdEncoding.EncodeToString(key)), nil
}

// HashBcryptSHA256 returns password in Django's BCryptSHA256PasswordHasher
// format: "bcrypt_sha256$" followed by the bcrypt string of the lowercase
// hex SHA-256 of the password (which lifts bcrypt's 72-byte limit).
func HashBcryptSHA256(password string, rounds int) (string, error) {
	sum := sha256.Sum256([]byte(password))
	data, err := bcrypt.GenerateFromPassword([]byte(hex.EncodeToString(sum[:])), rounds)
	if err != nil {
		return "", fmt.Errorf("passwords: bcrypt: %w", err)
	}
	return AlgBcryptSHA256 + "$" + string(data), nil
}
