package syncproto

import (
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"reflect"
	"slices"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

// Every code, both ways: its HTTP status, its one sentinel, whether a
// retry may help; the sentinel maps back to the code (CodeOf), and an
// answer with the code is the sentinel on the laptop (errors.Is), also
// after crossing the wire as an ErrorBody.
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
		{CodeInvalid, http.StatusBadRequest, ErrInvalid, false},
		{CodeFrame, http.StatusBadRequest, ErrFrame, true},
		{CodeTooLarge, http.StatusRequestEntityTooLarge, ErrTooLarge, false},
		{CodeGap, http.StatusConflict, ErrGap, true},
		{CodeRateLimited, http.StatusTooManyRequests, ErrRateLimited, true},
		{CodeProtocol, http.StatusUpgradeRequired, ErrProtocol, false},
		{CodeUnavailable, http.StatusServiceUnavailable, ErrUnavailable, true},
		{CodeInternal, http.StatusInternalServerError, ErrServer, true},
		{CodeConflictSeq, http.StatusConflict, ErrSeqConflict, false},
		{CodeNotEnrolled, http.StatusUnauthorized, ErrNotEnrolled, false},
		{CodeUnreachable, http.StatusServiceUnavailable, ErrUnreachable, true},
		{CodeWrongCouncil, http.StatusForbidden, ErrWrongCouncil, false},
		{CodeClock, http.StatusConflict, ErrClock, true},
		{CodeNotFound, http.StatusNotFound, ErrNoRecord, false},
		{CodeQuota, http.StatusInsufficientStorage, ErrQuota, false},
	}
	var tested []Code
	for _, c := range cases {
		tested = append(tested, c.code)
		if !c.code.Known() {
			t.Errorf("%s: not Known", c.code)
		}
		if got := c.code.Status(); got != c.status {
			t.Errorf("%s: status %d, want %d", c.code, got, c.status)
		}
		if got := c.code.Err(); got != c.sentinel {
			t.Errorf("%s: Err() = %v, want %v", c.code, got, c.sentinel)
		}
		// Error to code.
		if got := CodeOf(c.sentinel); got != c.code {
			t.Errorf("CodeOf(%v) = %s, want %s", c.sentinel, got, c.code)
		}
		if got := CodeOf(fmt.Errorf("sync: %w", c.sentinel)); got != c.code {
			t.Errorf("CodeOf(wrapped %v) = %s, want %s", c.sentinel, got, c.code)
		}
		// Code to error, as the server's answer reaches the laptop.
		answered := &Error{Code: c.code, Message: "m"}
		if !errors.Is(answered, c.sentinel) {
			t.Errorf("%s: errors.Is(%v) is false", c.code, c.sentinel)
		}
		if got := CodeOf(fmt.Errorf("sync: %w", answered)); got != c.code {
			t.Errorf("%s: CodeOf of the answer = %s", c.code, got)
		}
		if got := answered.Temporary(); got != c.temporary {
			t.Errorf("%s: Temporary %v, want %v", c.code, got, c.temporary)
		}
		if (&Error{Code: c.code}).Error() != c.sentinel.Error() {
			t.Errorf("%s: without a message the error reads %q, not the sentinel's", c.code, (&Error{Code: c.code}).Error())
		}
		// Across the wire.
		b, err := json.Marshal(ErrorFor(c.sentinel).Body())
		if err != nil {
			t.Fatal(err)
		}
		var body ErrorBody
		if err := json.Unmarshal(b, &body); err != nil {
			t.Fatal(err)
		}
		if back := FromBody(body); back.Code != c.code || !errors.Is(back, c.sentinel) {
			t.Errorf("%s: across the wire %s became %+v", c.code, b, back)
		}
	}
	if !slices.Equal(tested, Codes) {
		t.Errorf("Codes is %v, the table tests %v", Codes, tested)
	}
	// No two codes share a sentinel: each error maps back to one code.
	seen := map[error]Code{}
	for _, c := range Codes {
		if other, ok := seen[c.Err()]; ok {
			t.Errorf("%s and %s share a sentinel", c, other)
		}
		seen[c.Err()] = c
	}
	// A wrong council is also forbidden (a laptop that knows only that
	// still says it), yet maps back to its own code.
	if !errors.Is(&Error{Code: CodeWrongCouncil}, ErrForbidden) {
		t.Error("wrong_council is not ErrForbidden")
	}
}

// The vocabulary is closed: every constant of type Code in this package
// is in Codes (a code added without its sentinel and status fails here).
func TestCodesListsEveryConstant(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var consts []string
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); ok && id.Name == "Code" {
				for _, n := range vs.Names {
					consts = append(consts, n.Name)
				}
			}
		}
	}
	if len(consts) != len(Codes) {
		t.Errorf("errors.go declares %d codes (%v), Codes lists %d", len(consts), consts, len(Codes))
	}
}

// Errors of other packages that mean a code map to it; anything else is
// the server's fault.
func TestCodeOf(t *testing.T) {
	ve := &domain.ValidationError{Kind: "council", Fields: []domain.FieldError{{Field: "oblast", Code: domain.CodeUnknown, Message: "unknown oblast"}}}
	for _, c := range []struct {
		err  error
		want Code
	}{
		{nil, ""},
		{errors.New("disk on fire"), CodeInternal},
		{ve, CodeInvalid},
		{fmt.Errorf("operation d/1: %w", changeset.ErrInvalidOp), CodeInvalid},
		{fmt.Errorf("ops: %w", ErrLimit), CodeTooLarge},
		{fmt.Errorf("x: %w", &Error{Code: CodeGap, Acked: 3}), CodeGap},
	} {
		if got := CodeOf(c.err); got != c.want {
			t.Errorf("CodeOf(%v) = %q, want %q", c.err, got, c.want)
		}
	}
	// A domain error's fields travel with it.
	e := ErrorFor(fmt.Errorf("council NRN-ATB: %w", ve))
	if e.Code != CodeInvalid || !reflect.DeepEqual(e.Fields, []FieldReason{{Field: "oblast", Code: domain.CodeUnknown, Message: "unknown oblast"}}) {
		t.Errorf("ErrorFor: %+v", e)
	}
}

// A code from a newer server is not known: no sentinel, status 500, and
// the laptop reports the server's message.
func TestUnknownCode(t *testing.T) {
	c := Code("quota_exceeded")
	if c.Known() || c.Err() != nil || c.Status() != http.StatusInternalServerError {
		t.Errorf("%s: known %v, err %v, status %d", c, c.Known(), c.Err(), c.Status())
	}
	e := &Error{Code: c, Message: "the council's quota is used up"}
	if e.Error() != "server: the council's quota is used up (quota_exceeded)" || len(e.Unwrap()) != 0 || e.Temporary() {
		t.Errorf("%q %v %v", e.Error(), e.Unwrap(), e.Temporary())
	}
	if CodeOf(e) != c {
		t.Errorf("CodeOf: %s", CodeOf(e))
	}
}

// A refusal's field-level reasons reach the laptop as the domain's
// validation error, which it translates as it does its own forms'.
func TestFieldReasons(t *testing.T) {
	e := &Error{Code: CodeForbidden, Message: "published is written by central staff",
		Fields: []FieldReason{{Field: "published", Code: domain.CodeForbidden, Message: "central staff only"}}}
	var ve *domain.ValidationError
	if !errors.As(e, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != "published" || ve.Fields[0].Code != domain.CodeForbidden {
		t.Fatalf("errors.As: %+v", ve)
	}
	if !errors.Is(e, ErrForbidden) || CodeOf(e) != CodeForbidden {
		t.Error("the code is lost")
	}
	if got := FieldReasons(e); !reflect.DeepEqual(got, e.Fields) {
		t.Errorf("FieldReasons: %+v", got)
	}
	if (&Error{Code: CodeForbidden}).Unwrap()[0] != ErrForbidden || len((&Error{Code: CodeForbidden}).Unwrap()) != 1 {
		t.Error("without fields, only the sentinel")
	}
	if FieldReasons(errors.New("x")) != nil || Validation("appeal", nil) != nil {
		t.Error("fields out of nothing")
	}
}
