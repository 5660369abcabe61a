package config

import (
	"slices"
	"testing"

	"github.com/jwtd/jwtd/internal/docref"
)

// TestConfigReferenceListsEveryKey: every key the strict decoder accepts
// has a row in docs/config.md, in its table's section, so a key added
// without documentation fails here.
func TestConfigReferenceListsEveryKey(t *testing.T) {
	doc, err := docref.Load("config.md")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		heading string
		keys    []string
	}{
		{"## `[server]`", docref.Tags(rawServer{}, "toml", true)},
		{"## `[server.throttle]`", docref.Tags(rawThrottle{}, "toml", true)},
		{"## `[tokens]`", docref.Tags(rawTokens{}, "toml", true)},
		{"## `[plugins.<kind>]`", append(docref.Tags(rawPlugin{}, "toml", true), docref.Tags(rawPlugins{}, "toml", false)...)},
	}
	for _, tc := range cases {
		t.Run(tc.heading, func(t *testing.T) {
			section, err := doc.Section(tc.heading)
			if err != nil {
				t.Fatal(err)
			}
			if missing := docref.Missing(section, tc.keys); len(missing) > 0 {
				t.Errorf("docs/config.md section %s does not list %q", tc.heading, missing)
			}
		})
	}
	// Every table the decoder knows has its section: a table added to
	// rawFile or a nested one fails here until the docs have a heading.
	for _, table := range docref.Tags(rawFile{}, "toml", false) {
		if table == "plugins" {
			continue // [plugins.<kind>], checked above
		}
		if _, err := doc.Section("## `[" + table + "]`"); err != nil {
			t.Error(err)
		}
	}
	for _, nested := range docref.Tags(rawServer{}, "toml", false) {
		if !slices.Contains(docref.Tags(rawServer{}, "toml", true), nested) {
			if _, err := doc.Section("## `[server." + nested + "]`"); err != nil {
				t.Error(err)
			}
		}
	}
}
