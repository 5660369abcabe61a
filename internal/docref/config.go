package docref

import "testing"

// MissingKeys returns the json keys of the plugin config struct config
// that the sections under headings (a store's own section and the shared
// ones it points to) together do not list, in field order.
func (d *Doc) MissingKeys(config any, headings ...string) ([]string, error) {
	var text string
	for _, h := range headings {
		section, err := d.Section(h)
		if err != nil {
			return nil, err
		}
		text += section
	}
	return Missing(text, Tags(config, "json", false)), nil
}

// CheckConfigKeys fails t unless every json key of the plugin config
// struct config has a row in docs/config.md under headings (MissingKeys).
func CheckConfigKeys(t testing.TB, config any, headings ...string) {
	t.Helper()
	doc, err := Load("config.md")
	if err != nil {
		t.Fatal(err)
	}
	missing, err := doc.MissingKeys(config, headings...)
	if err != nil {
		t.Fatal(err)
	}
	if len(missing) > 0 {
		t.Errorf("docs/config.md sections %q do not list %q", headings, missing)
	}
}
