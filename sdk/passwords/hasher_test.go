package passwords_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/sdk/passwords"
)

func TestHasherWritesWhatCheckVerifies(t *testing.T) {
	cases := []struct {
		name   string
		h      passwords.Hasher
		prefix string
	}{
		{"default is pbkdf2_sha256", passwords.Hasher{PBKDF2Iterations: 1000}, "pbkdf2_sha256$1000$"},
		{"bcrypt_sha256", passwords.Hasher{Algorithm: passwords.AlgBcryptSHA256, BcryptRounds: 4}, "bcrypt_sha256$$2a$04$"},
		{"argon2", passwords.Hasher{Algorithm: passwords.AlgArgon2, Argon2: passwords.Params{Time: 1, MemoryKiB: 64, Parallelism: 1}}, "argon2$argon2id$v=19$m=64,t=1,p=1$"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// A password beyond bcrypt's 72 bytes: bcrypt_sha256 must not truncate.
			pw := "lètmein-" + strings.Repeat("x", 80)
			enc, err := tc.h.Hash(pw)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(enc, tc.prefix) {
				t.Fatalf("Hash = %q, want prefix %q", enc, tc.prefix)
			}
			if ok, err := passwords.Check(pw, enc); !ok || err != nil {
				t.Fatalf("Check(right) = %v, %v", ok, err)
			}
			if ok, _ := passwords.Check(pw[:len(pw)-1]+"y", enc); ok {
				t.Fatal("Check(wrong, differing after byte 72) matched")
			}
			again, _ := tc.h.Hash(pw)
			if again == enc {
				t.Fatal("two hashes of one password are equal: no fresh salt")
			}
			if tc.h.MustUpdate(enc) {
				t.Fatal("MustUpdate of a hash the hasher just wrote")
			}
		})
	}
}

func TestHasherMustUpdate(t *testing.T) {
	pb := passwords.Hasher{PBKDF2Iterations: 2000}
	low, _ := passwords.HashPBKDF2SHA256("pw", 1000)
	high, _ := passwords.HashPBKDF2SHA256("pw", 3000)
	bc, _ := passwords.HashBcryptSHA256("pw", 4)
	ar, _ := passwords.Hash("pw", passwords.Params{Time: 1, MemoryKiB: 64, Parallelism: 1})
	cases := []struct {
		name string
		h    passwords.Hasher
		enc  string
		want bool
	}{
		{"fewer iterations", pb, low, true},
		{"more iterations are kept", pb, high, false},
		{"weaker legacy hasher", pb, "md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3", true},
		{"another algorithm", pb, ar, true},
		{"bcrypt below the rounds", passwords.Hasher{Algorithm: passwords.AlgBcryptSHA256, BcryptRounds: 5}, bc, true},
		{"argon2 below the costs", passwords.Hasher{Algorithm: passwords.AlgArgon2, Argon2: passwords.Params{Time: 2, MemoryKiB: 64, Parallelism: 1}}, ar, true},
		{"unusable", pb, "!abc", false},
		{"empty", pb, "", false},
		{"unknown algorithm", pb, "crypt$$abc", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.h.MustUpdate(tc.enc); got != tc.want {
				t.Fatalf("MustUpdate(%q) = %v, want %v", tc.enc, got, tc.want)
			}
		})
	}
}

func TestHasherRefusesBadSettings(t *testing.T) {
	for _, h := range []passwords.Hasher{
		{Algorithm: "md5"},
		{PBKDF2Iterations: -1},
		{Algorithm: passwords.AlgBcryptSHA256, BcryptRounds: 40},
		// Within bcrypt's range (31) but above the cost Check accepts.
		{Algorithm: passwords.AlgBcryptSHA256, BcryptRounds: 16},
		{Algorithm: passwords.AlgArgon2, Argon2: passwords.Params{MemoryKiB: 8, Parallelism: 8}},
	} {
		if _, err := h.Hash("pw"); err == nil {
			t.Errorf("Hash with %+v succeeded", h)
		}
	}
	if passwords.DefaultPBKDF2Iterations != 1_500_000 {
		t.Fatalf("DefaultPBKDF2Iterations = %d; Django 6.1's is 1,500,000", passwords.DefaultPBKDF2Iterations)
	}
}

// TestDjangoChecksWrittenHashes hands hashes written here to the real
// Django's check_password (Debian's python3-django), when it is installed.
func TestDjangoChecksWrittenHashes(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import django").Run(); err != nil {
		if os.Getenv("JWTD_REQUIRE_DJANGO") != "" {
			t.Fatalf("%s with django not available and JWTD_REQUIRE_DJANGO is set: %v", py, err)
		}
		t.Skipf("SKIPPING: %s with django not available: %v", py, err)
	}
	hashers := []passwords.Hasher{{PBKDF2Iterations: 1000}}
	// Django checks bcrypt only with the bcrypt package (python3-bcrypt).
	if exec.Command(py, "-c", "import bcrypt").Run() == nil {
		hashers = append(hashers, passwords.Hasher{Algorithm: passwords.AlgBcryptSHA256, BcryptRounds: 4})
	} else {
		t.Log("python3-bcrypt not installed: bcrypt_sha256 not checked by Django")
	}
	pw := "lètmein " + strings.Repeat("z", 80)
	var lines []string
	for _, h := range hashers {
		enc, err := h.Hash(pw)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, enc)
	}
	script := `
import sys
from django.conf import settings
settings.configure(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher", "django.contrib.auth.hashers.BCryptSHA256PasswordHasher"])
from django.contrib.auth.hashers import check_password
pw = sys.argv[1]
for enc in sys.argv[2:]:
    print(check_password(pw, enc), check_password(pw + "x", enc))
`
	out, err := exec.Command(py, append([]string{"-c", script, pw}, lines...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("django: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != strings.TrimSpace(strings.Repeat("True False\n", len(lines))) {
		t.Fatalf("Django's check_password (right, wrong) per hash:\n%s\nwant True False for each of %q", got, lines)
	}
}
