package docref

import (
	"reflect"
	"strings"
	"testing"
)

func TestMissingKeys(t *testing.T) {
	doc := &Doc{name: "config.md", lines: strings.Split(strings.Join([]string{
		"### own",
		"| `dsn` | the database |",
		"### shared",
		"| `table` | the table |",
		"### other",
		"| `timeout` | listed elsewhere |",
	}, "\n"), "\n")}
	type config struct {
		DSN     string `json:"dsn"`
		Table   string `json:"table"`
		Timeout string `json:"timeout"`
	}
	cases := []struct {
		name     string
		headings []string
		want     []string
		wantErr  bool
	}{
		{"own and shared sections", []string{"### own", "### shared"}, []string{"timeout"}, false},
		{"all three", []string{"### own", "### shared", "### other"}, nil, false},
		{"own only", []string{"### own"}, []string{"table", "timeout"}, false},
		{"unknown heading", []string{"### own", "### nowhere"}, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := doc.MissingKeys(config{}, tc.headings...)
			if (err != nil) != tc.wantErr || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("MissingKeys = %q, %v; want %q, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
