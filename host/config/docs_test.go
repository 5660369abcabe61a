package config

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/jwtd/jwtd/internal/docref"
)

// TestConfigReferenceListsEveryKey: every table the strict decoder knows
// has its section in docs/config.md, and every key it accepts a row in its
// table's section, so a key added without documentation fails here. The
// four [plugins.<kind>] tables share one section.
func TestConfigReferenceListsEveryKey(t *testing.T) {
	doc, err := docref.Load("config.md")
	if err != nil {
		t.Fatal(err)
	}
	tables := docref.Tables(rawFile{}, "toml")
	kinds := docref.Tags(rawPlugins{}, "toml", false)
	for _, table := range slices.Sorted(maps.Keys(tables)) {
		keys := tables[table]
		if first, rest, ok := strings.Cut(table, "."); ok && first == "plugins" {
			if rest != kinds[0] {
				continue // one section for every kind
			}
			table = "plugins.<kind>"
			keys = append(keys, kinds...)
		}
		if len(keys) == 0 {
			continue // a table of tables only ([plugins])
		}
		// A top-level or [server.*] table is a section; a table inside
		// another ([[forward_auth.rules]]) a subsection.
		heading := "## `[" + table + "]`"
		if _, err := doc.Section(heading); err != nil {
			for _, h := range []string{"### `[" + table + "]`", "### `[[" + table + "]]`"} {
				if _, err := doc.Section(h); err == nil {
					heading = h
				}
			}
		}
		t.Run(table, func(t *testing.T) {
			section, err := doc.Section(heading)
			if err != nil {
				t.Fatal(err)
			}
			if missing := docref.Missing(section, keys); len(missing) > 0 {
				t.Errorf("docs/config.md section %s does not list %q", heading, missing)
			}
		})
	}
}
