package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzAppendString: the direct string writer gives exactly what
// encoding/json gives with HTML escaping off, for any string.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `q"b\s`, "\n\r\t\x00\x1f\x7f", "<>&", "\u2028\u2029", "é€😀", "\xff\xfe bad", "Token 'refresh_exp' claim has expired"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		got := appendString(nil, s)
		if !bytes.Equal(got, bytes.TrimRight(want.Bytes(), "\n")) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want.Bytes())
		}
	})
}
