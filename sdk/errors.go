package sdk

import "errors"

// Sentinel errors with a meaning the core relies on. Plugins return them
// (wrapped or not) and the transport carries them across the process
// boundary so that errors.Is still matches on the host side. Any other error
// from a plugin is taken as the plugin failing, and the request that needed
// it fails closed.
var (
	// ErrInvalidCredentials: no active or inactive user matches the
	// credentials, or the password is wrong. The two cases are not told apart.
	ErrInvalidCredentials = errors.New("jwtd: invalid credentials")
	// ErrUserNotFound: no user has the requested id.
	ErrUserNotFound = errors.New("jwtd: user not found")
	// ErrUserExists: UserAdmin.CreateUser with a username that is taken.
	ErrUserExists = errors.New("jwtd: user already exists")
	// ErrUnavailable: the plugin or its backing store cannot answer now
	// (process down, database unreachable, deadline passed). Requests that
	// need it fail closed with 503 and succeed again once it is back.
	ErrUnavailable = errors.New("jwtd: plugin unavailable")
	// ErrInvalidConfig: Configure was handed a config the plugin refuses.
	ErrInvalidConfig = errors.New("jwtd: invalid plugin config")
)
