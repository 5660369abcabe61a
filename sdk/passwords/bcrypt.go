package passwords

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// bcryptHasher is Django's BCryptPasswordHasher ("bcrypt$" + the bcrypt
// string) and BCryptSHA256PasswordHasher ("bcrypt_sha256$" + the bcrypt
// string of the lowercase hex SHA-256 of the password, which lifts bcrypt's
// 72-byte limit).
type bcryptHasher struct {
	sha256 bool
}

func (h bcryptHasher) verify(password, encoded string) (bool, error) {
	algo := "bcrypt"
	if h.sha256 {
		algo = "bcrypt_sha256"
	}
	_, data, _ := strings.Cut(encoded, "$")
	if !strings.HasPrefix(data, "$2") {
		return false, malformed(algo, "not a bcrypt string")
	}
	secret := []byte(password)
	if h.sha256 {
		sum := sha256.Sum256(secret)
		secret = []byte(hex.EncodeToString(sum[:]))
	}
	// CompareHashAndPassword is constant time over the digest, and like
	// Python's bcrypt it uses only the first 72 bytes of a plain password.
	err := bcrypt.CompareHashAndPassword([]byte(data), secret)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		return false, malformed(algo, err.Error())
	}
}
