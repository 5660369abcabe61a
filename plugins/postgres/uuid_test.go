package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jwtd/jwtd/sdk"
)

// testUUIDUsers runs the UUID-key checks on an accounts_user table; stored
// maps a canonical UUID to the form the database keeps.
func testUUIDUsers(t *testing.T, dsn string, stored func(string) string) {
	ctx := context.Background()
	s := openUsers(t, sdk.Config{
		"dsn": dsn, "migrate": false, "table": "accounts_user", "id_type": "uuid",
		"attributes_column": "", "attribute_columns": []any{"email"}, "login_field": "email",
		"hasher": "pbkdf2_sha256", "pbkdf2_iterations": 1000,
	})
	admin := s.(sdk.UserAdmin)
	u, err := admin.CreateUser(ctx, sdk.NewUser{Username: "frank", Password: "pw-frank", IsActive: true, Attributes: map[string]any{"email": "frank@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := uuid.Parse(u.ID)
	if err != nil || parsed.String() != u.ID {
		t.Fatalf("ID %q is not a canonical UUID (str(uuid) in Python): %v", u.ID, err)
	}
	got, err := s.Authenticate(ctx, sdk.Credentials{"email": "frank@example.com", "password": "pw-frank"})
	if err != nil || got.ID != u.ID {
		t.Fatalf("login by email = %+v, %v", got, err)
	}
	for _, id := range []string{u.ID, stored(u.ID)} {
		if got, err := s.LookupUser(ctx, "id", id); err != nil || got.Username != "frank" {
			t.Fatalf("LookupUser(id, %q) = %+v, %v", id, got, err)
		}
	}
	if err := s.RecordLogin(ctx, u.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"42", "not-a-uuid", ""} {
		if _, err := s.LookupUser(ctx, "id", bad); !errors.Is(err, sdk.ErrUserNotFound) {
			t.Fatalf("LookupUser(id, %q) = %v; want ErrUserNotFound", bad, err)
		}
	}
}
