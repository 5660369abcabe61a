package redis_test

import (
	"testing"

	"github.com/jwtd/jwtd/internal/docref"
	"github.com/jwtd/jwtd/plugins/redis"
)

// TestConfigReferenceListsEveryKey: every key of the Redis store's config
// table has a row in docs/config.md.
func TestConfigReferenceListsEveryKey(t *testing.T) {
	doc, err := docref.Load("config.md")
	if err != nil {
		t.Fatal(err)
	}
	const heading = "### `redis` blacklist store"
	section, err := doc.Section(heading)
	if err != nil {
		t.Fatal(err)
	}
	if missing := docref.Missing(section, docref.Tags(redis.Config{}, "json", false)); len(missing) > 0 {
		t.Errorf("docs/config.md section %s does not list %q", heading, missing)
	}
}
