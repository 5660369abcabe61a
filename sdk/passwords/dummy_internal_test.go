package passwords

import (
	"sync/atomic"
	"testing"
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
