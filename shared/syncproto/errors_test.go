package syncproto

import (
	"errors"
	"net/http"
	"testing"
)

// Every code a server answers has an HTTP status, and the ones a laptop
// acts on unwrap to their sentinel, so errors.Is works on the laptop.
func TestCodes(t *testing.T) {
	cases := []struct {
		code      Code
		status    int
		sentinel  error
		temporary bool
	}{
		{CodeUnauthorized, http.StatusUnauthorized, ErrUnauthorized, false},
		{CodeRevoked, http.StatusForbidden, ErrRevoked, false},
		{CodeBadCode, http.StatusForbidden, ErrBadCode, false},
		{CodeForbidden, http.StatusForbidden, ErrForbidden, false},
		{CodeWrongCouncil, http.StatusForbidden, ErrForbidden, false},
		{CodeInvalid, http.StatusBadRequest, nil, false},
		{CodeFrame, http.StatusBadRequest, ErrFrame, true},
		{CodeTooLarge, http.StatusRequestEntityTooLarge, ErrTooLarge, false},
		{CodeGap, http.StatusConflict, ErrGap, true},
		{CodeRateLimited, http.StatusTooManyRequests, ErrRateLimited, true},
		{CodeProtocol, http.StatusUpgradeRequired, ErrProtocol, false},
		{CodeUnavailable, http.StatusServiceUnavailable, ErrUnavailable, true},
		{CodeInternal, http.StatusInternalServerError, ErrServer, true},
		{CodeConflictSeq, http.StatusConflict, ErrSeqConflict, false},
		{CodeClock, http.StatusConflict, ErrClock, true},
	}
	for _, c := range cases {
		if got := c.code.Status(); got != c.status {
			t.Errorf("%s: status %d, want %d", c.code, got, c.status)
		}
		err := error(&Error{Code: c.code, Message: "m"})
		if c.sentinel != nil && !errors.Is(err, c.sentinel) {
			t.Errorf("%s: errors.Is(%v) is false", c.code, c.sentinel)
		}
		if got := (&Error{Code: c.code}).Temporary(); got != c.temporary {
			t.Errorf("%s: Temporary %v, want %v", c.code, got, c.temporary)
		}
		if c.sentinel != nil && (&Error{Code: c.code}).Error() != c.sentinel.Error() {
			t.Errorf("%s: without a message the error reads %q, not the sentinel's", c.code, (&Error{Code: c.code}).Error())
		}
	}
}
