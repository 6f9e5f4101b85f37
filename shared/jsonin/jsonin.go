package jsonin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxInput bounds what one decode reads: one record is never this large.
const MaxInput = 4 << 20

// Error is a JSON input error with its position.
type Error struct {
	What   string // what was being read, e.g. "appeal"
	Line   int    // 1-based; 0 if unknown
	Column int
	Field  string // dotted path, if known
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.What)
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d, column %d", e.Line, e.Column)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ", field %q", e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Decode reads exactly one JSON object from data into v. Unknown fields,
// trailing data and wrong types are errors naming where they are.
func Decode(what string, data []byte, v any) error {
	if len(data) > MaxInput {
		return &Error{What: what, Msg: fmt.Sprintf("input is %d bytes, at most %d", len(data), MaxInput)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return &Error{What: what, Msg: "no input: expected one JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	pos := func(off int64) (int, int) { return position(data, off) }
	if err := dec.Decode(v); err != nil {
		return wrap(what, data, dec.InputOffset(), err, pos)
	}
	if dec.More() {
		l, c := pos(dec.InputOffset())
		return &Error{What: what, Line: l, Column: c, Msg: "unexpected data after the JSON object (give one object)"}
	}
	if _, err := dec.Token(); err != io.EOF {
		l, c := pos(dec.InputOffset())
		return &Error{What: what, Line: l, Column: c, Msg: "unexpected data after the JSON object (give one object)"}
	}
	return nil
}

// Read reads all of r (bounded) and decodes it.
func Read(what string, r io.Reader, v any) error {
	data, err := io.ReadAll(io.LimitReader(r, MaxInput+1))
	if err != nil {
		return fmt.Errorf("%s: read input: %w", what, err)
	}
	return Decode(what, data, v)
}

func wrap(what string, data []byte, at int64, err error, pos func(int64) (int, int)) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		l, c := pos(syn.Offset)
		return &Error{What: what, Line: l, Column: c, Msg: "not valid JSON: " + syn.Error()}
	case errors.As(err, &typ):
		l, c := pos(typ.Offset)
		return &Error{What: what, Line: l, Column: c, Field: typ.Field, Msg: fmt.Sprintf("expected %s, got JSON %s", typ.Type, typ.Value)}
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		l, c := pos(int64(len(data)))
		return &Error{What: what, Line: l, Column: c, Msg: "the JSON ends too early (a missing } or \"?)"}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name := strings.Trim(f, `"`)
		l, c := pos(fieldOffset(data, name, at))
		return &Error{What: what, Line: l, Column: c, Field: name, Msg: "unknown field (check its spelling)"}
	}
	l, c := pos(at)
	// Errors from a type's own UnmarshalJSON (a date, say) carry no field
	// name; the position still points at it.
	return &Error{What: what, Line: l, Column: c, Msg: strings.TrimPrefix(msg, "json: ")}
}

// fieldOffset finds the last occurrence of "name": before the decoder's
// position: the field the decoder just refused.
func fieldOffset(data []byte, name string, at int64) int64 {
	if at > int64(len(data)) {
		at = int64(len(data))
	}
	needle := []byte(`"` + name + `"`)
	if i := bytes.LastIndex(data[:at], needle); i >= 0 {
		return int64(i)
	}
	return at
}

// position turns a byte offset into a 1-based line and column (in characters).
func position(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	prefix := data[:off]
	line = bytes.Count(prefix, []byte("\n")) + 1
	start := bytes.LastIndexByte(prefix, '\n') + 1
	col = len([]rune(string(prefix[start:]))) + 1
	return line, col
}
