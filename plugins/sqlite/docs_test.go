package sqlite_test

import (
	"testing"

	"github.com/jwtd/jwtd/internal/docref"
	"github.com/jwtd/jwtd/plugins/sqlite"
)

// TestConfigReferenceListsEveryKey: every key of the SQLite stores' config
// tables has a row in docs/config.md, in the store's section or the shared
// SQL one it points to.
func TestConfigReferenceListsEveryKey(t *testing.T) {
	doc, err := docref.Load("config.md")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		headings []string
		config   any
	}{
		{[]string{"### `sqlite` user store", "### SQL user table keys"}, sqlite.UserStoreConfig{}},
		{[]string{"### `sqlite` blacklist store", "### Django blacklist table keys"}, sqlite.BlacklistConfig{}},
	}
	for _, tc := range cases {
		var text string
		for _, h := range tc.headings {
			section, err := doc.Section(h)
			if err != nil {
				t.Fatal(err)
			}
			text += section
		}
		if missing := docref.Missing(text, docref.Tags(tc.config, "json", false)); len(missing) > 0 {
			t.Errorf("docs/config.md sections %q do not list %q", tc.headings, missing)
		}
	}
}
