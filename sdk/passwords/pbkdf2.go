package passwords

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/pbkdf2"
)

// maxPBKDF2Iterations bounds the work a stored hash can ask for: ten times
// Django 5.2's 1,000,000. Anything beyond is a corrupt or hostile value,
// refused before any hashing (one such check would otherwise take seconds).
const maxPBKDF2Iterations = 10_000_000

// pbkdf2Hasher is Django's PBKDF2PasswordHasher and PBKDF2SHA1PasswordHasher:
// "<algo>$<iterations>$<salt>$<base64 of PBKDF2(password, salt)>", with the
// derived key as long as the digest.
type pbkdf2Hasher struct {
	algo string
	hash func() hash.Hash
	size int
}

var (
	pbkdf2SHA256 = pbkdf2Hasher{algo: "pbkdf2_sha256", hash: sha256.New, size: sha256.Size}
	pbkdf2SHA1   = pbkdf2Hasher{algo: "pbkdf2_sha1", hash: sha1.New, size: sha1.Size}
)

func (h pbkdf2Hasher) verify(password, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 4 {
		return false, malformed(h.algo, "want 4 fields")
	}
	iter, err := pbkdf2Iterations(h.algo, parts[1])
	if err != nil {
		return false, err
	}
	salt, want := parts[2], parts[3]
	if want == "" {
		return false, malformed(h.algo, "empty digest")
	}
	key := pbkdf2.Key([]byte(password), []byte(salt), iter, h.size, h.hash)
	// Django compares the whole re-encoded string; comparing the base64
	// digests is the same test.
	return equal(base64.StdEncoding.EncodeToString(key), want), nil
}

// pbkdf2Iterations parses a stored iteration count within the bounds.
func pbkdf2Iterations(algo, field string) (int, error) {
	iter, err := strconv.Atoi(field)
	if err != nil || iter < 1 || iter > maxPBKDF2Iterations {
		return 0, malformed(algo, "bad iteration count")
	}
	return iter, nil
}
