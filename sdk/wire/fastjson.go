package wire

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
)

// The attribute and claim objects that cross the seam are almost always
// flat objects of strings, integers and booleans. appendObject and
// parseFlatObject encode and decode exactly those without reflection, as
// part of encodeObject and decodeObject, so that a built-in served by Local
// (and a plugin process) pays little for them. Whatever they do not
// handle goes through encoding/json, so the values that reach either side
// are the same as with encoding/json alone: the fast paths are an
// optimisation of one normalisation, not a second one.

// appendObject encodes m as a JSON object with sorted keys, as json.Marshal
// does; values other than strings, booleans, nil and integers are encoded
// by json.Marshal.
func appendObject(b []byte, m map[string]any) ([]byte, error) {
	b = append(b, '{')
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendString(b, k); err != nil {
			return nil, err
		}
		b = append(b, ':')
		if b, err = appendValue(b, m[k]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x)
	case bool:
		return strconv.AppendBool(b, x), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case uint:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), nil
	}
	return appendJSON(b, v)
}

// appendString writes s raw between quotes when JSON allows it unescaped
// (valid UTF-8, no quote, backslash or control character); otherwise as
// encoding/json escapes it.
func appendString(b []byte, s string) ([]byte, error) {
	if !plainString(s) {
		return appendJSON(b, s)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}

func appendJSON(b []byte, v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

// plainString reports whether s is a JSON string's content as it stands.
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			return false
		}
	}
	return utf8.ValidString(s)
}

// parseFlatObject decodes b when it is a JSON object without whitespace
// whose values are plain strings (see plainString), numbers, booleans or
// null, applying normalizeNumbers as decodeObject does; ok is false for
// anything else (nested values, escapes, whitespace, malformed input),
// which decodeObject then hands to encoding/json for its answer or its
// error.
func parseFlatObject(b []byte) (m map[string]any, ok bool) {
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' {
		return nil, false
	}
	m = map[string]any{}
	i := 1
	if b[i] == '}' {
		return m, i == len(b)-1
	}
	for {
		k, n, ok := parseString(b, i)
		if !ok || n >= len(b) || b[n] != ':' {
			return nil, false
		}
		i = n + 1
		var v any
		if v, i, ok = parseScalar(b, i); !ok || i >= len(b) {
			return nil, false
		}
		m[k] = v
		switch b[i] {
		case ',':
			i++
		case '}':
			return m, i == len(b)-1
		default:
			return nil, false
		}
	}
}

// parseString reads a plain string starting at b[i] (its opening quote)
// and returns it and the index after its closing quote.
func parseString(b []byte, i int) (string, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return "", 0, false
	}
	for j := i + 1; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			s := b[i+1 : j]
			if !utf8.Valid(s) {
				return "", 0, false
			}
			return string(s), j + 1, true
		case c < 0x20 || c == '\\':
			return "", 0, false
		}
	}
	return "", 0, false
}

func parseScalar(b []byte, i int) (any, int, bool) {
	if i >= len(b) {
		return nil, 0, false
	}
	switch c := b[i]; {
	case c == '"':
		return parseString(b, i)
	case c == 't':
		return literal(b, i, "true", true)
	case c == 'f':
		return literal(b, i, "false", false)
	case c == 'n':
		return literal(b, i, "null", nil)
	case c == '-' || c >= '0' && c <= '9':
		n, ok := numberEnd(b, i)
		if !ok {
			return nil, 0, false
		}
		return normalizeNumbers(json.Number(b[i:n])), n, true
	}
	return nil, 0, false
}

func literal(b []byte, i int, lit string, v any) (any, int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return nil, 0, false
	}
	return v, i + len(lit), true
}

// numberEnd returns the end of the JSON number starting at b[i], following
// JSON's grammar exactly: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func numberEnd(b []byte, i int) (int, bool) {
	digits := func(i int) int {
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i
	}
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(i)
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}
