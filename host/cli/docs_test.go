package cli

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/internal/docref"
)

// TestCLIReferenceListsEveryCommandAndFlag: docs/cli.md has a section for
// every command, naming each of its flags (as --help lists them), and no
// section for a command that does not exist; the common --config flag is
// in the common section.
func TestCLIReferenceListsEveryCommandAndFlag(t *testing.T) {
	doc, err := docref.Load("cli.md")
	if err != nil {
		t.Fatal(err)
	}
	common, err := doc.Section("## Common flags and environment")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := doc.Section("## Exit status"); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, h := range doc.Headings(3) {
		documented[h] = true
	}
	for _, c := range commands() {
		heading := "### `jwtd " + c.name + "`"
		delete(documented, heading)
		t.Run(c.name, func(t *testing.T) {
			section, err := doc.Section(heading)
			if err != nil {
				t.Fatal(err)
			}
			var out, errb bytes.Buffer
			args := append(strings.Fields(c.name), "--help")
			if code := Main(context.Background(), args, Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}); code != 0 {
				t.Fatalf("jwtd %s --help: exit %d: %s", c.name, code, errb.String())
			}
			flags := helpFlags(out.String())
			if len(flags) == 0 {
				t.Fatalf("no flags parsed from --help:\n%s", out.String())
			}
			for _, f := range flags {
				if f == "config" {
					if docref.Missing(common, []string{"--config FILE"}) != nil {
						t.Errorf("docs/cli.md's common section does not name --config FILE")
					}
					continue
				}
				if !regexp.MustCompile(`--` + regexp.QuoteMeta(f) + `\b`).MatchString(section) {
					t.Errorf("docs/cli.md section %s does not name --%s", heading, f)
				}
			}
		})
	}
	for h := range documented {
		t.Errorf("docs/cli.md documents %s, which is no command", h)
	}
}

// helpFlags returns the flag names flag.PrintDefaults lists in a usage
// text ("  -name value" lines).
func helpFlags(usage string) []string {
	var out []string
	for _, l := range strings.Split(usage, "\n") {
		if rest, ok := strings.CutPrefix(l, "  -"); ok {
			name, _, _ := strings.Cut(rest, " ")
			out = append(out, strings.TrimSpace(name))
		}
	}
	return out
}
