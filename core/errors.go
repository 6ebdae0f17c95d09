package core

import (
	"errors"
	"fmt"
)

// Error codes classify failures for callers that branch on them and for the
// UI, which picks an icon and wording by code.
const (
	EINVALID     = "invalid"     // bad input; nothing was sent or changed
	ENOTFOUND    = "not_found"   // the thing asked for does not exist
	EUNAVAILABLE = "unavailable" // the server or socket cannot be reached
	EPERMISSION  = "permission"  // we lack the rights (root-only socket, file modes)
	EUNSUPPORTED = "unsupported" // the server's fail2ban is too old for this call
	ESERVER      = "server"      // fail2ban answered with an error of its own
	EPROTOCOL    = "protocol"    // the answer did not follow fail2ban's protocol
	ECONFLICT    = "conflict"    // the state on disk does not allow it (newer schema…)
	ECANCELED    = "canceled"    // the user (or a shutdown) cancelled the work
	EINTERNAL    = "internal"    // a bug or an unexpected condition
)

// Error is a failure with a user-safe message. Message names the problem and,
// where there is one, what to do about it; Err keeps the technical cause for
// logs and errors.Is/As.
type Error struct {
	Code    string
	Message string
	Err     error
}

// Errorf returns an *Error with a formatted message and no cause.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with the given code and message around err.
func Wrap(err error, code, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// ErrorCode returns the code of the outermost *Error in err's chain, or
// EINTERNAL when there is none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of the outermost *Error in
// err's chain. Other errors get a generic sentence plus their text, since
// they come from our own code and name the operation that failed.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	if err == nil {
		return ""
	}
	return "Unexpected error: " + err.Error()
}

// ErrNotFound is returned by stores when a row does not exist.
var ErrNotFound = &Error{Code: ENOTFOUND, Message: "not found"}
