package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/jwtd/jwtd/core"
)

// Messages DRF's CharField uses beyond the core's.
const (
	msgNull   = "This field may not be null."
	msgMaxLen = "Ensure this field has no more than %d characters."
)

// requestData is a parsed request body: JSON values still encoded (only
// the fields a serializer asks for are decoded) or form strings.
type requestData struct {
	json map[string]json.RawMessage
	form map[string]string
}

// readData parses the body the way DRF's parsers do: JSON, urlencoded or
// multipart forms. An empty body (or one without a Content-Type) is empty
// data, as in DRF, so missing fields are reported field by field; any other
// media type with a body is 415.
func (a *API) readData(w http.ResponseWriter, r *http.Request) (requestData, error) {
	body, err := readBody(http.MaxBytesReader(w, r.Body, a.opts.MaxBodyBytes), r.ContentLength, a.opts.MaxBodyBytes)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return requestData{}, errBodyTooLarge
		}
		return requestData{}, &httpError{http.StatusBadRequest, "Could not read the request body."}
	}
	ct := r.Header.Get("Content-Type")
	if len(body) == 0 || ct == "" {
		return requestData{}, nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	// DRF compares only type/subtype, so a malformed parameter
	// ("application/json; charset") still names the media type.
	if err != nil && (mt == "" || !errors.Is(err, mime.ErrInvalidMediaParameter)) {
		return requestData{}, unsupportedMediaType(ct)
	}
	switch mt {
	case "application/json":
		return a.readJSON(body)
	case "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return requestData{}, &httpError{http.StatusBadRequest, "Malformed form data."}
		}
		return formData(vals), nil
	case "multipart/form-data":
		if params["boundary"] == "" {
			return requestData{}, &httpError{http.StatusBadRequest, "Multipart form parse error - Invalid boundary in multipart: None"}
		}
		form, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).ReadForm(a.opts.MaxBodyBytes)
		if err != nil {
			return requestData{}, &httpError{http.StatusBadRequest, "Multipart form parse error - " + err.Error()}
		}
		defer form.RemoveAll()
		return formData(form.Value), nil
	}
	return requestData{}, unsupportedMediaType(ct)
}

// readBody reads the body into one buffer sized by Content-Length when
// the client sent one within the cap (io.ReadAll would start at 512 bytes
// and grow), and as io.ReadAll does otherwise.
func readBody(r io.Reader, length, limit int64) ([]byte, error) {
	if length <= 0 || length > limit {
		return io.ReadAll(r)
	}
	// One byte more than announced, so that the read finding EOF has room.
	buf := make([]byte, 0, length+1)
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
}

func (a *API) readJSON(body []byte) (requestData, error) {
	if tooDeep(body, a.opts.MaxJSONDepth) {
		return requestData{}, errTooDeep
	}
	// Unmarshal checks the whole text first, so a type error means valid
	// JSON that is not an object.
	var obj map[string]json.RawMessage
	err := json.Unmarshal(body, &obj)
	var ute *json.UnmarshalTypeError
	if err != nil && !errors.As(err, &ute) {
		return requestData{}, parseError(err)
	}
	if err == nil && obj == nil {
		// A JSON null: DRF's Serializer.errors words this edge case apart.
		return requestData{}, fieldErrors{{"non_field_errors", []string{"No data provided"}}}
	}
	if err != nil {
		return requestData{}, fieldErrors{{"non_field_errors", []string{
			fmt.Sprintf("Invalid data. Expected a dictionary, but got %s.", pythonType(body)),
		}}}
	}
	return requestData{json: obj}, nil
}

// pythonType names the type of a valid JSON text that is not an object, as
// DRF's message does (Python's type names).
func pythonType(body []byte) string {
	b := bytes.TrimLeft(body, " \t\r\n")
	if len(b) == 0 {
		return "NoneType"
	}
	switch b[0] {
	case '[':
		return "list"
	case '"':
		return "str"
	case 't', 'f':
		return "bool"
	}
	if bytes.ContainsAny(bytes.TrimRight(b, " \t\r\n"), ".eE") {
		return "float"
	}
	return "int"
}

// formData keeps the last value of each field, as Django's QueryDict does.
func formData(vals map[string][]string) requestData {
	d := make(map[string]string, len(vals))
	for k, v := range vals {
		if len(v) > 0 {
			d[k] = v[len(v)-1]
		}
	}
	return requestData{form: d}
}

// value returns a field as DRF's CharField sees it: the string, or the
// message for a value that is absent, null or not a string (numbers are
// taken as their text, as DRF does).
func (d requestData) value(name string) (string, string) {
	if d.form != nil {
		v, ok := d.form[name]
		if !ok {
			return "", core.MsgRequired
		}
		return v, ""
	}
	raw, ok := d.json[name]
	if !ok {
		return "", core.MsgRequired
	}
	switch raw[0] {
	case '"':
		// The body has been validated as JSON already; a string without
		// escapes in valid UTF-8 (a token, nearly every field) is its bytes
		// between the quotes. Only the rest needs a second decoding.
		if inner := raw[1 : len(raw)-1]; bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
			return string(inner), ""
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", core.MsgNotString
		}
		return s, ""
	case 'n':
		return "", msgNull
	case 't', 'f', '[', '{':
		return "", core.MsgNotString
	}
	return string(raw), ""
}

// tooDeep reports whether JSON text nests deeper than max, counting
// brackets outside strings; it runs before decoding so a deep body costs
// nothing.
func tooDeep(b []byte, max int) bool {
	depth, inString, escaped := 0, false, false
	for _, c := range b {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			if depth > max {
				return true
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return false
}

// fieldSpec is one CharField of a serializer.
type fieldSpec struct {
	name     string
	maxChars int // 0: no cap
}

// strings validates fields as DRF's CharField(required=True) does, reporting
// every bad field at once in field order: absent (required), null, not a
// string (numbers are taken as their text, as DRF does), blank after
// trimming whitespace, or too long.
func (d requestData) strings(fields ...fieldSpec) (map[string]string, error) {
	out := make(map[string]string, len(fields))
	var errs fieldErrors
	for _, f := range fields {
		s, msg := d.value(f.name)
		if msg != "" {
			errs.add(f.name, msg)
			continue
		}
		s = strings.TrimSpace(s)
		if s == "" {
			errs.add(f.name, core.MsgBlank)
			continue
		}
		if f.maxChars > 0 && utf8.RuneCountInString(s) > f.maxChars {
			errs.add(f.name, fmt.Sprintf(msgMaxLen, f.maxChars))
			continue
		}
		out[f.name] = s
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}
