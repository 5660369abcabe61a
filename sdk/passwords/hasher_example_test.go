package passwords_test

import (
	"fmt"
	"strings"

	"github.com/jwtd/jwtd/sdk/passwords"
)

// A Hasher writes what Django's own PBKDF2PasswordHasher writes, so a stock
// Django checks passwords that jwtd set; MustUpdate says which stored hashes
// to rewrite after a successful login.
func ExampleHasher() {
	h := passwords.Hasher{PBKDF2Iterations: 1000} // the zero value uses Django's current default
	encoded, err := h.Hash("s3cret")
	if err != nil {
		panic(err)
	}
	fmt.Println(strings.Join(strings.Split(encoded, "$")[:2], "$"))
	ok, _ := passwords.Check("s3cret", encoded)
	fmt.Println(ok)
	fmt.Println(h.MustUpdate(encoded))
	fmt.Println(h.MustUpdate("pbkdf2_sha256$260000$salt$aGFzaA=="))
	fmt.Println(h.MustUpdate("md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3"))
	// Output:
	// pbkdf2_sha256$1000
	// true
	// false
	// false
	// true
}
