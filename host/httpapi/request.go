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

// requestData is a parsed request body: JSON values (json.Number for
// numbers) or form strings, by field name.
type requestData map[string]any

// readData parses the body the way DRF's parsers do: JSON, urlencoded or
// multipart forms. An empty body (or one without a Content-Type) is empty
// data, as in DRF, so missing fields are reported field by field; any other
// media type with a body is 415.
func (a *API) readData(w http.ResponseWriter, r *http.Request) (requestData, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.opts.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errBodyTooLarge
		}
		return nil, &httpError{http.StatusBadRequest, "Could not read the request body."}
	}
	ct := r.Header.Get("Content-Type")
	if len(body) == 0 || ct == "" {
		return requestData{}, nil
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, unsupportedMediaType(ct)
	}
	switch mt {
	case "application/json":
		return a.readJSON(body)
	case "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, &httpError{http.StatusBadRequest, "Malformed form data."}
		}
		return formData(vals), nil
	case "multipart/form-data":
		if params["boundary"] == "" {
			return nil, &httpError{http.StatusBadRequest, "Multipart form parse error - Invalid boundary in multipart: None"}
		}
		form, err := multipart.NewReader(bytes.NewReader(body), params["boundary"]).ReadForm(a.opts.MaxBodyBytes)
		if err != nil {
			return nil, &httpError{http.StatusBadRequest, "Multipart form parse error - " + err.Error()}
		}
		defer form.RemoveAll()
		return formData(form.Value), nil
	}
	return nil, unsupportedMediaType(ct)
}

func (a *API) readJSON(body []byte) (requestData, error) {
	if tooDeep(body, a.opts.MaxJSONDepth) {
		return nil, errTooDeep
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, parseError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, parseError(errors.New("extra data after the JSON value"))
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fieldErrors{{"non_field_errors", []string{
			fmt.Sprintf("Invalid data. Expected a dictionary, but got %s.", pythonType(v)),
		}}}
	}
	return obj, nil
}

// pythonType names a JSON value's type as DRF's message does.
func pythonType(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "str"
	case bool:
		return "bool"
	case nil:
		return "NoneType"
	case json.Number:
		if strings.ContainsAny(v.(json.Number).String(), ".eE") {
			return "float"
		}
		return "int"
	}
	return "dict"
}

// formData keeps the last value of each field, as Django's QueryDict does.
func formData(vals map[string][]string) requestData {
	d := make(requestData, len(vals))
	for k, v := range vals {
		if len(v) > 0 {
			d[k] = v[len(v)-1]
		}
	}
	return d
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
		v, ok := d[f.name]
		if !ok {
			errs.add(f.name, core.MsgRequired)
			continue
		}
		var s string
		switch t := v.(type) {
		case nil:
			errs.add(f.name, msgNull)
			continue
		case string:
			s = t
		case json.Number:
			s = t.String()
		default:
			errs.add(f.name, core.MsgNotString)
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
