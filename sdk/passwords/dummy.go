package passwords

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
func NewDummyLike(encoded string) *Dummy {
	return &Dummy{encoded: encoded}
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
