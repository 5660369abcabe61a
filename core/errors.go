package core

import (
	"errors"
	"fmt"
)

// Kind is the category of a core Error: what the HTTP layer turns into a
// status. The mapping lives in one place in host; core knows no statuses.
type Kind int

// The kinds of Error.
const (
	// KindTokenNotValid is Simple JWT's InvalidToken: 401 with code
	// "token_not_valid".
	KindTokenNotValid Kind = iota + 1
	// KindAuthenticationFailed is DRF's AuthenticationFailed: 401, with a
	// code in the body only when Code is set.
	KindAuthenticationFailed
	// KindNotAuthenticated is DRF's NotAuthenticated: 401, no credentials.
	KindNotAuthenticated
	// KindInvalidInput is DRF's ValidationError: 400 with Fields.
	KindInvalidInput
	// KindUnavailable is a plugin or store that cannot answer: 503. Never a
	// success.
	KindUnavailable
	// KindNotFound is DRF's NotFound: 404 (a session that is not the
	// caller's, or sessions being off).
	KindNotFound
)

// TokenMessage is one entry of the "messages" list Simple JWT returns when
// a token is valid for none of AUTH_TOKEN_CLASSES.
type TokenMessage struct {
	TokenClass string `json:"token_class"`
	TokenType  string `json:"token_type"`
	Message    string `json:"message"`
}

// Error is a failure with Simple JWT's wire meaning: the detail and code a
// client sees. Compare with errors.Is against the sentinels below: an Error
// matches a sentinel of the same Kind whose Detail is empty (a category) or
// equal to its own.
type Error struct {
	Kind     Kind
	Detail   string
	Code     string
	Messages []TokenMessage
	// Fields holds per-field messages for KindInvalidInput, keyed by field
	// name ("non_field_errors" for the whole request).
	Fields map[string][]string
	// Err is the underlying cause, for logs only; never sent to a client.
	Err error
}

// Error returns the detail (or the field messages), followed by the cause
// when there is one; clients get Detail, logs get this.
func (e *Error) Error() string {
	msg := e.Detail
	if msg == "" && len(e.Fields) > 0 {
		msg = fmt.Sprint(e.Fields)
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches sentinels by kind and detail, so that a fresh Error carrying
// messages or a cause still matches the sentinel it was made from.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Kind == e.Kind && (t.Detail == "" || t.Detail == e.Detail)
}

// With returns a copy of e carrying cause, for logs.
func (e *Error) With(cause error) *Error {
	c := *e
	c.Err = cause
	return &c
}

func tokenErr(detail string) *Error {
	return &Error{Kind: KindTokenNotValid, Detail: detail, Code: "token_not_valid"}
}

// Categories: match any Error of the kind.
var (
	ErrTokenNotValid        = &Error{Kind: KindTokenNotValid}
	ErrAuthenticationFailed = &Error{Kind: KindAuthenticationFailed}
	ErrInvalidInput         = &Error{Kind: KindInvalidInput}
	ErrUnavailable          = &Error{Kind: KindUnavailable, Detail: "Service temporarily unavailable, try again later.", Code: "plugin_unavailable"}
)

// Token errors, with Simple JWT 5.5's detail strings.
var (
	ErrTokenInvalid     = tokenErr("Token is invalid")
	ErrTokenExpired     = tokenErr("Token is expired")
	ErrTokenWrongType   = tokenErr("Token has wrong type")
	ErrTokenNoID        = tokenErr("Token has no id")
	ErrTokenNoType      = tokenErr("Token has no type")
	ErrTokenNoExp       = tokenErr("Token has no 'exp' claim")
	ErrTokenBlacklisted = tokenErr("Token is blacklisted")
	// ErrNoValidTokenType is returned by Authenticate with one TokenMessage
	// per accepted token class, in AUTH_TOKEN_CLASSES order.
	ErrNoValidTokenType = tokenErr("Given token not valid for any token type")
	// ErrNoUserClaim: an authenticated token without the user id claim, or
	// with one that is neither a JSON string nor an integer fitting int64.
	ErrNoUserClaim = tokenErr("Token contained no recognizable user identification")
)

// ErrRefreshExpired is the sliding refresh window having passed. Its detail
// names the claim, so it is made by RefreshExpiredError; this sentinel
// matches any of them by kind only through errors.Is(err, ErrTokenNotValid).
func RefreshExpiredError(claim string) *Error {
	return tokenErr(fmt.Sprintf("Token '%s' claim has expired", claim))
}

// Authentication failures.
var (
	// ErrNoActiveAccount: obtain with bad credentials, an unknown or inactive
	// user, or one the rule refuses. No code in the body, as Simple JWT.
	ErrNoActiveAccount = &Error{Kind: KindAuthenticationFailed, Detail: "No active account found with the given credentials"}
	// ErrNoActiveAccountForToken: refresh for a deleted, inactive or refused user.
	ErrNoActiveAccountForToken = &Error{Kind: KindAuthenticationFailed, Detail: "No active account found for the given token."}
	// ErrPasswordChangedOnRefresh: refresh under CHECK_REVOKE_TOKEN after the
	// password changed; the refresh token is blacklisted too.
	ErrPasswordChangedOnRefresh = &Error{Kind: KindAuthenticationFailed, Detail: "The user's password has been changed."}
	// ErrPasswordChanged: authenticate under CHECK_REVOKE_TOKEN after the
	// password changed.
	ErrPasswordChanged  = &Error{Kind: KindAuthenticationFailed, Detail: "The user's password has been changed.", Code: "password_changed"}
	ErrUserNotFound     = &Error{Kind: KindAuthenticationFailed, Detail: "User not found", Code: "user_not_found"}
	ErrUserInactive     = &Error{Kind: KindAuthenticationFailed, Detail: "User is inactive", Code: "user_inactive"}
	ErrBadAuthHeader    = &Error{Kind: KindAuthenticationFailed, Detail: "Authorization header must contain two space-delimited values", Code: "bad_authorization_header"}
	ErrNotAuthenticated = &Error{Kind: KindNotAuthenticated, Detail: "Authentication credentials were not provided."}
)

// ErrBlacklistedOnVerify is verify of a blacklisted token: a validation
// error, as Simple JWT's TokenVerifySerializer raises it.
var ErrBlacklistedOnVerify = &Error{Kind: KindInvalidInput, Detail: "Token is blacklisted", Fields: map[string][]string{"non_field_errors": {"Token is blacklisted"}}}

// Field messages, as DRF words them.
const (
	MsgRequired  = "This field is required."
	MsgBlank     = "This field may not be blank."
	MsgNotString = "Not a valid string."
)

// InvalidInput returns a KindInvalidInput error with the given per-field
// messages.
func InvalidInput(fields map[string][]string) *Error {
	return &Error{Kind: KindInvalidInput, Fields: fields}
}

// IsUnavailable reports whether err means a plugin or store could not
// answer, so the request must fail closed.
func IsUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }
