package passwords

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
)

// Errors returned by Check. A stored hash that Check refuses never matches:
// callers treat any error as "wrong password" (failing closed) and may log it,
// since it usually means a corrupt or foreign value in the user table.
var (
	// ErrUnknownAlgorithm: the encoded hash names an algorithm this package
	// does not implement (for example Django's "crypt" or argon2d).
	ErrUnknownAlgorithm = errors.New("passwords: unknown hash algorithm")
	// ErrMalformedHash: the encoded hash names a known algorithm but its
	// fields cannot be parsed, or its cost parameters are outside the limits
	// this package accepts.
	ErrMalformedHash = errors.New("passwords: malformed hash")
)

// MaxPasswordBytes is the longest password worth hashing. Django itself has
// no cap, but slow hashes on megabyte passwords are a denial-of-service
// lever, so user stores refuse longer passwords as invalid credentials
// without hashing them.
const MaxPasswordBytes = 4096

// UnusablePrefix starts every unusable password, as Django's
// set_unusable_password writes it ("!" followed by random characters).
const UnusablePrefix = "!"

// verifier checks a password against one algorithm's encoded form. Each
// algorithm is a small type registered in hashers by its Django name, the
// text before the first "$".
type verifier interface {
	verify(password, encoded string) (bool, error)
}

// hashers maps Django's algorithm names to their verifiers.
var hashers = map[string]verifier{
	"pbkdf2_sha256": pbkdf2SHA256,
	"pbkdf2_sha1":   pbkdf2SHA1,
	"argon2":        argon2Hasher{},
	"bcrypt_sha256": bcryptHasher{sha256: true},
	"bcrypt":        bcryptHasher{},
	"sha1":          saltedHexHasher{algo: "sha1"},
	"md5":           saltedHexHasher{algo: "md5"},
	"unsalted_md5":  unsaltedMD5Hasher{},
}

// Algorithm returns the Django algorithm name of encoded ("pbkdf2_sha256",
// "argon2", "unsalted_md5", ...), "" for an empty or unusable value. It does
// not check that the rest of the value is well formed.
func Algorithm(encoded string) string {
	if encoded == "" || strings.HasPrefix(encoded, UnusablePrefix) {
		return ""
	}
	// Django's identify_hasher: a bare 32-character hex digest, or "md5$$"
	// followed by one, is unsalted MD5; "sha1$$" is unsalted SHA-1, which
	// the salted sha1 verifier handles with an empty salt.
	if (len(encoded) == 32 && !strings.Contains(encoded, "$")) ||
		(len(encoded) == 37 && strings.HasPrefix(encoded, "md5$$")) {
		return "unsalted_md5"
	}
	algo, _, _ := strings.Cut(encoded, "$")
	return algo
}

// Supported reports whether Check implements the algorithm encoded names
// (without checking the rest of the value). It is false for empty and
// unusable values.
func Supported(encoded string) bool {
	_, ok := hashers[Algorithm(encoded)]
	return ok
}

// Check reports whether password matches encoded, a hash as Django stores it.
//
// It returns (false, nil) for a wrong password, an unusable ("!...") or empty
// encoded value; (false, err) wrapping ErrUnknownAlgorithm or
// ErrMalformedHash when encoded cannot be verified; and (true, nil) only on a
// match. Digests are compared in constant time. Check never panics, whatever
// encoded holds.
func Check(password, encoded string) (bool, error) {
	algo := Algorithm(encoded)
	if algo == "" {
		return false, nil
	}
	h, ok := hashers[algo]
	if !ok {
		return false, fmt.Errorf("%w: %q", ErrUnknownAlgorithm, truncate(algo))
	}
	return h.verify(password, encoded)
}

// equal compares two strings in constant time (for equal lengths; the
// lengths themselves are public, fixed by the algorithm).
func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// malformed builds an ErrMalformedHash naming the algorithm and what is wrong,
// never echoing the hash itself.
func malformed(algo, why string) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformedHash, algo, why)
}

// truncate keeps error messages short when an algorithm name is garbage.
func truncate(s string) string {
	if len(s) > 32 {
		return s[:32] + "..."
	}
	return s
}
