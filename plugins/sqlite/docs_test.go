package sqlite_test

import (
	"testing"

	"github.com/jwtd/jwtd/internal/docref"
	"github.com/jwtd/jwtd/plugins/sqlite"
)

// TestConfigReferenceListsEveryKey: every key of the SQLite stores' config
// tables has a row in docs/config.md.
func TestConfigReferenceListsEveryKey(t *testing.T) {
	doc, err := docref.Load("config.md")
	if err != nil {
		t.Fatal(err)
	}
	for heading, v := range map[string]any{
		"### `sqlite` user store":      sqlite.UserStoreConfig{},
		"### `sqlite` blacklist store": sqlite.BlacklistConfig{},
	} {
		section, err := doc.Section(heading)
		if err != nil {
			t.Fatal(err)
		}
		if missing := docref.Missing(section, docref.Tags(v, "json", false)); len(missing) > 0 {
			t.Errorf("docs/config.md section %s does not list %q", heading, missing)
		}
	}
}
