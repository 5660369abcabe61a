package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/jwtd/jwtd/core"
	"github.com/jwtd/jwtd/host/throttle"
	"github.com/jwtd/jwtd/sdk"
)

// httpError is a failure the HTTP layer itself detects (routing, media
// type, body size, JSON syntax): a status and a DRF-style detail.
type httpError struct {
	status int
	detail string
}

func (e *httpError) Error() string { return e.detail }

var (
	errNotFound     = &httpError{http.StatusNotFound, "Not found."}
	errBodyTooLarge = &httpError{http.StatusRequestEntityTooLarge, "Request body is too large."}
	errTooDeep      = &httpError{http.StatusBadRequest, "JSON parse error - nesting is too deep"}
)

// The cookie transport's refusals (DRF's CSRF failure wording).
var (
	// errCSRF refuses a cookie-authenticated POST that does not prove it
	// comes from the app's own pages.
	errCSRF = &httpError{http.StatusForbidden, "CSRF Failed: CSRF token missing or incorrect."}
	// errCrossSite refuses a browser request from another site or an
	// untrusted origin.
	errCrossSite = &httpError{http.StatusForbidden, "CSRF Failed: Origin checking failed."}
)

// Forward-auth's refusals: the proxy's headers do not name one clean
// original request (400, which the proxies turn into a refusal), or a rule
// refuses the user (403).
var (
	errForwardedMismatch = &httpError{http.StatusBadRequest, "Conflicting X-Forwarded-* and X-Original-* headers."}
	errForwardedURI      = &httpError{http.StatusBadRequest, "Malformed forwarded request URI."}
	// errForwardedPathUnclean: the path has dot segments or empty ones,
	// which the upstream may resolve otherwise than the rules would.
	errForwardedPathUnclean = &httpError{http.StatusBadRequest, "Forwarded request path is not normalised (dot segments or double slashes)."}
	errNoForwardedURI       = &httpError{http.StatusBadRequest, "X-Forwarded-Uri or X-Original-URI is required: forward-auth rules are configured."}
	errForbidden            = &httpError{http.StatusForbidden, "You do not have permission to perform this action."}
)

func methodNotAllowed(m string) error {
	return &httpError{http.StatusMethodNotAllowed, "Method \"" + m + "\" not allowed."}
}

func unsupportedMediaType(ct string) error {
	return &httpError{http.StatusUnsupportedMediaType, "Unsupported media type \"" + ct + "\" in request."}
}

func parseError(err error) error {
	return &httpError{http.StatusBadRequest, "JSON parse error - " + err.Error()}
}

// fieldError is one field's messages; fieldErrors keeps the fields in the
// serializer's order, as DRF reports them.
type fieldError struct {
	Field    string
	Messages []string
}

type fieldErrors []fieldError

func (f fieldErrors) Error() string { return fmt.Sprint([]fieldError(f)) }

func (f *fieldErrors) add(field, msg string) {
	*f = append(*f, fieldError{field, []string{msg}})
}

func (f fieldErrors) body() object {
	o := make(object, len(f))
	for i, e := range f {
		o[i] = member{e.Field, e.Messages}
	}
	return o
}

// writeError is the one place an error becomes a status and a body. Core
// errors keep Simple JWT's wire meaning; anything unrecognised is a bug or
// an outage and never a success: 503 when a plugin could not answer, else
// 500 with the cause logged (never sent).
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := a.errorBody(r, err)
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", a.realm)
	case http.StatusTooManyRequests:
		var th *throttle.Throttled
		errors.As(err, &th)
		w.Header().Set("Retry-After", strconv.Itoa(throttle.RetryAfterSeconds(th.RetryAfter)))
	}
	writeJSON(w, status, body)
}

// unavailableRetryAfter is the Retry-After of every 503: long enough for a
// restarted plugin process or a failed-over store to answer again, short
// enough that clients come back soon.
const unavailableRetryAfter = "5"

func (a *API) errorBody(r *http.Request, err error) (int, object) {
	var he *httpError
	var fe fieldErrors
	var ce *core.Error
	var th *throttle.Throttled
	switch {
	case errors.As(err, &th):
		return http.StatusTooManyRequests, throttledBody(th.RetryAfter)
	case errors.As(err, &he):
		return he.status, object{{"detail", he.detail}}
	case errors.As(err, &fe):
		return http.StatusBadRequest, fe.body()
	case errors.As(err, &ce):
		switch ce.Kind {
		case core.KindTokenNotValid:
			o := object{{"detail", ce.Detail}, {"code", orDefault(ce.Code, "token_not_valid")}}
			if len(ce.Messages) > 0 {
				o = append(o, member{"messages", ce.Messages})
			}
			return http.StatusUnauthorized, o
		case core.KindAuthenticationFailed:
			o := object{{"detail", ce.Detail}}
			if ce.Code != "" {
				o = append(o, member{"code", ce.Code})
			}
			return http.StatusUnauthorized, o
		case core.KindNotAuthenticated:
			return http.StatusUnauthorized, object{{"detail", ce.Detail}}
		case core.KindInvalidInput:
			return http.StatusBadRequest, coreFields(ce)
		case core.KindNotFound:
			return http.StatusNotFound, object{{"detail", ce.Detail}}
		case core.KindUnavailable:
			a.log.WarnContext(r.Context(), "plugin unavailable", "path", r.URL.Path, "err", err)
			return http.StatusServiceUnavailable, unavailableBody(ce.Detail, ce.Code)
		}
	case errors.Is(err, sdk.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		a.log.WarnContext(r.Context(), "plugin unavailable", "path", r.URL.Path, "err", err)
		return http.StatusServiceUnavailable, unavailableBody("", "")
	}
	a.log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	return http.StatusInternalServerError, object{{"detail", "Internal server error."}}
}

// throttledBody is DRF's Throttled body: "Request was throttled. Expected
// available in N seconds." (singular "second" when N is 1, as DRF words it).
func throttledBody(retryAfter time.Duration) object {
	n := throttle.RetryAfterSeconds(retryAfter)
	unit := "seconds"
	if n == 1 {
		unit = "second"
	}
	return object{
		{"detail", fmt.Sprintf("Request was throttled. Expected available in %d %s.", n, unit)},
		{"code", "throttled"},
	}
}

func unavailableBody(detail, code string) object {
	return object{
		{"detail", orDefault(detail, core.ErrUnavailable.Detail)},
		{"code", orDefault(code, core.ErrUnavailable.Code)},
	}
}

// coreFields renders a core validation error: its fields sorted, with
// non_field_errors last as DRF puts whole-request errors after the fields.
func coreFields(ce *core.Error) object {
	if len(ce.Fields) == 0 {
		return object{{"non_field_errors", []string{orDefault(ce.Detail, "Invalid input.")}}}
	}
	keys := make([]string, 0, len(ce.Fields))
	for k := range ce.Fields {
		if k != "non_field_errors" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if _, ok := ce.Fields["non_field_errors"]; ok {
		keys = append(keys, "non_field_errors")
	}
	o := make(object, 0, len(keys))
	for _, k := range keys {
		o = append(o, member{k, ce.Fields[k]})
	}
	return o
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// member and object make JSON objects whose keys keep their order, so that
// bodies read like DRF's ({"refresh", "access"}; fields in serializer order).
type member struct {
	Key   string
	Value any
}

type object []member

// MarshalJSON writes the members in order.
func (o object) MarshalJSON() ([]byte, error) {
	return o.appendJSON(make([]byte, 0, 128))
}

// appendJSON writes o to b. Strings and string lists, nearly everything the
// API answers, are written directly; other values go through encoding/json.
func (o object) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	for i, m := range o {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, m.Key)
		b = append(b, ':')
		var err error
		if b, err = appendValue(b, m.Value); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case string:
		return appendString(b, t), nil
	case []string:
		b = append(b, '[')
		for i, s := range t {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']'), nil
	case object:
		return t.appendJSON(b)
	case int64:
		return strconv.AppendInt(b, t, 10), nil
	case bool:
		return strconv.AppendBool(b, t), nil
	case nil:
		return append(b, "null"...), nil
	}
	data, err := marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, data...), nil
}

// appendString writes s as a JSON string exactly as encoding/json does with
// HTML escaping off: quotes, backslashes and control characters escaped,
// invalid UTF-8 replaced by U+FFFD, U+2028 and U+2029 escaped.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// marshal encodes like DRF's renderer: no HTML escaping, compact.
func marshal(v any) ([]byte, error) {
	if o, ok := v.(object); ok {
		return o.appendJSON(make([]byte, 0, 128))
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// The header values every JSON answer carries.
var (
	headerJSON    = []string{"application/json"}
	headerNosniff = []string{"nosniff"}
	headerNoStore = []string{"no-store"}
)

func writeJSON(w http.ResponseWriter, status int, body any) {
	data, err := marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"detail":"Internal server error."}`)
	}
	h := w.Header()
	// Shared values (net/http only reads them): no allocation per answer.
	h["Content-Type"] = headerJSON
	h["X-Content-Type-Options"] = headerNosniff
	h["Cache-Control"] = headerNoStore
	if status == http.StatusServiceUnavailable && h.Get("Retry-After") == "" {
		// Every 503 (an error, /readyz) tells the client when to come back.
		h.Set("Retry-After", unavailableRetryAfter)
	}
	w.WriteHeader(status)
	w.Write(data)
}
