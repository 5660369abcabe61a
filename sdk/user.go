package sdk

import (
	"context"
	"time"
)

// User is what a user store knows of one user: Django's user model, reduced
// to what token issuance and authentication need.
type User struct {
	// ID is the store's primary key in canonical string form ("42" for an
	// integer key). It is the value of USER_ID_FIELD "id".
	ID string
	// Username is the login name.
	Username string
	// IsActive mirrors Django's is_active: an inactive user never gets or
	// keeps tokens under the default authentication rule.
	IsActive bool
	// PasswordHash is the stored password hash string exactly as kept (for
	// example "pbkdf2_sha256$260000$..."). The core uses it only to derive the
	// revoke claim (uppercase hex MD5, as Simple JWT's CHECK_REVOKE_TOKEN) and
	// never logs or returns it. Only the user store's answers carry it: the
	// users handed to an AuthRule or a ClaimSerializer have it empty. A store may leave it empty, which makes every
	// token carrying a revoke claim for this user fail the check.
	PasswordHash string
	// LastLogin is the last recorded login; zero when never recorded.
	LastLogin time.Time
	// Attributes holds any further fields of the user (email, groups, ...).
	// A USER_ID_FIELD other than "id" or "username" is looked up here.
	//
	// Values must be JSON-compatible. Like database/sql/driver.Value, they
	// reach the host normalised to a few types, the same whether the
	// plugin runs in process or out of process, because both cross the
	// same adapters:
	//
	//   - nil, bool and string stay as they are;
	//   - every number is int64 when it is a whole number that fits (so
	//     int, uint8, int32 and also 4.0 become int64), else float64
	//     (float32 1.5 becomes float64 1.5);
	//   - lists ([]string, []int, ...) become []any, maps with string keys
	//     become map[string]any, both with their elements normalised;
	//   - anything else becomes what encoding/json makes of it (a
	//     time.Time is its RFC 3339 string, a struct its JSON object).
	//
	// A value encoding/json cannot encode (a channel, a func, NaN) makes the
	// call fail.
	Attributes map[string]any
}

// Credentials are the login fields of an obtain request, by field name
// (for example "username" and "password").
type Credentials map[string]string

// UserStore is Django's user model plus authenticate(): it checks
// credentials and finds users. Implementations must be safe for concurrent
// use.
type UserStore interface {
	// LoginFields names the request fields an obtain request must carry, in
	// order, for example ["username", "password"] or ["email", "password"].
	// The host asks once at start.
	LoginFields(ctx context.Context) ([]string, error)

	// Authenticate checks credentials and returns the matching user, active
	// or not (the authentication rule decides). It returns ErrInvalidCredentials
	// when no user matches or the password is wrong, and should spend the same
	// time in both cases so that timing does not reveal which usernames exist.
	Authenticate(ctx context.Context, creds Credentials) (User, error)

	// LookupUser returns the user whose field equals value, where field is the
	// USER_ID_FIELD setting ("id", "username" or an attribute name). It returns
	// ErrUserNotFound when there is none, including when value cannot be a
	// valid key (a non-numeric string against an integer id).
	LookupUser(ctx context.Context, field, value string) (User, error)

	// RecordLogin stores at as the user's last login (UPDATE_LAST_LOGIN).
	RecordLogin(ctx context.Context, userID string, at time.Time) error
}

// NewUser describes a user to create through UserAdmin.
type NewUser struct {
	Username   string
	Password   string
	IsActive   bool
	Attributes map[string]any
}

// UserAdmin is an optional interface of a UserStore that can manage users;
// the CLI's `jwtd user` commands need it and say so when a store lacks it.
type UserAdmin interface {
	// CreateUser adds a user, hashing the password with the store's default
	// hasher. It returns ErrUserExists when the username is taken.
	CreateUser(ctx context.Context, u NewUser) (User, error)
	// SetPassword replaces a user's password; the changed hash revokes tokens
	// under CHECK_REVOKE_TOKEN. ErrUserNotFound when there is no such user.
	SetPassword(ctx context.Context, username, password string) error
	// SetActive activates or deactivates a user. ErrUserNotFound when there is
	// no such user.
	SetActive(ctx context.Context, username string, active bool) error
}
