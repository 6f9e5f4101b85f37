package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; wrap them with %w and test with errors.Is. They will map
// to wire error codes in the sync protocol.
var (
	ErrNotFound          = errors.New("not found")
	ErrInvalid           = errors.New("invalid record")
	ErrIllegalTransition = errors.New("illegal status change")
)

// FieldError says which field is wrong and why. Code is a stable key that a
// user interface translates; Message is English for logs and scripts.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Codes of field errors.
const (
	CodeRequired  = "required"
	CodeUnknown   = "unknown_code"
	CodeTooLong   = "too_long"
	CodeRange     = "out_of_range"
	CodeFormat    = "bad_format"
	CodeMismatch  = "mismatch"
	CodeForbidden = "not_allowed"
)

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// ValidationError lists every field at fault, so a form can mark them all at once.
type ValidationError struct {
	Kind   string       `json:"kind"`
	Fields []FieldError `json:"fields"`
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Error()
	}
	return fmt.Sprintf("%s is not valid: %s", e.Kind, strings.Join(parts, "; "))
}

func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// checker accumulates field errors.
type checker struct {
	kind string
	errs []FieldError
}

func (c *checker) add(field, code, format string, a ...any) {
	c.errs = append(c.errs, FieldError{Field: field, Code: code, Message: fmt.Sprintf(format, a...)})
}

func (c *checker) err() error {
	if len(c.errs) == 0 {
		return nil
	}
	return &ValidationError{Kind: c.kind, Fields: c.errs}
}
