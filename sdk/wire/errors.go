package wire

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/jwtd/jwtd/sdk"
)

// sentinelCodes maps each sdk sentinel to the gRPC code that carries it.
// Each code is used for one sentinel only, so the host can map it back.
var sentinelCodes = []struct {
	err  error
	code codes.Code
}{
	{sdk.ErrInvalidCredentials, codes.Unauthenticated},
	{sdk.ErrUserNotFound, codes.NotFound},
	{sdk.ErrUserExists, codes.AlreadyExists},
	{sdk.ErrInvalidConfig, codes.InvalidArgument},
	{sdk.ErrUnavailable, codes.Unavailable},
	{errors.ErrUnsupported, codes.Unimplemented},
}

// ToStatus is the plugin side: an implementation's error becomes a gRPC
// status whose code names the sentinel it wraps. The message is kept so the
// host's logs show the plugin's own words. A plugin written in another
// language follows the same table (see the .proto files).
func ToStatus(err error) error {
	if err == nil {
		return nil
	}
	for _, s := range sentinelCodes {
		if errors.Is(err, s.err) {
			return status.Error(s.code, err.Error())
		}
	}
	// The context's own codes, which the host maps to sdk.ErrUnavailable
	// still matching the context error (in process as out of process).
	if errors.Is(err, context.DeadlineExceeded) {
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	if errors.Is(err, context.Canceled) {
		return status.Error(codes.Canceled, err.Error())
	}
	return status.Error(codes.Unknown, err.Error())
}

// RemoteError is an error returned by a plugin or by the transport to it,
// as seen on the host side. It matches its sentinel with errors.Is (and
// context errors for deadlines), and its message is the plugin's.
type RemoteError struct {
	// Kind is the plugin kind the call went to, e.g. "user_store".
	Kind string
	// Sentinel is the sdk error this one matches, or nil for a plugin error
	// of no particular meaning (the request then fails closed).
	Sentinel error
	// Cause is a further error that errors.Is matches, such as
	// context.DeadlineExceeded; nil when there is none.
	Cause error
	// Msg is the plugin's or the transport's message.
	Msg string
}

// Error implements error.
func (e *RemoteError) Error() string {
	return fmt.Sprintf("%s plugin: %s", e.Kind, e.Msg)
}

// Unwrap lets errors.Is see the sentinel and the cause.
func (e *RemoteError) Unwrap() []error {
	var errs []error
	if e.Sentinel != nil {
		errs = append(errs, e.Sentinel)
	}
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	return errs
}

// FromStatus is the host side of ToStatus. Anything that is not a status
// from the plugin itself, or that says the transport failed (deadline,
// cancellation, connection refused or reset), is sdk.ErrUnavailable, so a
// request that needed the plugin fails closed with 503, never hangs and
// never succeeds. An error that already matches an sdk sentinel (one the
// host side made itself, such as "the process is down") is kept as it is.
func FromStatus(kind string, err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		for _, s := range sentinelCodes {
			if errors.Is(err, s.err) {
				return err
			}
		}
		return &RemoteError{Kind: kind, Sentinel: sdk.ErrUnavailable, Cause: err, Msg: err.Error()}
	}
	re := &RemoteError{Kind: kind, Msg: st.Message()}
	switch st.Code() {
	case codes.DeadlineExceeded:
		re.Sentinel, re.Cause = sdk.ErrUnavailable, context.DeadlineExceeded
	case codes.Canceled:
		re.Sentinel, re.Cause = sdk.ErrUnavailable, context.Canceled
	case codes.Unknown:
		// A plugin's own error with no sentinel: fail closed as is.
	default:
		// The codes the plugin side gives sentinels map back to them, from
		// the one table both sides use.
		for _, s := range sentinelCodes {
			if s.code == st.Code() {
				re.Sentinel = s.err
				return re
			}
		}
		// Unavailable, Internal (a broken stream), FailedPrecondition (not
		// configured yet), ResourceExhausted and the rest: the plugin
		// cannot answer now.
		re.Sentinel = sdk.ErrUnavailable
	}
	return re
}
