package sqlstore

import (
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"github.com/jwtd/jwtd/sdk"
)

// IDType is the type of a users table's primary key.
type IDType string

// The primary key types a users table may have: Django's AutoField and
// BigAutoField, or a UUIDField (custom user models often use one).
const (
	IDInteger IDType = "integer"
	IDUUID    IDType = "uuid"
)

func parseIDType(v string) (IDType, error) {
	switch IDType(v) {
	case "", IDInteger:
		return IDInteger, nil
	case IDUUID:
		return IDUUID, nil
	}
	return "", fmt.Errorf("%w: id_type %q: want \"integer\" or \"uuid\"", sdk.ErrInvalidConfig, v)
}

// arg converts a user id as it appears in a token (str(user.pk) in Simple
// JWT: "42", or a UUID in its dashed form) into a query argument; ok is
// false when the value cannot be a key of this type, which the stores treat
// as "no such user", never as a database error.
func (t IDType) arg(d Dialect, id string) (v any, ok bool) {
	if t == IDUUID {
		u, err := uuid.Parse(id)
		if err != nil {
			return nil, false
		}
		return d.UUIDArg(u.String()), true
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, false
	}
	return n, true
}

// canonical turns a scanned key into the form tokens carry: the decimal
// integer, or the dashed lowercase UUID (str(uuid.UUID) in Python) whether
// the database stores it natively or as 32 hex digits.
func (t IDType) canonical(v any) string {
	s := asText(v)
	if t == IDUUID {
		if b, ok := v.([16]byte); ok {
			return uuid.UUID(b).String()
		}
		if u, err := uuid.Parse(s); err == nil {
			return u.String()
		}
	}
	return s
}
