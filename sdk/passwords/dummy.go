package passwords

import (
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Dummy burns the work of one real password check for a login whose user does
// not exist, so that the answer "invalid credentials" takes as long for an
// unknown username as for a wrong password, and timing does not reveal which
// usernames exist. It is safe for concurrent use.
type Dummy struct {
	encoded string
}

// NewDummy hashes a random, never-used password with p (zero fields take
// Django's defaults) so that Dummy.Check costs what checking a freshly
// created user's password costs. For a table whose hashes mostly use another
// algorithm (a Django database of pbkdf2_sha256 hashes), use NewDummyLike.
func NewDummy(p Params) (*Dummy, error) {
	secret, err := randomSalt()
	if err != nil {
		return nil, err
	}
	enc, err := Hash(secret, p)
	if err != nil {
		return nil, err
	}
	return &Dummy{encoded: enc}, nil
}

// NewDummyLike returns a Dummy whose check costs what checking encoded
// costs (same algorithm, same parameters). A store serving an existing table
// passes the hash of one of its users so that the burn matches the hashes it
// actually holds. Check never reports a match, so even the real hash of a real
// user is safe here.
//
// The parameters are copied only when Check would accept them: a hash whose
// cost is beyond the limits (argon2 memory × time, PBKDF2 iterations, bcrypt
// cost), malformed, or of an algorithm Check does not implement would make
// every unknown-user login either burn nothing (a timing oracle) or burn an
// absurd amount. Such a hash gives a dummy of the same algorithm at Django's
// default cost instead (argon2id at DefaultParams for anything else). Only
// the parameters are parsed here: no hash is computed for a usable value.
func NewDummyLike(encoded string) *Dummy {
	if costWithinLimits(encoded) {
		return &Dummy{encoded: encoded}
	}
	return &Dummy{encoded: defaultDummyHash(Algorithm(encoded))}
}

// costWithinLimits reports whether encoded names an implemented algorithm
// and parameters Check accepts, by parsing without hashing.
func costWithinLimits(encoded string) bool {
	if !Supported(encoded) {
		return false
	}
	parts := strings.Split(encoded, "$")
	switch algo := Algorithm(encoded); algo {
	case "argon2":
		if len(parts) != 6 {
			return false
		}
		p, err := parseArgon2Params(parts[3])
		return err == nil && p.Validate() == nil
	case "pbkdf2_sha256", "pbkdf2_sha1":
		if len(parts) != 4 || parts[3] == "" {
			return false
		}
		_, err := pbkdf2Iterations(algo, parts[1])
		return err == nil
	case "bcrypt", "bcrypt_sha256":
		_, data, _ := strings.Cut(encoded, "$")
		cost, err := bcrypt.Cost([]byte(data))
		return err == nil && cost <= maxBcryptCost
	}
	return true // the legacy digests have no cost parameter
}

// defaultDummyHash is a never-matching hash of algorithm algo at the cost
// a Hasher writes by default (DefaultPBKDF2Iterations, DefaultBcryptRounds,
// DefaultParams), so an unknown login costs what a real one does. Verifying any password against it costs one full
// computation, which derives the whole key before comparing: the digest
// stored here is random text, so building the dummy costs nothing (bcrypt
// excepted, whose format needs a real hash).
func defaultDummyHash(algo string) string {
	secret, _ := randomSalt() // crypto/rand does not fail
	switch algo {
	case "pbkdf2_sha256", "pbkdf2_sha1":
		// Verify derives the full key before it compares, so the digest
		// need not be a real one.
		return fmt.Sprintf("%s$%d$%s$%s", algo, DefaultPBKDF2Iterations, secret, base64.StdEncoding.EncodeToString([]byte(secret)))
	case "bcrypt", "bcrypt_sha256":
		if h, err := bcrypt.GenerateFromPassword([]byte(secret), DefaultBcryptRounds); err == nil {
			return algo + "$" + string(h)
		}
	}
	p := DefaultParams()
	return fmt.Sprintf("argon2$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2Version, p.MemoryKiB, p.Time, p.Parallelism,
		base64.RawStdEncoding.EncodeToString([]byte(secret)), base64.RawStdEncoding.EncodeToString([]byte(secret[:p.HashLen])))
}

// Check spends the time of checking password against the dummy hash and
// always reports false: a Dummy never authenticates anyone.
func (d *Dummy) Check(password string) bool {
	if d == nil {
		return false
	}
	_, _ = Check(password, d.encoded)
	return false
}

// Verify checks password against a user's stored hash, and burns the
// dummy's work whenever that hash cannot be checked (unusable "!…",
// empty, an unknown algorithm, malformed), so that such users cost what a
// wrong password costs: otherwise the quick "no" would tell an attacker
// which usernames exist (Django's CVE-2024-39329). It reports a match only
// as Check does.
func (d *Dummy) Verify(password, encoded string) bool {
	ok, err := Check(password, encoded)
	if err != nil || !Supported(encoded) {
		d.Check(password)
		return false
	}
	return ok
}
