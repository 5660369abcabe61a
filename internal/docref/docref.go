// Package docref keeps the reference documents under docs/ in step with
// the code: tests list what the code accepts (config keys from struct
// tags, CLI commands and flags, endpoints) and ask this package which of
// them a document's section does not mention. A key added to the code
// without a row in the docs then fails a test.
//
// It is for tests only; nothing in jwtd itself imports it.
package docref

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
)

// Doc is a Markdown document of the repository's docs/ directory.
type Doc struct {
	name  string
	lines []string
}

// Load reads docs/<name> from the repository the current directory is in
// (a test's directory: the file is found by walking up to go.mod).
func Load(name string) (*Doc, error) {
	dir, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil, fmt.Errorf("docref: no go.mod above the current directory")
		}
		dir = parent
	}
	data, err := os.ReadFile(filepath.Join(dir, "docs", name))
	if err != nil {
		return nil, err
	}
	return &Doc{name: name, lines: strings.Split(string(data), "\n")}, nil
}

// Section returns the text under the heading line exactly equal to heading
// (e.g. "## `[server]`"), up to the next heading of the same or a higher
// level, and an error naming the document when there is no such heading.
func (d *Doc) Section(heading string) (string, error) {
	level := headingLevel(heading)
	for i, l := range d.lines {
		if strings.TrimSpace(l) != heading {
			continue
		}
		var b strings.Builder
		for _, l := range d.lines[i+1:] {
			if n := headingLevel(l); n > 0 && n <= level {
				break
			}
			b.WriteString(l)
			b.WriteByte('\n')
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("docs/%s has no heading %q", d.name, heading)
}

// Headings returns every heading line of the given level, trimmed.
func (d *Doc) Headings(level int) []string {
	var out []string
	inCode := false
	for _, l := range d.lines {
		if strings.HasPrefix(l, "```") {
			inCode = !inCode
		}
		if !inCode && headingLevel(l) == level {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

// headingLevel is the number of leading '#' of a Markdown heading line, 0
// for any other line.
func headingLevel(l string) int {
	n := 0
	for n < len(l) && l[n] == '#' {
		n++
	}
	if n == 0 || n == len(l) || l[n] != ' ' {
		return 0
	}
	return n
}

// Missing returns the names that section does not mention as code
// (`name`), in their order.
func Missing(section string, names []string) []string {
	var out []string
	for _, n := range names {
		if !strings.Contains(section, "`"+n+"`") {
			out = append(out, n)
		}
	}
	return out
}

// Tags returns the names the struct v (or pointer to one) declares in the
// struct tag tag (toml, json), in field order; "-" and untagged fields are
// left out, and the fields of an untagged embedded struct count as v's own
// (as encoding/json decodes them). Fields whose type is itself a struct are
// left out too when skipStructs is set: they are sections of their own.
func Tags(v any, tag string, skipStructs bool) []string {
	return tags(reflect.TypeOf(v), tag, skipStructs)
}

func tags(t reflect.Type, tag string, skipStructs bool) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
		if name == "" && f.Anonymous {
			out = append(out, tags(f.Type, tag, skipStructs)...)
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if skipStructs && ft.Kind() == reflect.Struct {
			continue
		}
		out = append(out, name)
	}
	return out
}

// Tables walks the struct v (a TOML document's shape) and returns each
// table's dotted path ("server", "server.throttle") with the keys it holds
// directly, by struct tag tag. A field whose type is a struct, a pointer to
// one or a list of them ([[array.of.tables]]) is a table of its own, not a
// key; v's own keys are under "".
func Tables(v any, tag string) map[string][]string {
	out := map[string][]string{}
	walkTables(reflect.TypeOf(v), tag, "", out)
	return out
}

func walkTables(t reflect.Type, tag, path string, out map[string][]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if _, ok := out[path]; !ok {
		out[path] = nil
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get(tag), ",")
		if name == "" && f.Anonymous {
			out[path] = append(out[path], tags(f.Type, tag, false)...)
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct {
			sub := name
			if path != "" {
				sub = path + "." + name
			}
			walkTables(ft, tag, sub, out)
			continue
		}
		out[path] = append(out[path], name)
	}
}
