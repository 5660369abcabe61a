package attacks

import (
	"fmt"
	"slices"
	"strings"
)

// BodyCase is one hostile request body for a JSON endpoint.
type BodyCase struct {
	// Name says what is hostile about the body; unique within a result.
	Name string
	// ContentType to send it with.
	ContentType string
	// Body is the request body.
	Body []byte
}

// Bodies returns hostile variants of the valid JSON body made of fields
// (for example {"username": "alice", "password": "pw"} for obtain, or
// {"refresh": token}). Every variant must get a 4xx (400 for malformed or
// mistyped JSON, 413 for a body over the server's limit, 415 for a wrong
// media type, 401 where the shape is right but the values are not) and
// write nothing.
func Bodies(fields map[string]string) []BodyCase {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	slices.Sort(names) // stable case order
	// object renders fields in order, with override values (raw JSON) for
	// some of them and extra raw members appended.
	object := func(override map[string]string, extra string) []byte {
		var parts []string
		for _, k := range names {
			v, ok := override[k]
			if !ok {
				v = string(mustJSON(fields[k]))
			}
			parts = append(parts, fmt.Sprintf("%q:%s", k, v))
		}
		if extra != "" {
			parts = append(parts, extra)
		}
		return []byte("{" + strings.Join(parts, ",") + "}")
	}
	const ct = "application/json"
	var out []BodyCase
	add := func(name string, body []byte) { out = append(out, BodyCase{Name: name, ContentType: ct, Body: body}) }

	pad := strings.Repeat("A", 10<<20)
	add("10 MB body", object(nil, fmt.Sprintf(`"padding":%q`, pad)))
	add("deep JSON body", []byte(strings.Repeat("[", 100_000)+strings.Repeat("]", 100_000)))
	add("deep JSON in an extra field", object(nil, `"deep":`+strings.Repeat(`{"a":`, 50_000)+"1"+strings.Repeat("}", 50_000)))
	for _, k := range names {
		add(k+" 1 MB long", object(map[string]string{k: string(mustJSON(strings.Repeat("x", 1<<20)))}, ""))
		add(k+" with a NUL byte", object(map[string]string{k: string(mustJSON(fields[k] + "\x00"))}, ""))
		add(k+" with a raw control character", object(map[string]string{k: `"` + fields[k] + "\x01\""}, ""))
		add(k+" invalid UTF-8", object(map[string]string{k: "\"\xff\xfe" + fields[k] + `"`}, ""))
		add(k+" as a number", object(map[string]string{k: "1"}, ""))
		add(k+" as 1e400", object(map[string]string{k: "1e400"}, ""))
		add(k+" as an object", object(map[string]string{k: `{"$ne":null}`}, ""))
		add(k+" as a list", object(map[string]string{k: string(mustJSON([]string{fields[k]}))}, ""))
		add(k+" as a bool", object(map[string]string{k: "true"}, ""))
		add(k+" as null", object(map[string]string{k: "null"}, ""))
		add(k+" blank", object(map[string]string{k: `""`}, ""))
		add(k+" missing", without(names, fields, k))
		// The valid value first and a wrong one last: a parser that keeps
		// the first value would accept what the last-value reading refuses.
		add(k+" duplicated, last one wrong", object(nil, fmt.Sprintf("%q:%s", k, mustJSON(fields[k]+"-wrong"))))
	}
	add("empty body", nil)
	add("JSON null", []byte("null"))
	add("JSON list", []byte("[]"))
	add("JSON string", []byte(`"x"`))
	add("truncated JSON", object(nil, "")[:len(object(nil, ""))-1])
	add("trailing garbage", append(object(nil, ""), 'x'))
	add("two objects", append(object(nil, ""), []byte("{}")...))
	add("byte order mark", append([]byte("\xef\xbb\xbf"), object(nil, "")...))
	out = append(out,
		BodyCase{Name: "text/plain media type", ContentType: "text/plain", Body: object(nil, "")},
		BodyCase{Name: "XML media type", ContentType: "application/xml", Body: []byte("<a/>")},
	)
	return out
}

// without is the valid body minus field k.
func without(names []string, fields map[string]string, k string) []byte {
	var parts []string
	for _, n := range names {
		if n != k {
			parts = append(parts, fmt.Sprintf("%q:%s", n, mustJSON(fields[n])))
		}
	}
	return []byte("{" + strings.Join(parts, ",") + "}")
}

// HeaderCase is one hostile value of the Authorization header.
type HeaderCase struct {
	// Name says what is hostile about it; unique within a result.
	Name string
	// Value of the header. Some values hold bytes (NUL, CR) that Go's
	// http.Client refuses to send; send those with a raw connection or
	// straight into the handler with httptest.
	Value string
	// Raw reports that Value holds such bytes.
	Raw bool
}

// AuthHeaders returns hostile Authorization header values built around
// token (a valid access token). Each must get 401 (or 400/431 from the HTTP
// layer for the oversized ones), never a 2xx.
func AuthHeaders(token string) []HeaderCase {
	return []HeaderCase{
		{Name: "scheme alone", Value: "Bearer"},
		{Name: "scheme and a space", Value: "Bearer "},
		{Name: "three parts", Value: "Bearer " + token + " extra"},
		{Name: "lowercase scheme", Value: "bearer " + token},
		{Name: "uppercase scheme", Value: "BEARER " + token},
		{Name: "Basic scheme", Value: "Basic YWRtaW46YWRtaW4="},
		{Name: "token without scheme", Value: token},
		{Name: "comma-joined second credential", Value: "Bearer " + token + ",Bearer x"},
		{Name: "64 KB token", Value: "Bearer " + strings.Repeat("A", 64<<10)},
		{Name: "64 KB of spaces", Value: "Bearer" + strings.Repeat(" ", 64<<10) + "x"},
		{Name: "NUL inside the token", Value: "Bearer " + token[:5] + "\x00" + token[5:], Raw: true},
		{Name: "NUL after the scheme", Value: "Bearer\x00" + token, Raw: true},
		{Name: "tab instead of space", Value: "Bearer\t" + token + "\tjunk"},
		{Name: "vertical tab separator", Value: "Bearer\v" + token + "\vjunk", Raw: true},
	}
}
