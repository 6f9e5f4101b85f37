package syncproto

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Code is an error code that crosses the wire. Each maps to an HTTP status
// and to a sentinel error on the laptop, so that errors.Is works on both
// sides and the user is told what to do.
type Code string

const (
	CodeUnauthorized Code = "unauthorized"  // no or unknown token
	CodeRevoked      Code = "revoked"       // the device was revoked by an administrator
	CodeBadCode      Code = "bad_code"      // enrollment code unknown, used or expired
	CodeForbidden    Code = "forbidden"     // this device may not make this change
	CodeInvalid      Code = "invalid"       // a malformed operation or request
	CodeFrame        Code = "bad_frame"     // body cut off, damaged or too large
	CodeTooLarge     Code = "too_large"     // request over the limits
	CodeGap          Code = "gap"           // the push does not continue the device's sequence
	CodeRateLimited  Code = "rate_limited"  // too many requests; retry later
	CodeProtocol     Code = "protocol"      // protocol version not supported: update Kenesh
	CodeUnavailable  Code = "unavailable"   // the server is shutting down or overloaded
	CodeInternal     Code = "internal"      // a server fault
	CodeConflictSeq  Code = "seq_conflict"  // same (device, seq) with other content: the laptop was restored from an old backup
	CodeNotEnrolled  Code = "not_enrolled"  // the laptop has no server yet (client side)
	CodeUnreachable  Code = "unreachable"   // no network or server down (client side)
	CodeWrongCouncil Code = "wrong_council" // operation for another council than the device's
	// CodeClock: the push carries an operation whose hybrid clock is
	// impossible next to the server's: too far ahead of it (a laptop's
	// clock set to the wrong year, day or time zone), before Kenesh
	// existed (a dead CMOS battery), or before the record it changes was
	// created. The server keeps what came before that operation
	// (ErrorBody.Acked) and judges nothing after it: the laptop keeps
	// those changes and tells its user to set the date, time and time
	// zone. Operations only hours ahead are taken once the server's clock
	// has caught up, so retrying later can succeed (Temporary).
	CodeClock Code = "clock"
)

// Sentinel errors for the codes a laptop acts on.
var (
	ErrUnauthorized = errors.New("this laptop is not known to the server: enroll it again with a code the administrator makes for this laptop")
	ErrRevoked      = errors.New("this laptop was revoked by the administrator: it can no longer sync; ask the administrator")
	ErrBadCode      = errors.New("the enrollment code is unknown, used or expired: ask the administrator for a new one")
	ErrForbidden    = errors.New("not allowed for this laptop's council and role")
	ErrTooLarge     = errors.New("the request is too large")
	ErrGap          = errors.New("the server is missing earlier changes of this laptop")
	ErrRateLimited  = errors.New("the server asks to wait before syncing again")
	ErrProtocol     = errors.New("this version of Kenesh is too old or too new for the server: update Kenesh")
	ErrUnavailable  = errors.New("the server is busy or restarting; it will be tried again")
	ErrServer       = errors.New("the server had an internal error; it will be tried again")
	ErrSeqConflict  = errors.New("the server holds other changes under this laptop's numbers (was it restored from an old backup?)")
	ErrNotEnrolled  = errors.New("this laptop is not enrolled with a server yet (keneshctl enroll)")
	ErrUnreachable  = errors.New("the server cannot be reached (no network?); changes stay saved here and are sent later")
	ErrClock        = errors.New("this laptop's clock is wrong: set its date, time and time zone; changes stay saved here and are sent once the clock is right")
)

var codeErr = map[Code]error{
	CodeUnauthorized: ErrUnauthorized, CodeRevoked: ErrRevoked, CodeBadCode: ErrBadCode, CodeForbidden: ErrForbidden,
	CodeWrongCouncil: ErrForbidden, CodeTooLarge: ErrTooLarge, CodeFrame: ErrFrame, CodeGap: ErrGap,
	CodeRateLimited: ErrRateLimited, CodeProtocol: ErrProtocol, CodeUnavailable: ErrUnavailable,
	CodeInternal: ErrServer, CodeConflictSeq: ErrSeqConflict, CodeNotEnrolled: ErrNotEnrolled, CodeUnreachable: ErrUnreachable,
	CodeClock: ErrClock,
}

var codeStatus = map[Code]int{
	CodeUnauthorized: http.StatusUnauthorized, CodeRevoked: http.StatusForbidden, CodeBadCode: http.StatusForbidden,
	CodeForbidden: http.StatusForbidden, CodeWrongCouncil: http.StatusForbidden, CodeInvalid: http.StatusBadRequest,
	CodeFrame: http.StatusBadRequest, CodeTooLarge: http.StatusRequestEntityTooLarge, CodeGap: http.StatusConflict,
	CodeRateLimited: http.StatusTooManyRequests, CodeProtocol: http.StatusUpgradeRequired, CodeUnavailable: http.StatusServiceUnavailable,
	CodeInternal: http.StatusInternalServerError, CodeConflictSeq: http.StatusConflict, CodeClock: http.StatusConflict,
}

// Status is the HTTP status of an error code.
func (c Code) Status() int {
	if s, ok := codeStatus[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON body of every error response (plain JSON, no frame,
// so that a proxy's or a person's eye can read it).
type ErrorBody struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Acked   uint64 `json:"acked,omitempty"` // with CodeGap and CodeClock: what the server holds
}

// Error is an error answered by the server.
type Error struct {
	Code    Code
	Message string
	Acked   uint64
	// RetryAfter is how long the server asked to wait (its Retry-After
	// header), with CodeRateLimited; 0 when it did not say.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if base, ok := codeErr[e.Code]; ok && e.Message == "" {
		return base.Error()
	}
	return fmt.Sprintf("server: %s (%s)", e.Message, e.Code)
}

// Unwrap lets errors.Is(err, ErrRevoked) and the like work on the laptop.
func (e *Error) Unwrap() error { return codeErr[e.Code] }

// Temporary reports whether trying again later may succeed.
func (e *Error) Temporary() bool {
	switch e.Code {
	case CodeRateLimited, CodeUnavailable, CodeInternal, CodeUnreachable, CodeGap, CodeFrame, CodeClock:
		return true
	}
	return false
}
