package htpasswd

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// bcryptPrefixes are the bcrypt variants htpasswd and other tools write; they
// differ only in historic bug fixes of other implementations and verify the
// same way.
var bcryptPrefixes = []string{"$2y$", "$2a$", "$2b$"}

// readHtpasswd parses an htpasswd file: "username:hash" lines, blank lines
// and "#" comments ignored. Any hash other than bcrypt is refused with the
// scheme it looks like: the store would otherwise have to carry MD5, SHA-1
// or crypt(3) verifiers that are too weak to offer. It returns the users and
// the highest bcrypt cost among them (for the dummy hash).
func readHtpasswd(path string) (map[string]entry, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()

	users := map[string]entry{}
	maxCost := bcrypt.DefaultCost
	first := true
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, hash, ok := strings.Cut(line, ":")
		if !ok || name == "" {
			return nil, 0, fmt.Errorf("%s:%d: want \"username:hash\"", path, n)
		}
		hash = strings.TrimSpace(hash)
		if !hasBcryptPrefix(hash) {
			return nil, 0, fmt.Errorf("%s:%d: user %q: the hash is %s, not bcrypt; only bcrypt hashes ($2y$, $2a$, $2b$) are accepted: re-create the entry with `htpasswd -B`", path, n, name, scheme(hash))
		}
		cost, err := bcrypt.Cost([]byte(hash))
		if err != nil {
			return nil, 0, fmt.Errorf("%s:%d: user %q: malformed bcrypt hash: %v", path, n, name, err)
		}
		if _, dup := users[name]; dup {
			return nil, 0, fmt.Errorf("%s:%d: user %q is listed twice (first on line %d)", path, n, name, users[name].line)
		}
		users[name] = entry{hash: hash, line: n}
		if first || cost > maxCost {
			maxCost, first = cost, false
		}
	}
	if err := sc.Err(); err != nil {
		return nil, 0, fmt.Errorf("%s: %v", path, err)
	}
	return users, maxCost, nil
}

// readGroups parses an Apache group file ("group: user1 user2" lines) and
// sets each listed user's groups, sorted and without duplicates. Names of
// users absent from the htpasswd file are ignored, as Apache does.
func readGroups(path string, users map[string]entry) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()

	member := map[string][]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		group, names, ok := strings.Cut(line, ":")
		group = strings.TrimSpace(group)
		if !ok || group == "" {
			return fmt.Errorf("%s:%d: want \"group: user1 user2 ...\"", path, n)
		}
		for _, u := range strings.Fields(names) {
			member[u] = append(member[u], group)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	for name, e := range users {
		g := member[name]
		slices.Sort(g)
		e.groups = slices.Compact(g)
		if e.groups == nil {
			e.groups = []string{}
		}
		users[name] = e
	}
	return nil
}

func hasBcryptPrefix(hash string) bool {
	for _, p := range bcryptPrefixes {
		if strings.HasPrefix(hash, p) {
			return true
		}
	}
	return false
}

// scheme names the hash scheme an htpasswd entry appears to use, for the
// error that refuses it.
func scheme(hash string) string {
	switch {
	case strings.HasPrefix(hash, "$apr1$"):
		return "Apache MD5 ($apr1$)"
	case strings.HasPrefix(hash, "{SHA}"):
		return "SHA-1 ({SHA})"
	case strings.HasPrefix(hash, "$5$"), strings.HasPrefix(hash, "$6$"):
		return "crypt SHA-256/512 ($5$/$6$)"
	case strings.HasPrefix(hash, "$1$"):
		return "crypt MD5 ($1$)"
	case strings.HasPrefix(hash, "$2"):
		return "an unknown bcrypt variant"
	case hash == "":
		return "empty"
	default:
		return "crypt(3) DES or plain text"
	}
}
