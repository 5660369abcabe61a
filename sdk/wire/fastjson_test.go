package wire

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"
)

// slowDecode is decodeObject without its fast path: encoding/json alone.
func slowDecode(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	for k, v := range m {
		m[k] = normalizeNumbers(v)
	}
	return m, nil
}

// TestFastObjectMatchesEncodingJSON: the fast encoder and decoder give
// every attribute value exactly the value encoding/json gives it, so the
// normalisation in process and out of process stays one.
func TestFastObjectMatchesEncodingJSON(t *testing.T) {
	values := []map[string]any{
		{},
		{"email": "a@example.com", "level": int64(3), "ok": true, "none": nil},
		{"n": 3, "u": uint64(math.MaxUint64), "i": int64(math.MinInt64), "i32": int32(-7), "u32": uint32(7), "uint": uint(9)},
		{"f": 3.0, "g": 2.5, "big": 1e21, "neg0": math.Copysign(0, -1), "f32": float32(0.1)},
		{"esc": "a\"b\\c\n", "html": "<a&b>", "uni": "h\u00e9llo \u2028", "bad": "\xff\xfe", "": "empty key"},
		{"key\"q": 1, "k\x01": "ctl"},
		{"nested": map[string]any{"a": []any{1, "x"}}, "list": []string{"a", "b"}, "t": time.Unix(0, 0).UTC()},
	}
	for i, m := range values {
		got, err := encodeObject(m)
		if err != nil {
			t.Fatalf("%d: encodeObject: %v", i, err)
		}
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		gm, err := decodeObject(got)
		if err != nil {
			t.Fatalf("%d: decodeObject(%s): %v", i, got, err)
		}
		wm, err := slowDecode(want)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(gm, wm) {
			t.Errorf("%d: fast %s → %#v, encoding/json %s → %#v", i, got, gm, want, wm)
		}
	}
	if _, err := encodeObject(map[string]any{"nan": math.NaN()}); err == nil {
		t.Error("NaN encoded; want an error as from encoding/json")
	}
}

// TestParseFlatObject: the fast decoder answers only for input it decodes
// exactly as encoding/json does and leaves the rest (and every error) to
// encoding/json.
func TestParseFlatObject(t *testing.T) {
	cases := []struct {
		in string
		ok bool
	}{
		{`{}`, true},
		{`{"a":"b","c":1,"d":-0.5e3,"e":true,"f":false,"g":null,"h":1E+2}`, true},
		{`{"a":1,"a":2}`, true},
		{`{"n":12345678901234567890}`, true},
		{`{"a":"\u00e9"}`, false},
		{`{"a":{"b":1}}`, false},
		{`{"a":[1]}`, false},
		{`{ "a":1}`, false},
		{`{"a":01}`, false},
		{`{"a":1.}`, false},
		{`{"a":.5}`, false},
		{`{"a":1e}`, false},
		{`{"a":-}`, false},
		{`{"a":tru}`, false},
		{`{"a":1,}`, false},
		{`{"a" 1}`, false},
		{`{"a":1}}`, false},
		{`{"a":1} `, false},
		{`{,}`, false},
		{"{\"a\":\"\xff\"}", false},
		{"{\"a\":\"\x01\"}", false},
		{`[]`, false},
		{`{`, false},
		{`}`, false},
	}
	for _, c := range cases {
		m, ok := parseFlatObject([]byte(c.in))
		if ok != c.ok {
			t.Errorf("%s: fast path %v, want %v", c.in, ok, c.ok)
			continue
		}
		if !ok {
			continue
		}
		want, err := slowDecode([]byte(c.in))
		if err != nil {
			t.Fatalf("%s: encoding/json: %v", c.in, err)
		}
		if !reflect.DeepEqual(m, want) {
			t.Errorf("%s: fast %#v, encoding/json %#v", c.in, m, want)
		}
	}
}

// FuzzDecodeObject: on any input the fast path either declines or agrees
// with encoding/json.
func FuzzDecodeObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":"b","c":-1.5e-3,"d":null}`, `{"a":01}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, ok := parseFlatObject(b)
		if !ok {
			return
		}
		want, err := slowDecode(b)
		if err != nil {
			t.Fatalf("%q: fast path accepted what encoding/json rejects: %v", b, err)
		}
		if !reflect.DeepEqual(m, want) {
			t.Fatalf("%q: fast %#v, encoding/json %#v", b, m, want)
		}
	})
}
