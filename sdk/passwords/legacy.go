package passwords

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"strings"
)

// saltedHexHasher is Django's SHA1PasswordHasher and MD5PasswordHasher:
// "<algo>$<salt>$<hex digest of salt+password>". An empty salt ("sha1$$...")
// is Django's UnsaltedSHA1PasswordHasher, whose digest is of the password
// alone: the same computation.
type saltedHexHasher struct {
	algo string
}

func (h saltedHexHasher) verify(password, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 3 {
		return false, malformed(h.algo, "want 3 fields")
	}
	salt, want := parts[1], parts[2]
	var got string
	switch h.algo {
	case "sha1":
		sum := sha1.Sum([]byte(salt + password))
		got = hex.EncodeToString(sum[:])
	default:
		sum := md5.Sum([]byte(salt + password))
		got = hex.EncodeToString(sum[:])
	}
	// Django writes lowercase hex; accept what it would accept, no more.
	return equal(got, want), nil
}

// unsaltedMD5Hasher is Django's UnsaltedMD5PasswordHasher: a bare hex MD5 of
// the password, or the same prefixed with "md5$$".
type unsaltedMD5Hasher struct{}

func (unsaltedMD5Hasher) verify(password, encoded string) (bool, error) {
	want := strings.TrimPrefix(encoded, "md5$$")
	sum := md5.Sum([]byte(password))
	return equal(hex.EncodeToString(sum[:]), want), nil
}
