package passwords_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/sdk/passwords"
)

type vector struct {
	Name     string `json:"name"`
	Hasher   string `json:"hasher"`
	Password string `json:"password"`
	Encoded  string `json:"encoded"`
	Matches  bool   `json:"matches"`
}

func loadVectors(t testing.TB, file string) []vector {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Hashes []vector `json:"hashes"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Hashes) == 0 {
		t.Fatalf("%s: no vectors", file)
	}
	return doc.Hashes
}

// TestCheckDjangoVectors runs every hash Django 3.2 wrote (passwords.json):
// each must match exactly when "matches" says so, without error.
func TestCheckDjangoVectors(t *testing.T) {
	for i, v := range loadVectors(t, "passwords.json") {
		t.Run(fmt.Sprintf("%02d_%s_%v", i, v.Hasher, v.Matches), func(t *testing.T) {
			t.Parallel()
			got, err := passwords.Check(v.Password, v.Encoded)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if got != v.Matches {
				t.Fatalf("Check = %v, want %v", got, v.Matches)
			}
			if got := passwords.Supported(v.Encoded); got != (v.Hasher != "unusable") {
				t.Errorf("Supported = %v", got)
			}
			if v.Hasher != "unusable" {
				if algo := passwords.Algorithm(v.Encoded); algo != v.Hasher {
					t.Errorf("Algorithm = %q, want %q", algo, v.Hasher)
				}
			}
		})
	}
}

// TestCheckExtraVectors covers the legacy Django hashers and argon2i with
// published vectors (see testdata/extra.json's "about").
func TestCheckExtraVectors(t *testing.T) {
	for _, v := range loadVectors(t, "extra.json") {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			got, err := passwords.Check(v.Password, v.Encoded)
			if err != nil {
				t.Fatalf("Check: %v", err)
			}
			if got != v.Matches {
				t.Fatalf("Check = %v, want %v", got, v.Matches)
			}
		})
	}
}

// cheap are parameters that keep argon2 fast in tests.
var cheap = passwords.Params{Time: 1, MemoryKiB: 64, Parallelism: 1}

var encodedArgon2 = regexp.MustCompile(`^argon2\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$`)

func TestHashRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		password string
		params   passwords.Params
		wantMTP  string
	}{
		{"django defaults", "alice-pass", passwords.Params{}, "102400,2,8"},
		{"cheap", "päss wörd", cheap, "64,1,1"},
		{"empty password", "", cheap, "64,1,1"},
		{"long hash", "x", passwords.Params{Time: 3, MemoryKiB: 256, Parallelism: 2, HashLen: 32}, "256,3,2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := passwords.Hash(tt.password, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			m := encodedArgon2.FindStringSubmatch(enc)
			if m == nil {
				t.Fatalf("not Django's argon2 format: %q", enc)
			}
			if got := strings.Join(m[1:], ","); got != tt.wantMTP {
				t.Errorf("m,t,p = %s, want %s", got, tt.wantMTP)
			}
			if ok, err := passwords.Check(tt.password, enc); !ok || err != nil {
				t.Fatalf("Check(right) = %v, %v", ok, err)
			}
			if ok, err := passwords.Check(tt.password+"x", enc); ok || err != nil {
				t.Fatalf("Check(wrong) = %v, %v", ok, err)
			}
			again, err := passwords.Hash(tt.password, tt.params)
			if err != nil {
				t.Fatal(err)
			}
			if again == enc {
				t.Error("two hashes of one password are equal: salt not random")
			}
		})
	}
}

func TestHashDigestLength(t *testing.T) {
	enc, err := passwords.Hash("pw", cheap)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(enc, "$")
	// Django's salt is 22 characters (29-30 in base64); the digest 16 bytes
	// (22 in unpadded base64).
	if len(parts[4]) != 30 || len(parts[5]) != 22 {
		t.Errorf("salt %q / digest %q: unexpected lengths", parts[4], parts[5])
	}
}

func TestParamsValidate(t *testing.T) {
	tests := []struct {
		name string
		p    passwords.Params
		ok   bool
	}{
		{"zero means defaults", passwords.Params{}, true},
		{"defaults", passwords.DefaultParams(), true},
		{"memory below 8 per lane", passwords.Params{MemoryKiB: 15, Parallelism: 2}, false},
		{"memory above limit", passwords.Params{MemoryKiB: 1<<20 + 1}, false},
		{"time above limit", passwords.Params{Time: 1001}, false},
		{"hash too short", passwords.Params{HashLen: 3}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate = %v, want ok=%v", err, tt.ok)
			}
			if !tt.ok {
				if _, err := passwords.Hash("pw", tt.p); err == nil {
					t.Fatal("Hash accepted invalid params")
				}
			}
		})
	}
}

// TestCheckRefuses: values that must never match, each with the error class
// it must carry (nil for the "never matches" values Django also accepts).
func TestCheckRefuses(t *testing.T) {
	tests := []struct {
		name    string
		encoded string
		wantErr error
	}{
		{"empty", "", nil},
		{"unusable", "!abc", nil},
		{"unusable bare", "!", nil},
		{"unknown algorithm", "crypt$$abc", passwords.ErrUnknownAlgorithm},
		{"no dollar", "plaintext", passwords.ErrUnknownAlgorithm},
		{"pbkdf2 few fields", "pbkdf2_sha256$260000$salt", passwords.ErrMalformedHash},
		{"pbkdf2 bad iterations", "pbkdf2_sha256$abc$salt$aGFzaA==", passwords.ErrMalformedHash},
		{"pbkdf2 zero iterations", "pbkdf2_sha256$0$salt$aGFzaA==", passwords.ErrMalformedHash},
		{"pbkdf2 huge iterations", "pbkdf2_sha256$999999999999$salt$aGFzaA==", passwords.ErrMalformedHash},
		{"pbkdf2 empty digest", "pbkdf2_sha1$1$salt$", passwords.ErrMalformedHash},
		{"argon2 old version", "argon2$argon2i$m=512,t=2,p=2$c29tZXNhbHQ$aGFzaGhhc2g", passwords.ErrUnknownAlgorithm},
		{"argon2d", "argon2$argon2d$v=19$m=512,t=2,p=2$c29tZXNhbHQ$aGFzaGhhc2g", passwords.ErrUnknownAlgorithm},
		{"argon2 version 20", "argon2$argon2id$v=20$m=512,t=2,p=2$c29tZXNhbHQ$aGFzaGhhc2g", passwords.ErrUnknownAlgorithm},
		{"argon2 zero lanes", "argon2$argon2id$v=19$m=512,t=2,p=0$c29tZXNhbHQ$aGFzaGhhc2g", passwords.ErrMalformedHash},
		{"argon2 zero time", "argon2$argon2id$v=19$m=512,t=0,p=1$c29tZXNhbHQ$aGFzaGhhc2g", passwords.ErrMalformedHash},
		{"argon2 missing param", "argon2$argon2id$v=19$m=512,t=2$c29tZXNhbHQ$aGFzaGhhc2g", passwords.ErrMalformedHash},
		{"argon2 duplicate param", "argon2$argon2id$v=19$m=512,m=2,p=1$c29tZXNhbHQ$aGFzaGhhc2g", passwords.ErrMalformedHash},
		{"argon2 huge memory", "argon2$argon2id$v=19$m=4294967295,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g", passwords.ErrMalformedHash},
		{"argon2 memory below lanes", "argon2$argon2id$v=19$m=8,t=1,p=4$c29tZXNhbHQ$aGFzaGhhc2g", passwords.ErrMalformedHash},
		{"argon2 lanes above 255", "argon2$argon2id$v=19$m=8192,t=1,p=256$c29tZXNhbHQ$aGFzaGhhc2g", passwords.ErrMalformedHash},
		{"argon2 short salt", "argon2$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaGhhc2g", passwords.ErrMalformedHash},
		{"argon2 bad base64", "argon2$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$!!!!", passwords.ErrMalformedHash},
		{"argon2 empty digest", "argon2$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$", passwords.ErrMalformedHash},
		{"bcrypt not bcrypt", "bcrypt$$notbcrypt", passwords.ErrMalformedHash},
		{"bcrypt truncated", "bcrypt$$2b$12$Q5bG8ScDWfuVgGDGeMd", passwords.ErrMalformedHash},
		{"bcrypt_sha256 bad cost", "bcrypt_sha256$$2b$99$uhBXxXJ8PcV59GqwVLQ4cOveMAL45cQL.tyC0j3ML.5FLbmyp7rV2", passwords.ErrMalformedHash},
		// Cost limits: each case is cheap to refuse and seconds to compute.
		{"argon2 memory × time above the limit", "argon2$argon2id$v=19$m=32768,t=65,p=1$c29tZXNhbHQ$aGFzaGhhc2g", passwords.ErrMalformedHash},
		{"pbkdf2 iterations above ten million", "pbkdf2_sha256$10000001$salt$aGFzaA==", passwords.ErrMalformedHash},
		{"bcrypt cost above 15", "bcrypt$$2b$16$Q5bG8ScDWfuVgGDGeMd.z.XYbz.YNlkRVVJ2Z2c66yhEsusEfMRzW", passwords.ErrMalformedHash},
		{"md5 few fields", "md5$onlysalt", passwords.ErrMalformedHash},
		{"sha1 many fields", "sha1$a$b$c", passwords.ErrMalformedHash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := passwords.Check("password", tt.encoded)
			if ok {
				t.Fatal("Check matched")
			}
			if tt.wantErr == nil && err != nil {
				t.Fatalf("err = %v, want nil", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// TestUnusableNeverMatchesItsOwnText: a "!" value is not a plaintext store,
// even for a password equal to it.
func TestUnusableNeverMatchesItsOwnText(t *testing.T) {
	for _, enc := range []string{"!", "!abc", "!H57dZpHYimDvujnjO0aUXUKM4nzGixxePyDA1C4L"} {
		if ok, _ := passwords.Check(enc, enc); ok {
			t.Errorf("Check(%q, %q) matched", enc, enc)
		}
		if ok, _ := passwords.Check("", enc); ok {
			t.Errorf("Check(\"\", %q) matched", enc)
		}
	}
}

func TestDummyNeverMatches(t *testing.T) {
	d, err := passwords.NewDummy(cheap)
	if err != nil {
		t.Fatal(err)
	}
	if d.Check("") || d.Check("password") {
		t.Error("NewDummy's Check reported a match")
	}
	// A dummy built from a real hash still never matches, even the right
	// password: it only copies the cost.
	v := loadVectors(t, "extra.json")[0]
	if passwords.NewDummyLike(v.Encoded).Check(v.Password) {
		t.Error("NewDummyLike's Check reported a match")
	}
	if _, err := passwords.NewDummy(passwords.Params{MemoryKiB: 1}); err == nil {
		t.Error("NewDummy accepted invalid params")
	}
	var nilDummy *passwords.Dummy
	if nilDummy.Check("x") {
		t.Error("nil Dummy matched")
	}
}

// FuzzCheck: Check never panics, and a match never comes with an error.
func FuzzCheck(f *testing.F) {
	seeds := []string{
		"", "!", "pbkdf2_sha256$1$salt$aGFzaA==", "pbkdf2_sha1$2$s$", "md5$$",
		"md5$seasalt$3f86d0d3d465b7b458c231bf3555c0e3",
		"sha1$$6d138ca3ae545631b3abd71a4f076ce759c5700b",
		"88a434c88cca4e900f7874cd98123f43",
		"argon2$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHQ$aGFzaGhhc2g",
		"argon2$argon2i$v=19$m=8,t=1,p=1$c29tZXNhbHQ$aGFz",
		"argon2$argon2id$v=19$m=,t=,p=$$", "argon2$$$$$",
		"bcrypt$$2b$04$Q5bG8ScDWfuVgGDGeMd.z.XYbz.YNlkRVVJ2Z2c66yhEsusEfMRzW",
		"bcrypt_sha256$$2a$04$", "bcrypt$$2",
	}
	for _, s := range seeds {
		f.Add("password", s)
	}
	f.Fuzz(func(t *testing.T, password, encoded string) {
		if expensive(encoded) {
			// Costs up to Check's bounds are legitimate and take seconds
			// (pbkdf2 at 10^7 iterations, bcrypt 15, argon2 at GiBs): a fuzz
			// input that ran past -fuzztime fails the run with "context
			// deadline exceeded". The bounds themselves have table tests.
			t.Skip()
		}
		ok, err := passwords.Check(password, encoded)
		if ok && err != nil {
			t.Fatalf("match with error %v", err)
		}
		if ok && (encoded == "" || strings.HasPrefix(encoded, "!")) {
			t.Fatal("unusable value matched")
		}
	})
}

func BenchmarkCheck(b *testing.B) {
	seen := map[string]bool{}
	for _, v := range loadVectors(b, "passwords.json") {
		if !v.Matches || seen[v.Hasher] {
			continue
		}
		seen[v.Hasher] = true
		b.Run(v.Hasher, func(b *testing.B) {
			for b.Loop() {
				if ok, _ := passwords.Check(v.Password, v.Encoded); !ok {
					b.Fatal("no match")
				}
			}
		})
	}
}

func BenchmarkHashDefault(b *testing.B) {
	for b.Loop() {
		if _, err := passwords.Hash("alice-pass", passwords.Params{}); err != nil {
			b.Fatal(err)
		}
	}
}

// costNumber finds the numbers a hash string's cost fields carry:
// pbkdf2's iterations, bcrypt's "$2b$NN$" cost, argon2's m=, t=, p=.
var costNumber = regexp.MustCompile(`(?:^pbkdf2_sha(?:1|256)\$|\$2[abxy]?\$|[mtp]=)(\d+)`)

// expensive reports whether encoded asks for more work than a fuzz input
// should spend: any cost field above a small bound.
func expensive(encoded string) bool {
	for _, m := range costNumber.FindAllStringSubmatch(encoded, -1) {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 4096 {
			return true
		}
		if (strings.HasPrefix(m[0], "$2") && n > 6) || ((m[0][0] == 't' || m[0][0] == 'p') && n > 16) {
			return true
		}
	}
	return false
}
