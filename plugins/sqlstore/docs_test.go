package sqlstore_test

import (
	"testing"

	"github.com/jwtd/jwtd/internal/docref"
	"github.com/jwtd/jwtd/plugins/sqlstore"
)

// TestConfigReferenceListsEveryKey: every key of the PostgreSQL and MySQL
// stores' config tables (sqlstore's) has a row in docs/config.md.
func TestConfigReferenceListsEveryKey(t *testing.T) {
	doc, err := docref.Load("config.md")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		headings []string
		config   any
	}{
		{[]string{"### `postgres` and `mysql` stores", "### SQL user table keys"}, sqlstore.UserStoreConfig{}},
		{[]string{"### `postgres` and `mysql` stores", "### Django blacklist table keys"}, sqlstore.BlacklistConfig{}},
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
