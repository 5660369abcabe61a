package passwords

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// countingVerifier counts the checks that reach an algorithm.
type countingVerifier struct {
	next  verifier
	calls *atomic.Int64
}

func (c countingVerifier) verify(password, encoded string) (bool, error) {
	c.calls.Add(1)
	return c.next.verify(password, encoded)
}

// TestDummyDoesTheWork: the dummy's only purpose is to spend one real hash
// check. Verify spends it for every stored hash that cannot be checked
// (else the quick "no" tells which usernames exist), and spends the real
// check, not the dummy's, for a hash that can.
func TestDummyDoesTheWork(t *testing.T) {
	var calls atomic.Int64
	orig := hashers["argon2"]
	hashers["argon2"] = countingVerifier{next: orig, calls: &calls}
	t.Cleanup(func() { hashers["argon2"] = orig })

	cheap := Params{Time: 1, MemoryKiB: 64, Parallelism: 1}
	d, err := NewDummy(cheap)
	if err != nil {
		t.Fatal(err)
	}
	real, err := Hash("right", cheap)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		password string
		encoded  string
		match    bool
	}{
		{"unusable hash", "x", "!H57dZpHYimDvujnjO0aUXUKM4nzGixxePyDA1C4L", false},
		{"empty hash", "x", "", false},
		{"unknown algorithm", "x", "crypt$$abcdef", false},
		{"malformed argon2", "x", "argon2$argon2id$v=19$garbage", false},
		{"wrong password", "wrong", real, false},
		{"right password", "right", real, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls.Store(0)
			if got := d.Verify(tc.password, tc.encoded); got != tc.match {
				t.Fatalf("Verify = %v, want %v", got, tc.match)
			}
			// One argon2 check, except a malformed argon2 hash, which is
			// refused before hashing and then burns the dummy: two calls.
			want := int64(1)
			if tc.name == "malformed argon2" {
				want = 2
			}
			if n := calls.Load(); n != want {
				t.Errorf("argon2 checks = %d, want %d", n, want)
			}
		})
	}
	calls.Store(0)
	if d.Check("anything") || calls.Load() != 1 {
		t.Errorf("Check: %d argon2 checks, want 1 and no match", calls.Load())
	}
}

// TestDummyLikeRefusesAbsurdCosts: NewDummyLike copies the parameters of a
// hash Check accepts, and gives a Django-default dummy of the same
// algorithm for one beyond the cost limits (else every unknown-user login
// would burn a hostile user's cost, or nothing at all).
func TestDummyLikeRefusesAbsurdCosts(t *testing.T) {
	cheapArgon2, err := Hash("x", Params{Time: 1, MemoryKiB: 64, Parallelism: 1})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, encoded string
		// wantPrefix is what the dummy's hash must start with; "" means the
		// encoded value itself.
		wantPrefix string
	}{
		{"argon2 within limits is copied", cheapArgon2, ""},
		{"pbkdf2 within limits is copied", "pbkdf2_sha256$1000$salt$aGFzaA==", ""},
		{"argon2 1 GiB × 1000", "argon2$argon2id$v=19$m=1048576,t=1000,p=8$c29tZXNhbHQ$aGFzaGhhc2g", "argon2$argon2id$v=19$m=102400,t=2,p=8$"},
		{"argon2 memory × time above the limit", "argon2$argon2id$v=19$m=32768,t=65,p=1$c29tZXNhbHQ$aGFzaGhhc2g", "argon2$argon2id$v=19$m=102400,t=2,p=8$"},
		{"pbkdf2 fifty million", "pbkdf2_sha256$50000000$salt$aGFzaA==", fmt.Sprintf("pbkdf2_sha256$%d$", DefaultPBKDF2Iterations)},
		{"pbkdf2_sha1 fifty million", "pbkdf2_sha1$50000000$salt$aGFzaA==", fmt.Sprintf("pbkdf2_sha1$%d$", DefaultPBKDF2Iterations)},
		{"bcrypt cost 31", "bcrypt$$2b$31$Q5bG8ScDWfuVgGDGeMd.z.XYbz.YNlkRVVJ2Z2c66yhEsusEfMRzW", "bcrypt$$2a$12$"},
		{"unknown algorithm", "crypt$$abcdef", "argon2$argon2id$v=19$m=102400,t=2,p=8$"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDummyLike(tc.encoded)
			if tc.wantPrefix == "" {
				if d.encoded != tc.encoded {
					t.Fatalf("dummy hash %q, want the stored one copied", d.encoded)
				}
				return
			}
			if !strings.HasPrefix(d.encoded, tc.wantPrefix) {
				t.Fatalf("dummy hash %q, want prefix %q", d.encoded, tc.wantPrefix)
			}
			// The fallback costs one full check: Check accepts its format
			// and cost (parsed here; computing it would take a second).
			if !costWithinLimits(d.encoded) {
				t.Fatalf("dummy hash %q is not within Check's limits", d.encoded)
			}
			if strings.HasPrefix(tc.wantPrefix, "bcrypt") {
				if cost, _ := bcrypt.Cost([]byte(strings.TrimPrefix(d.encoded, "bcrypt$"))); cost != DefaultBcryptRounds {
					t.Fatalf("bcrypt dummy cost %d, want %d", cost, DefaultBcryptRounds)
				}
			}
		})
	}
}
