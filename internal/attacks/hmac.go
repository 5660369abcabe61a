package attacks

import (
	"crypto/hmac"
	"crypto/sha256"
)

// hmacSHA256 signs with any key, also an empty one (the /dev/null kid
// attack), which golang-jwt's HS256 refuses to do.
func hmacSHA256(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}
