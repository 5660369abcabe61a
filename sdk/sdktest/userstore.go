package sdktest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jwtd/jwtd/sdk"
)

// KnownUser is a user the store under test holds, with the credentials
// that log it in.
type KnownUser struct {
	// Credentials carry every login field and the password.
	Credentials sdk.Credentials
	// ID, Username and IsActive are what the store must report.
	ID       string
	Username string
	IsActive bool
	// Attributes, when set, must be among the user's attributes with equal
	// JSON values (an int 3 equals 3.0).
	Attributes map[string]any
}

// UserStoreSetup is what TestUserStore runs against.
type UserStoreSetup struct {
	// Store is the store under test.
	Store sdk.UserStore
	// Users are users Store holds. Leave it empty for a store that
	// implements sdk.UserAdmin and the suite creates its own with SeedUsers;
	// a read-only store (an htpasswd file) lists the users of its fixture.
	// At least one must be active.
	Users []KnownUser
	// PasswordField names the password credential ("password" when empty).
	PasswordField string
	// LastLoginNotKept declares that RecordLogin is accepted but not stored
	// (a read-only store); otherwise LookupUser must return what it recorded.
	LastLoginNotKept bool
}

// SeedUsers creates through admin one active user with attributes
// (an email string, an integer level and a list of groups) and one inactive
// user, and returns them, as TestUserStore does for admin stores.
func SeedUsers(t *testing.T, admin sdk.UserAdmin) []KnownUser {
	t.Helper()
	ctx := context.Background()
	active := sdk.NewUser{
		Username: uniqueID("alice-"), Password: "correct horse battery staple", IsActive: true,
		Attributes: map[string]any{"email": "alice@example.com", "level": int64(3), "groups": []any{"staff", "ops"}},
	}
	inactive := sdk.NewUser{Username: uniqueID("bob-"), Password: "hunter2-hunter2", IsActive: false}
	var out []KnownUser
	for _, nu := range []sdk.NewUser{active, inactive} {
		u, err := admin.CreateUser(ctx, nu)
		if err != nil {
			t.Fatalf("CreateUser(%q): %v", nu.Username, err)
		}
		if u.ID == "" || u.Username != nu.Username || u.IsActive != nu.IsActive {
			t.Fatalf("CreateUser(%q) = %+v, want id set, same username and is_active %v", nu.Username, u, nu.IsActive)
		}
		out = append(out, KnownUser{
			Credentials: sdk.Credentials{"username": nu.Username, "password": nu.Password},
			ID:          u.ID, Username: nu.Username, IsActive: nu.IsActive, Attributes: nu.Attributes,
		})
	}
	return out
}

// TestUserStore runs the user store suite. setup is called once per
// subtest and must return a store holding setup.Users (or an empty
// sdk.UserAdmin store).
func TestUserStore(t *testing.T, setup func(t *testing.T) UserStoreSetup) {
	ctx := context.Background()
	prepare := func(t *testing.T) (UserStoreSetup, KnownUser) {
		t.Helper()
		s := setup(t)
		if s.PasswordField == "" {
			s.PasswordField = "password"
		}
		if len(s.Users) == 0 {
			admin, ok := sdk.As[sdk.UserAdmin](s.Store)
			if !ok {
				t.Fatal("UserStoreSetup has no Users and the store is no sdk.UserAdmin to create some")
			}
			s.Users = SeedUsers(t, admin)
		}
		for _, u := range s.Users {
			if u.IsActive {
				return s, u
			}
		}
		t.Fatal("UserStoreSetup.Users has no active user")
		return s, KnownUser{}
	}
	checkUser := func(t *testing.T, what string, got sdk.User, want KnownUser) {
		t.Helper()
		if got.ID != want.ID || got.Username != want.Username || got.IsActive != want.IsActive {
			t.Fatalf("%s = {ID:%q Username:%q IsActive:%v}, want {ID:%q Username:%q IsActive:%v}",
				what, got.ID, got.Username, got.IsActive, want.ID, want.Username, want.IsActive)
		}
		for k, v := range want.Attributes {
			if !jsonEqual(t, got.Attributes[k], v) {
				t.Fatalf("%s attribute %q = %#v, want %#v", what, k, got.Attributes[k], v)
			}
		}
	}

	t.Run("LoginFields", func(t *testing.T) {
		s, _ := prepare(t)
		fields, err := s.Store.LoginFields(ctx)
		if err != nil {
			t.Fatalf("LoginFields: %v", err)
		}
		if !slices.Contains(fields, s.PasswordField) {
			t.Fatalf("LoginFields = %q, want it to include %q", fields, s.PasswordField)
		}
		for _, u := range s.Users {
			for _, f := range fields {
				if _, ok := u.Credentials[f]; !ok {
					t.Fatalf("fixture user %q lacks login field %q", u.Username, f)
				}
			}
		}
	})

	t.Run("AuthenticateKnownUsers", func(t *testing.T) {
		s, _ := prepare(t)
		for _, u := range s.Users {
			got, err := s.Store.Authenticate(ctx, u.Credentials)
			if err != nil {
				t.Fatalf("Authenticate(%q): %v (inactive users must authenticate too; the rule decides)", u.Username, err)
			}
			checkUser(t, "Authenticate("+u.Username+")", got, u)
		}
	})

	t.Run("AuthenticateRefuses", func(t *testing.T) {
		s, active := prepare(t)
		wrong := func(mod func(sdk.Credentials)) sdk.Credentials {
			c := sdk.Credentials{}
			for k, v := range active.Credentials {
				c[k] = v
			}
			mod(c)
			return c
		}
		cases := []struct {
			name  string
			creds sdk.Credentials
		}{
			{"wrong password", wrong(func(c sdk.Credentials) { c[s.PasswordField] += "x" })},
			{"empty password", wrong(func(c sdk.Credentials) { c[s.PasswordField] = "" })},
			{"unknown user", wrong(func(c sdk.Credentials) {
				for k := range c {
					if k != s.PasswordField {
						c[k] = uniqueID("nobody-")
					}
				}
			})},
			{"no credentials", sdk.Credentials{}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				u, err := s.Store.Authenticate(ctx, tc.creds)
				if !errors.Is(err, sdk.ErrInvalidCredentials) {
					t.Fatalf("Authenticate = %+v, %v; want sdk.ErrInvalidCredentials", u, err)
				}
			})
		}
	})

	t.Run("LookupUser", func(t *testing.T) {
		s, _ := prepare(t)
		for _, u := range s.Users {
			got, err := s.Store.LookupUser(ctx, "id", u.ID)
			if err != nil {
				t.Fatalf("LookupUser(id, %q): %v", u.ID, err)
			}
			checkUser(t, "LookupUser(id)", got, u)
			got, err = s.Store.LookupUser(ctx, "username", u.Username)
			if err != nil {
				t.Fatalf("LookupUser(username, %q): %v", u.Username, err)
			}
			checkUser(t, "LookupUser(username)", got, u)
		}
		for _, tc := range []struct{ name, field, value string }{
			{"unknown id", "id", "987654321"},
			{"malformed id", "id", "not-a-key'; --"},
			{"empty id", "id", ""},
			{"unknown username", "username", uniqueID("nobody-")},
		} {
			t.Run(tc.name, func(t *testing.T) {
				u, err := s.Store.LookupUser(ctx, tc.field, tc.value)
				if !errors.Is(err, sdk.ErrUserNotFound) {
					t.Fatalf("LookupUser(%q, %q) = %+v, %v; want sdk.ErrUserNotFound", tc.field, tc.value, u, err)
				}
			})
		}
	})

	t.Run("RecordLogin", func(t *testing.T) {
		s, active := prepare(t)
		at := time.Now().Add(-90 * time.Minute).Truncate(time.Second)
		if err := s.Store.RecordLogin(ctx, active.ID, at); err != nil {
			t.Fatalf("RecordLogin: %v", err)
		}
		if s.LastLoginNotKept {
			return
		}
		got, err := s.Store.LookupUser(ctx, "id", active.ID)
		if err != nil {
			t.Fatalf("LookupUser after RecordLogin: %v", err)
		}
		if d := got.LastLogin.Sub(at); d < -time.Second || d > time.Second {
			t.Fatalf("LastLogin = %v, want %v", got.LastLogin, at)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		s, active := prepare(t)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.Store.Authenticate(ctx, active.Credentials); err != nil {
					errs <- err
				}
				if _, err := s.Store.LookupUser(ctx, "id", active.ID); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent call failed: %v", err)
		}
	})

	t.Run("UserAdmin", func(t *testing.T) {
		s, _ := prepare(t)
		admin, ok := sdk.As[sdk.UserAdmin](s.Store)
		if !ok {
			t.Skip("store has no sdk.UserAdmin")
		}
		name := uniqueID("carol-")
		created, err := admin.CreateUser(ctx, sdk.NewUser{Username: name, Password: "first-password-1", IsActive: true})
		if err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		if _, err := admin.CreateUser(ctx, sdk.NewUser{Username: name, Password: "x-password-2", IsActive: true}); !errors.Is(err, sdk.ErrUserExists) {
			t.Fatalf("CreateUser twice: %v, want sdk.ErrUserExists", err)
		}
		creds := func(pw string) sdk.Credentials {
			return sdk.Credentials{"username": name, s.PasswordField: pw}
		}
		if err := admin.SetPassword(ctx, name, "second-password-2"); err != nil {
			t.Fatalf("SetPassword: %v", err)
		}
		if _, err := s.Store.Authenticate(ctx, creds("first-password-1")); !errors.Is(err, sdk.ErrInvalidCredentials) {
			t.Fatalf("old password after SetPassword: %v, want sdk.ErrInvalidCredentials", err)
		}
		after, err := s.Store.Authenticate(ctx, creds("second-password-2"))
		if err != nil {
			t.Fatalf("new password after SetPassword: %v", err)
		}
		if created.PasswordHash != "" && after.PasswordHash == created.PasswordHash {
			t.Fatal("PasswordHash unchanged by SetPassword: tokens would not be revoked")
		}
		if err := admin.SetActive(ctx, name, false); err != nil {
			t.Fatalf("SetActive: %v", err)
		}
		u, err := s.Store.LookupUser(ctx, "username", name)
		if err != nil || u.IsActive {
			t.Fatalf("after SetActive(false): %+v, %v; want inactive", u, err)
		}
		missing := uniqueID("nobody-")
		if err := admin.SetPassword(ctx, missing, "whatever-123"); !errors.Is(err, sdk.ErrUserNotFound) {
			t.Fatalf("SetPassword(unknown) = %v, want sdk.ErrUserNotFound", err)
		}
		if err := admin.SetActive(ctx, missing, true); !errors.Is(err, sdk.ErrUserNotFound) {
			t.Fatalf("SetActive(unknown) = %v, want sdk.ErrUserNotFound", err)
		}
	})
}

// Admin returns the sdk.UserAdmin of s, found with sdk.As (so it works on
// the host's view of a plugin too), and fails the test when s has none.
func Admin(t testing.TB, s sdk.UserStore) sdk.UserAdmin {
	t.Helper()
	a, ok := sdk.As[sdk.UserAdmin](s)
	if !ok {
		t.Fatalf("%T has no sdk.UserAdmin", s)
	}
	return a
}
