package passwords_test

import (
	"fmt"

	"github.com/jwtd/jwtd/sdk/passwords"
)

// A user store's login: Verify for a known user, the dummy's Check for an
// unknown one, so both answers cost one real hash check.
func ExampleDummy() {
	stored, err := passwords.Hash("correct horse", passwords.Params{Time: 1, MemoryKiB: 64, Parallelism: 1})
	if err != nil {
		panic(err)
	}
	users := map[string]string{"alice": stored}
	dummy := passwords.NewDummyLike(stored)

	login := func(username, password string) bool {
		encoded, ok := users[username]
		if !ok {
			return dummy.Check(password) // always false, as slow as a check
		}
		return dummy.Verify(password, encoded)
	}
	fmt.Println(login("alice", "correct horse"), login("alice", "wrong"), login("mallory", "correct horse"))
	// Output: true false false
}
