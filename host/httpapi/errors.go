package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/jwtd/jwtd/core"
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

func methodNotAllowed(m string) error {
	return &httpError{http.StatusMethodNotAllowed, fmt.Sprintf("Method %q not allowed.", m)}
}

func unsupportedMediaType(ct string) error {
	return &httpError{http.StatusUnsupportedMediaType, fmt.Sprintf("Unsupported media type %q in request.", ct)}
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
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", a.realm)
	}
	writeJSON(w, status, body)
}

func (a *API) errorBody(r *http.Request, err error) (int, object) {
	var he *httpError
	var fe fieldErrors
	var ce *core.Error
	switch {
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
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshal(m.Key)
		if err != nil {
			return nil, err
		}
		v, err := marshal(m.Value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal encodes like DRF's renderer: no HTML escaping, compact.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	data, err := marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"detail":"Internal server error."}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(data)
}
