package passwords

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// maxBcryptCost bounds the cost a stored bcrypt hash can ask for: Django's
// default is 12, each step doubles the work, and 15 (eight times the
// default) is as far as a check may go; cost 31 would run for hours.
const maxBcryptCost = 15

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
	if cost, err := bcrypt.Cost([]byte(data)); err != nil {
		return false, malformed(algo, err.Error())
	} else if cost > maxBcryptCost {
		return false, malformed(algo, "cost above "+strconv.Itoa(maxBcryptCost))
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
