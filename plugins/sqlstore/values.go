package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// timeLayouts are the text forms of timestamps a driver may hand back
// as text (Django's own "YYYY-MM-DD HH:MM:SS.ffffff" first).
var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	time.RFC3339Nano,
	"2006-01-02",
}

func asText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	default:
		return fmt.Sprint(x)
	}
}

func asBool(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string, []byte:
		switch strings.ToLower(asText(x)) {
		case "1", "true", "t":
			return true
		}
	}
	return false
}

func asTime(v any) time.Time {
	switch x := v.(type) {
	case time.Time:
		return x.UTC()
	case string, []byte:
		s := strings.TrimSuffix(asText(x), "Z")
		for _, layout := range timeLayouts {
			if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
				return t.UTC()
			}
		}
	case int64:
		return time.Unix(x, 0).UTC()
	}
	return time.Time{}
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
