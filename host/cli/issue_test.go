package cli_test

import (
	"strings"
	"testing"
)

// TestTokenIssueRefusedUser: `jwtd token issue` for a user who may not
// have tokens says what is wrong with the user, not "credentials" (the
// operator gave none).
func TestTokenIssueRefusedUser(t *testing.T) {
	cfg := writeConfig(t, configText)
	if code, _, stderr := run(t, "pw-of-bob\n", "user", "add", "--inactive", "bob", "--config", cfg); code != 0 {
		t.Fatal(stderr)
	}
	for _, args := range [][]string{
		{"token", "issue", "--user", "1", "--config", cfg},
		{"token", "issue", "--sliding", "--user", "1", "--config", cfg},
	} {
		code, stdout, stderr := run(t, "", args...)
		if code != 1 || stdout != "" {
			t.Fatalf("%v: exit %d stdout %q, want 1 and nothing printed", args, code, stdout)
		}
		if !strings.Contains(stderr, `user with id "1" is inactive`) || strings.Contains(stderr, "credentials") {
			t.Errorf("%v: stderr %q, want it to say the user is inactive", args, stderr)
		}
	}
}
