package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// A small validating JSON walker for token headers and payloads. It exists
// because encoding/json cannot report duplicate object keys (a token with two
// "exp" members must be refused: different parsers would pick different
// ones), and because walking the top-level members once, decoding only the
// claims the core needs, keeps verification cheaper than a full decode.
// FuzzJSONWalk checks it against encoding/json.Valid.

var (
	errJSON         = errors.New("malformed JSON")
	errNotObject    = errors.New("JSON value is not an object")
	errDuplicateKey = errors.New("duplicate JSON key")
)

// maxJSONDepth bounds nesting so hostile input cannot exhaust the stack.
const maxJSONDepth = 64

func skipWS(d []byte, i int) int {
	for i < len(d) {
		switch d[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// scanString expects d[i] == '"' and returns the index after the closing
// quote and whether the string holds escapes. A string that is not valid
// UTF-8 is malformed (RFC 8259 §8.1; encoding/json would silently replace
// the bytes with U+FFFD, so two different tokens would read alike). Bytes
// of 0x80 and above are legal only inside strings, so checking strings
// that hold such bytes validates the whole text, at no cost for ASCII.
func scanString(d []byte, i int) (end int, escaped bool, ok bool) {
	start := i
	nonASCII := false
	i++
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			if nonASCII && !utf8.Valid(d[start:i]) {
				return 0, false, false
			}
			return i + 1, escaped, true
		case c == '\\':
			escaped = true
			if i+1 >= len(d) {
				return 0, false, false
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) || !isHex(d[i+2]) || !isHex(d[i+3]) || !isHex(d[i+4]) || !isHex(d[i+5]) {
					return 0, false, false
				}
				i += 6
			default:
				return 0, false, false
			}
		case c < 0x20:
			return 0, false, false
		default:
			nonASCII = nonASCII || c >= utf8.RuneSelf
			i++
		}
	}
	return 0, false, false
}

func scanDigits(d []byte, i int) int {
	for i < len(d) && d[i] >= '0' && d[i] <= '9' {
		i++
	}
	return i
}

// scanNumber follows the JSON number grammar exactly.
func scanNumber(d []byte, i int) (int, bool) {
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		i = scanDigits(d, i+1)
	default:
		return 0, false
	}
	if i < len(d) && d[i] == '.' {
		j := scanDigits(d, i+1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		j := scanDigits(d, i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}

func scanLiteral(d []byte, i int, lit string) (int, bool) {
	if len(d)-i >= len(lit) && string(d[i:i+len(lit)]) == lit {
		return i + len(lit), true
	}
	return 0, false
}

// skipValue validates and skips one JSON value starting at d[i] (no leading
// whitespace) and returns the index after it.
func skipValue(d []byte, i, depth int) (int, bool) {
	if i >= len(d) {
		return 0, false
	}
	switch c := d[i]; {
	case c == '"':
		end, _, ok := scanString(d, i)
		return end, ok
	case c == '{' || c == '[':
		if depth >= maxJSONDepth {
			return 0, false
		}
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		i = skipWS(d, i+1)
		if i < len(d) && d[i] == closer {
			return i + 1, true
		}
		for {
			if c == '{' {
				if i >= len(d) || d[i] != '"' {
					return 0, false
				}
				end, _, ok := scanString(d, i)
				if !ok {
					return 0, false
				}
				i = skipWS(d, end)
				if i >= len(d) || d[i] != ':' {
					return 0, false
				}
				i = skipWS(d, i+1)
			}
			end, ok := skipValue(d, i, depth+1)
			if !ok {
				return 0, false
			}
			i = skipWS(d, end)
			if i >= len(d) {
				return 0, false
			}
			if d[i] == ',' {
				i = skipWS(d, i+1)
				continue
			}
			if d[i] == closer {
				return i + 1, true
			}
			return 0, false
		}
	case c == 't':
		return scanLiteral(d, i, "true")
	case c == 'f':
		return scanLiteral(d, i, "false")
	case c == 'n':
		return scanLiteral(d, i, "null")
	case c == '-' || c >= '0' && c <= '9':
		return scanNumber(d, i)
	}
	return 0, false
}

// walkObject validates that d is exactly one JSON object without duplicate
// top-level keys and calls visit with each member's key (unescaped) and raw
// value. Keys are compared after unescaping, so "e\u0078p" duplicates "exp".
func walkObject(d []byte, visit func(key, val []byte) error) error {
	i := skipWS(d, 0)
	if i >= len(d) || d[i] != '{' {
		if _, ok := skipValue(d, i, 0); ok {
			return errNotObject
		}
		return errJSON
	}
	var seenArr [16][]byte
	seen := seenArr[:0]
	var seenMap map[string]struct{}
	i = skipWS(d, i+1)
	if i < len(d) && d[i] == '}' {
		i++
	} else {
		for {
			if i >= len(d) || d[i] != '"' {
				return errJSON
			}
			end, escaped, ok := scanString(d, i)
			if !ok {
				return errJSON
			}
			key := d[i+1 : end-1]
			if escaped {
				var s string
				if err := json.Unmarshal(d[i:end], &s); err != nil {
					return errJSON
				}
				key = []byte(s)
			}
			if seenMap != nil {
				if _, dup := seenMap[string(key)]; dup {
					return errDuplicateKey
				}
				seenMap[string(key)] = struct{}{}
			} else {
				for _, k := range seen {
					if bytes.Equal(k, key) {
						return errDuplicateKey
					}
				}
				if len(seen) < len(seenArr) {
					seen = append(seen, key)
				} else {
					seenMap = make(map[string]struct{}, 2*len(seen))
					for _, k := range seen {
						seenMap[string(k)] = struct{}{}
					}
					seenMap[string(key)] = struct{}{}
				}
			}
			i = skipWS(d, end)
			if i >= len(d) || d[i] != ':' {
				return errJSON
			}
			i = skipWS(d, i+1)
			vend, ok := skipValue(d, i, 1)
			if !ok {
				return errJSON
			}
			if err := visit(key, d[i:vend]); err != nil {
				return err
			}
			i = skipWS(d, vend)
			if i < len(d) && d[i] == ',' {
				i = skipWS(d, i+1)
				continue
			}
			if i < len(d) && d[i] == '}' {
				i++
				break
			}
			return errJSON
		}
	}
	if skipWS(d, i) != len(d) {
		return errJSON
	}
	return nil
}

// jsonString returns the string a raw JSON value holds, and false when the
// value is not a string. The common case (no escapes) does not call
// encoding/json.
func jsonString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if inner := raw[1 : len(raw)-1]; bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// jsonStringIs reports whether raw is a JSON string equal to want, without
// allocating in the common case.
func jsonStringIs(raw []byte, want string) bool {
	if len(raw) >= 2 && raw[0] == '"' && bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw[1:len(raw)-1]) == want
	}
	s, ok := jsonString(raw)
	return ok && s == want
}

// jsonInteger reports whether raw is a JSON number written as an integer
// (no fraction or exponent), as Simple JWT 5.2 wrote user ids.
func jsonInteger(raw []byte) bool {
	if len(raw) == 0 {
		return false
	}
	i := 0
	if raw[0] == '-' {
		i++
	}
	return i < len(raw) && scanDigits(raw, i) == len(raw)
}
