package syncproto

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

// Code is an error code that crosses the wire. The vocabulary is closed:
// Codes lists every code, each has exactly one sentinel error (Code.Err)
// and one HTTP status, and CodeOf maps errors back to codes, so that
// errors.Is works on both sides and a laptop tells its user what to do
// in the user's language, never by matching English text. A code not in
// Codes comes from a newer server: Known is false, and the laptop reports
// the server's message as a fault it does not know.
//
// New codes are added at a capability version (see the package doc);
// a code is never renamed or given another meaning.
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
	// CodeNotFound (capability 6): the server holds no such record that
	// this laptop may read (the same answer for both, so that nothing is
	// learnt of another council's records).
	CodeNotFound Code = "not_found"
	// CodeQuota (capability 6): the council's room for files on the
	// server is used up; the chunk was not stored. Records still sync;
	// the administrator raises the quota (or the council removes files).
	CodeQuota Code = "quota"
)

// Codes is the closed list of codes, in the order they were added.
var Codes = []Code{
	CodeUnauthorized, CodeRevoked, CodeBadCode, CodeForbidden, CodeInvalid, CodeFrame, CodeTooLarge, CodeGap,
	CodeRateLimited, CodeProtocol, CodeUnavailable, CodeInternal, CodeConflictSeq, CodeNotEnrolled, CodeUnreachable,
	CodeWrongCouncil, CodeClock, CodeNotFound, CodeQuota,
}

// Sentinel errors, one for each code (Code.Err). Their messages say what
// the person at the laptop should do; a user interface translates them by
// code (errors.Is), never by their text.
var (
	ErrUnauthorized = errors.New("this laptop is not known to the server: enroll it again with a code the administrator makes for this laptop")
	ErrRevoked      = errors.New("this laptop was revoked by the administrator: it can no longer sync; ask the administrator")
	ErrBadCode      = errors.New("the enrollment code is unknown, used or expired: ask the administrator for a new one")
	ErrForbidden    = errors.New("not allowed for this laptop's council and role")
	// ErrWrongCouncil is a refusal for another council's record; it is
	// also ErrForbidden.
	ErrWrongCouncil = fmt.Errorf("the record belongs to another council: %w", ErrForbidden)
	ErrInvalid      = errors.New("the server found a change malformed")
	ErrTooLarge     = errors.New("the request is too large")
	ErrGap          = errors.New("the server is missing earlier changes of this laptop")
	ErrRateLimited  = errors.New("the server asks to wait before syncing again")
	ErrProtocol     = errors.New("this version of Kenesh is too old for the server: update Kenesh")
	ErrUnavailable  = errors.New("the server is busy or restarting; it will be tried again")
	ErrServer       = errors.New("the server had an internal error; it will be tried again")
	ErrSeqConflict  = errors.New("the server holds other changes under this laptop's numbers (was it restored from an old backup?)")
	ErrNotEnrolled  = errors.New("this laptop is not enrolled with a server yet (keneshctl enroll)")
	ErrUnreachable  = errors.New("the server cannot be reached (no network?); changes stay saved here and are sent later")
	ErrClock        = errors.New("this laptop's clock is wrong: set its date, time and time zone; changes stay saved here and are sent once the clock is right")
	ErrNoRecord     = errors.New("the server holds no such record that this laptop may read")
	ErrQuota        = errors.New("the council's room for files on the server is used up: ask the administrator to raise it; records still sync")
)

// codeInfo is what a code means: its sentinel and HTTP status.
type codeInfo struct {
	err    error
	status int
}

var codes = map[Code]codeInfo{
	CodeUnauthorized: {ErrUnauthorized, http.StatusUnauthorized},
	CodeRevoked:      {ErrRevoked, http.StatusForbidden},
	CodeBadCode:      {ErrBadCode, http.StatusForbidden},
	CodeForbidden:    {ErrForbidden, http.StatusForbidden},
	CodeInvalid:      {ErrInvalid, http.StatusBadRequest},
	CodeFrame:        {ErrFrame, http.StatusBadRequest},
	CodeTooLarge:     {ErrTooLarge, http.StatusRequestEntityTooLarge},
	CodeGap:          {ErrGap, http.StatusConflict},
	CodeRateLimited:  {ErrRateLimited, http.StatusTooManyRequests},
	CodeProtocol:     {ErrProtocol, http.StatusUpgradeRequired},
	CodeUnavailable:  {ErrUnavailable, http.StatusServiceUnavailable},
	CodeInternal:     {ErrServer, http.StatusInternalServerError},
	CodeConflictSeq:  {ErrSeqConflict, http.StatusConflict},
	CodeNotEnrolled:  {ErrNotEnrolled, http.StatusUnauthorized},
	CodeUnreachable:  {ErrUnreachable, http.StatusServiceUnavailable},
	CodeWrongCouncil: {ErrWrongCouncil, http.StatusForbidden},
	CodeClock:        {ErrClock, http.StatusConflict},
	CodeNotFound:     {ErrNoRecord, http.StatusNotFound},
	CodeQuota:        {ErrQuota, http.StatusInsufficientStorage},
}

// errToCode maps errors to codes for CodeOf, most specific first: an error
// that is two of these (ErrWrongCouncil is also ErrForbidden) takes the
// first. Errors of other packages that mean a code are listed after the
// sentinels.
var errToCode = []struct {
	err  error
	code Code
}{
	{ErrWrongCouncil, CodeWrongCouncil},
	{ErrUnauthorized, CodeUnauthorized}, {ErrRevoked, CodeRevoked}, {ErrBadCode, CodeBadCode},
	{ErrForbidden, CodeForbidden}, {ErrInvalid, CodeInvalid}, {ErrFrame, CodeFrame}, {ErrTooLarge, CodeTooLarge},
	{ErrGap, CodeGap}, {ErrRateLimited, CodeRateLimited}, {ErrProtocol, CodeProtocol}, {ErrUnavailable, CodeUnavailable},
	{ErrServer, CodeInternal}, {ErrSeqConflict, CodeConflictSeq}, {ErrNotEnrolled, CodeNotEnrolled},
	{ErrUnreachable, CodeUnreachable}, {ErrClock, CodeClock}, {ErrNoRecord, CodeNotFound}, {ErrQuota, CodeQuota},
	// A damaged chunk is a damaged body.
	{ErrChunk, CodeFrame},
	// A request over the protocol's counts, a record or operation that
	// breaks the domain's or the change set's rules.
	{ErrLimit, CodeTooLarge}, {domain.ErrInvalid, CodeInvalid}, {changeset.ErrInvalidOp, CodeInvalid},
}

// Known reports whether c is one of Codes (false: a newer server's code).
func (c Code) Known() bool {
	_, ok := codes[c]
	return ok
}

// Err is the sentinel error of c, nil for a code this version does not know.
func (c Code) Err() error { return codes[c].err }

// Status is the HTTP status of an error code (500 for one this version
// does not know).
func (c Code) Status() int {
	if i, ok := codes[c]; ok {
		return i.status
	}
	return http.StatusInternalServerError
}

// CodeOf is the code that err means: the code of a *Error in its chain,
// else the code of the first sentinel it is (errors.Is), else
// CodeInternal (a fault the other side cannot act on). CodeOf(nil) is "".
// CodeOf(c.Err()) == c for every code.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	for _, m := range errToCode {
		if errors.Is(err, m.err) {
			return m.code
		}
	}
	return CodeInternal
}

// FieldReason says which field of a record a refusal is about and why:
// the wire form of domain.FieldError. Code is one of domain's field error
// codes (domain.CodeRequired, ...), a stable key a laptop translates;
// Message is the server's English, for logs and scripts.
type FieldReason struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message,omitempty"`
}

// FieldReasons are the field-level reasons err carries: the fields of a
// *domain.ValidationError in its chain, else of a *Error; nil if none.
func FieldReasons(err error) []FieldReason {
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		out := make([]FieldReason, len(ve.Fields))
		for i, f := range ve.Fields {
			out[i] = FieldReason{Field: f.Field, Code: f.Code, Message: f.Message}
		}
		return out
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// Validation is the refusal's field-level reasons as the domain's error, so
// that a laptop shows them as it shows its own form's (field names and
// codes translated); nil without fields.
func Validation(kind string, fields []FieldReason) *domain.ValidationError {
	if len(fields) == 0 {
		return nil
	}
	return &domain.ValidationError{Kind: kind, Fields: FieldErrors(fields)}
}

// FieldErrors are field-level reasons as the domain's field errors (nil
// for none).
func FieldErrors(fields []FieldReason) []domain.FieldError {
	if len(fields) == 0 {
		return nil
	}
	out := make([]domain.FieldError, len(fields))
	for i, f := range fields {
		out[i] = domain.FieldError{Field: f.Field, Code: f.Code, Message: f.Message}
	}
	return out
}

// ErrorBody is the JSON body of every error response (plain JSON, no frame,
// so that a proxy's or a person's eye can read it).
type ErrorBody struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Acked   uint64 `json:"acked,omitempty"` // with CodeGap and CodeClock: what the server holds
	// Fields, when the refusal is about fields of a record, says which
	// and why (capability 5; older laptops ignore it).
	Fields []FieldReason `json:"fields,omitempty"`
	// MinProto and Proto, with CodeProtocol, are the oldest and newest
	// protocol versions the server speaks (capability 5).
	MinProto int `json:"min_proto,omitempty"`
	Proto    int `json:"proto,omitempty"`
}

// Error is an error answered by the server, or found by the client in
// its place (CodeUnreachable, CodeFrame for a damaged reply).
type Error struct {
	Code    Code
	Message string
	Acked   uint64
	// Fields are the field-level reasons of a refusal, if any.
	Fields []FieldReason
	// MinProto and Proto, with CodeProtocol: what the server speaks.
	MinProto, Proto int
	// RetryAfter is how long the server asked to wait (its Retry-After
	// header), with CodeRateLimited; 0 when it did not say.
	RetryAfter time.Duration
}

// ErrorFor is err as the wire carries it: its code (CodeOf), its message,
// and its field-level reasons. A *Error in err's chain is returned as it is.
func ErrorFor(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeOf(err), Message: err.Error(), Fields: FieldReasons(err)}
}

// Body is the error response of e.
func (e *Error) Body() ErrorBody {
	return ErrorBody{Code: e.Code, Message: e.Message, Acked: e.Acked, Fields: e.Fields, MinProto: e.MinProto, Proto: e.Proto}
}

// FromBody is the error an error response says.
func FromBody(b ErrorBody) *Error {
	return &Error{Code: b.Code, Message: b.Message, Acked: b.Acked, Fields: b.Fields, MinProto: b.MinProto, Proto: b.Proto}
}

func (e *Error) Error() string {
	if base := e.Code.Err(); base != nil && e.Message == "" {
		return base.Error()
	}
	return fmt.Sprintf("server: %s (%s)", e.Message, e.Code)
}

// Unwrap gives the sentinel of the code, so that errors.Is(err,
// ErrRevoked) and the like work on the laptop, and the field-level
// reasons as a *domain.ValidationError, so that errors.As finds them as
// it finds a form's.
func (e *Error) Unwrap() []error {
	var out []error
	if base := e.Code.Err(); base != nil {
		out = append(out, base)
	}
	if ve := Validation("", e.Fields); ve != nil {
		out = append(out, ve)
	}
	return out
}

// Temporary reports whether trying again later may succeed.
func (e *Error) Temporary() bool {
	switch e.Code {
	case CodeRateLimited, CodeUnavailable, CodeInternal, CodeUnreachable, CodeGap, CodeFrame, CodeClock:
		return true
	}
	return false
}
