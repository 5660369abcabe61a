//go:build ignore

// gen writes users.htpasswd, the test fixture, with bcrypt hashes of the
// passwords documented in htpasswd/store_test.go. Run it from this directory
// with `go run gen.go` to make the fixture again (the hashes change, being
// salted; the passwords do not). The cost is bcrypt's minimum to keep tests
// fast; real files use `htpasswd -B` (cost 5 and up) or more.
package main

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

func main() {
	users := []struct{ name, password, prefix string }{
		// One of each bcrypt variant htpasswd files carry.
		{"alice", "alice-secret", "$2y$"},
		{"bob", "correct horse battery staple", "$2a$"},
		{"carol", "c4r0l!", "$2b$"},
	}
	var b strings.Builder
	b.WriteString("# jwtd htpasswd example fixture: see gen.go\n")
	for _, u := range users {
		h, err := bcrypt.GenerateFromPassword([]byte(u.password), bcrypt.MinCost)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		// x/crypto writes $2a$; the variants differ only in other
		// implementations' bug fixes and verify alike.
		fmt.Fprintf(&b, "%s:%s%s\n", u.name, u.prefix, h[4:])
	}
	if err := os.WriteFile("users.htpasswd", []byte(b.String()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
