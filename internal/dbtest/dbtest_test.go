package dbtest

import (
	"fmt"
	"strings"
	"testing"
)

// fakeTB records Skipf and Fatalf instead of ending the test, so that the
// JWTD_REQUIRE_SQL rule can be checked.
type fakeTB struct {
	testing.TB
	skipped, fatal string
}

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Skipf(format string, a ...any)  { f.skipped = fmt.Sprintf(format, a...) }
func (f *fakeTB) Fatalf(format string, a ...any) { f.fatal = fmt.Sprintf(format, a...) }

func TestMissingBinaryRule(t *testing.T) {
	cases := []struct {
		name        string
		require     string
		wantSkip    bool
		wantFatal   bool
		wantMessage string
	}{
		{"skips loudly by default", "", true, false, "SKIPPING"},
		{"fails under JWTD_REQUIRE_SQL", "1", false, true, "JWTD_REQUIRE_SQL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("PATH", t.TempDir())
			t.Setenv(RequireEnv, tc.require)
			f := &fakeTB{TB: t}
			if got := LookBinary(f, "postgresql", []string{t.TempDir()}, "initdb"); got != "" {
				t.Fatalf("found %q in an empty PATH", got)
			}
			if (f.skipped != "") != tc.wantSkip || (f.fatal != "") != tc.wantFatal {
				t.Fatalf("skipped=%q fatal=%q; want skip %v fatal %v", f.skipped, f.fatal, tc.wantSkip, tc.wantFatal)
			}
			if !strings.Contains(f.skipped+f.fatal, tc.wantMessage) || !strings.Contains(f.skipped+f.fatal, "postgresql") {
				t.Fatalf("message %q lacks %q or the package name", f.skipped+f.fatal, tc.wantMessage)
			}
		})
	}
}
