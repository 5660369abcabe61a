package passwords_test

import (
	"fmt"

	"github.com/jwtd/jwtd/sdk/passwords"
)

// Check verifies a hash exactly as Django stored it in auth_user.password.
func ExampleCheck() {
	encoded := "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3"
	ok, err := passwords.Check("lètmein", encoded)
	fmt.Println(ok, err)
	ok, err = passwords.Check("wrong", encoded)
	fmt.Println(ok, err)
	// Output:
	// true <nil>
	// false <nil>
}

// Hash writes argon2id in Django's format; Django verifies it as it is.
func ExampleHash() {
	encoded, err := passwords.Hash("s3cret", passwords.Params{Time: 1, MemoryKiB: 64, Parallelism: 1})
	if err != nil {
		panic(err)
	}
	fmt.Println(passwords.Algorithm(encoded))
	ok, _ := passwords.Check("s3cret", encoded)
	fmt.Println(ok)
	// Output:
	// argon2
	// true
}
