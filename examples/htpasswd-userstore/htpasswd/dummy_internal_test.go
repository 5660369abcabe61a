package htpasswd

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/jwtd/jwtd/sdk"
)

// TestDummyHashCost proves the equal-time property's precondition: an
// unknown username is compared against a dummy hash as costly as the most
// costly hash in the file, so it costs at least a real user's comparison.
func TestDummyHashCost(t *testing.T) {
	cases := []struct {
		name  string
		costs []int
		want  int
	}{
		{"one cost", []int{bcrypt.MinCost}, bcrypt.MinCost},
		{"highest wins", []int{bcrypt.MinCost, bcrypt.MinCost + 2, bcrypt.MinCost + 1}, bcrypt.MinCost + 2},
		{"empty file", nil, bcrypt.DefaultCost},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var content []byte
			for i, cost := range c.costs {
				h, err := bcrypt.GenerateFromPassword([]byte("pw"), cost)
				if err != nil {
					t.Fatal(err)
				}
				content = append(content, []byte(string(rune('a'+i))+":"+string(h)+"\n")...)
			}
			path := filepath.Join(t.TempDir(), "f")
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			us, err := New(context.Background(), sdk.Config{"path": path})
			if err != nil {
				t.Fatal(err)
			}
			s := us.(*Store)
			got, err := bcrypt.Cost(s.dummyHash)
			if err != nil || got != c.want {
				t.Fatalf("dummy hash cost = %d, %v; want %d", got, err, c.want)
			}
		})
	}
}
