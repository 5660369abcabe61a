package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/jwtd/jwtd/sdk"
	commonv1 "github.com/jwtd/jwtd/sdk/proto/jwtd/common/v1"
)

// encodeObject turns a JSON-compatible map into JSON bytes; nil stays nil
// so that "no fields" and "empty fields" both cost nothing on the wire.
func encodeObject(m map[string]any) ([]byte, error) {
	if m == nil {
		return nil, nil
	}
	b, err := appendObject(make([]byte, 0, 64), m)
	if err != nil {
		return nil, fmt.Errorf("not JSON-compatible: %w", err)
	}
	return b, nil
}

// decodeObject is encodeObject's inverse. Numbers come back as int64 when
// they are integers (as the TOML decoder and most Go code produce them) and
// float64 otherwise, so that an integer attribute does not silently become
// a float on its way through a plugin.
func decodeObject(b []byte) (map[string]any, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if m, ok := parseFlatObject(b); ok {
		return m, nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("malformed JSON object: %w", err)
	}
	for k, v := range m {
		m[k] = normalizeNumbers(v)
	}
	return m, nil
}

func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		s := x.String()
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return i
			}
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return s
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
		return x
	default:
		return v
	}
}

func toTimestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func fromTimestamp(ts *timestamppb.Timestamp) time.Time {
	if ts == nil {
		return time.Time{}
	}
	return ts.AsTime()
}

// hashPolicy says whether a user crosses the boundary with its password
// hash: only a user store's answers carry it (the core derives the revoke
// claim from it); an auth rule or claim serializer never needs it, so it
// never leaves the host.
type hashPolicy bool

const (
	withHash    hashPolicy = true
	withoutHash hashPolicy = false
)

func userToProto(u sdk.User, hash hashPolicy) (*commonv1.User, error) {
	attrs, err := encodeObject(u.Attributes)
	if err != nil {
		return nil, fmt.Errorf("user %q attributes: %w", u.ID, err)
	}
	if hash == withoutHash {
		u.PasswordHash = ""
	}
	return &commonv1.User{
		Id:             u.ID,
		Username:       u.Username,
		IsActive:       u.IsActive,
		PasswordHash:   u.PasswordHash,
		LastLogin:      toTimestamp(u.LastLogin),
		AttributesJson: attrs,
	}, nil
}

func userFromProto(p *commonv1.User) (sdk.User, error) {
	if p == nil {
		return sdk.User{}, fmt.Errorf("missing user in reply")
	}
	attrs, err := decodeObject(p.GetAttributesJson())
	if err != nil {
		return sdk.User{}, fmt.Errorf("user %q attributes: %w", p.GetId(), err)
	}
	return sdk.User{
		ID:           p.GetId(),
		Username:     p.GetUsername(),
		IsActive:     p.GetIsActive(),
		PasswordHash: p.GetPasswordHash(),
		LastLogin:    fromTimestamp(p.GetLastLogin()),
		Attributes:   attrs,
	}, nil
}
