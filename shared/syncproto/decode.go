package syncproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kenesh/kenesh/shared/changeset"
)

// MaxPushFields bounds the fields of all the operations of one push. A
// laptop's change set is at most 2 MiB (plus one operation), and a field
// takes at least 12 bytes on the wire (`"a":{"v":0},`), so no laptop sends
// more than about 176,000; decoded, a field costs about 100 bytes, so this
// bounds what a push of empty fields ([{"f":{"a":{},"b":{},...}},...])
// makes the server allocate to about 26 MB.
const MaxPushFields = 1 << 18

// ErrLimit marks a request over one of the protocol's counts (operations,
// fields): decoding stopped there, without reading the rest.
var ErrLimit = errors.New("over the protocol's limits")

// DecodeSyncRequest decodes a sync request as a stream, so that what it
// allocates is bounded by what it has checked: it stops at the first
// operation over MaxPushOps, the first operation with more than
// changeset.MaxFieldsPerOp fields, and the first field over MaxPushFields
// (errors wrapping ErrLimit), before decoding the rest. json.Unmarshal of
// the whole request first made a 16 MiB payload of empty operations
// ([{},{},...]) cost the server 1.85 GiB. It reads raw in place: each
// value is found by a scan that allocates nothing and decoded by
// encoding/json from its own bytes, so nothing is copied to be parsed.
// Keys are matched exactly (no case folding); unknown keys are skipped,
// as a newer laptop may send some; a key given twice is refused. Other
// errors wrap ErrFrame.
func DecodeSyncRequest(raw []byte) (*SyncRequest, error) {
	sc := &scanner{b: raw}
	req := &SyncRequest{}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: not a valid sync request: %s", ErrFrame, fmt.Sprintf(format, a...))
	}
	if !sc.next('{') {
		return nil, bad("not a JSON object")
	}
	seen := map[string]bool{}
	for !sc.next('}') {
		if len(seen) > 0 && !sc.next(',') {
			return nil, bad("a comma or the end of the object expected at byte %d", sc.i)
		}
		kraw, err := sc.value()
		var key string
		if err == nil {
			err = json.Unmarshal(kraw, &key)
		}
		if err != nil || !sc.next(':') {
			return nil, bad("a key expected at byte %d", sc.i)
		}
		if seen[key] {
			return nil, bad("%q is given twice", trunc(key))
		}
		seen[key] = true
		if key == "ops" {
			if req.Ops, err = decodeOps(sc); err != nil {
				if errors.Is(err, ErrLimit) {
					return nil, err
				}
				return nil, bad("ops: %v", err)
			}
			continue
		}
		v, err := sc.value()
		if err != nil {
			return nil, bad("%s: %v", trunc(key), err)
		}
		var dst any
		switch key {
		case "proto":
			dst = &req.Proto
		case "device":
			dst = &req.Device
		case "cursor":
			dst = &req.Cursor
		case "pull":
			dst = &req.Pull
		case "max_pull":
			dst = &req.MaxPull
		default:
			// A newer laptop's: skipped, but it must still be JSON.
			if !json.Valid(v) {
				return nil, bad("%s: not JSON", trunc(key))
			}
			continue
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return nil, bad("%s: %v", key, err)
		}
	}
	if sc.ws(); sc.i != len(raw) {
		return nil, bad("data after the request")
	}
	return req, nil
}

// decodeOps decodes the "ops" array one operation at a time.
func decodeOps(sc *scanner) ([]WireOp, error) {
	if sc.literal("null") {
		return nil, nil
	}
	if !sc.next('[') {
		return nil, errors.New("want an array of operations")
	}
	var ops []WireOp
	fields := 0
	for !sc.next(']') {
		if len(ops) > 0 && !sc.next(',') {
			return nil, fmt.Errorf("a comma or the end of the array expected at byte %d", sc.i)
		}
		if len(ops) == MaxPushOps {
			return nil, fmt.Errorf("%w: more than %d operations in one sync: send fewer at a time", ErrLimit, MaxPushOps)
		}
		v, err := sc.value()
		if err != nil {
			return nil, fmt.Errorf("operation %d: %v", len(ops)+1, err)
		}
		var in wireOpIn
		if err := json.Unmarshal(v, &in); err != nil {
			if errors.Is(err, ErrLimit) {
				return nil, fmt.Errorf("operation %d: %w", len(ops)+1, err)
			}
			return nil, fmt.Errorf("operation %d: %v", len(ops)+1, err)
		}
		if fields += len(in.Fields); fields > MaxPushFields {
			return nil, fmt.Errorf("%w: more than %d fields in one sync: send fewer operations at a time", ErrLimit, MaxPushFields)
		}
		ops = append(ops, WireOp{Device: in.Device, Seq: in.Seq, HLC: in.HLC, Kind: in.Kind, Record: in.Record, Council: in.Council,
			Action: in.Action, Author: in.Author, Fields: in.Fields})
	}
	return ops, nil
}

// scanner finds JSON values in b without decoding or allocating; what it
// finds is decoded (and so checked) by encoding/json.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next consumes c (after white space) if it comes next.
func (s *scanner) next(c byte) bool {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// literal consumes word (after white space) if it comes next.
func (s *scanner) literal(word string) bool {
	s.ws()
	if bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		s.i += len(word)
		return true
	}
	return false
}

// value returns the bytes of the next value: a string, an object or array
// (to its matching end, strings skipped), or a scalar (to the next
// delimiter). For valid JSON these are the value's bytes exactly.
func (s *scanner) value() ([]byte, error) {
	s.ws()
	start := s.i
	if s.i == len(s.b) {
		return nil, errors.New("cut off")
	}
	switch s.b[s.i] {
	case '"':
		if !s.skipString() {
			return nil, errors.New("a string is cut off")
		}
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if !s.skipString() {
					return nil, errors.New("a string is cut off")
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				return s.b[start:s.i], nil
			}
		}
		return nil, errors.New("cut off")
	default:
	scalar:
		for ; s.i < len(s.b); s.i++ {
			switch s.b[s.i] {
			case ',', ']', '}', ' ', '\t', '\n', '\r':
				break scalar
			}
		}
		if s.i == start {
			return nil, fmt.Errorf("a value expected at byte %d", start)
		}
	}
	return s.b[start:s.i], nil
}

// skipString moves past the string starting at s.i.
func (s *scanner) skipString() bool {
	for s.i++; s.i < len(s.b); s.i++ {
		switch s.b[s.i] {
		case '\\':
			s.i++
		case '"':
			s.i++
			return true
		}
	}
	return false
}

// wireOpIn is a WireOp whose fields are counted before they are decoded.
type wireOpIn struct {
	Device  string        `json:"dv"`
	Seq     uint64        `json:"sq"`
	HLC     uint64        `json:"t"`
	Kind    string        `json:"k"`
	Record  string        `json:"r"`
	Council string        `json:"c,omitempty"`
	Action  string        `json:"a"`
	Author  string        `json:"u,omitempty"`
	Fields  boundedFields `json:"f"`
}

// boundedFields decodes an operation's fields only if there are at most
// changeset.MaxFieldsPerOp of them, into a new map each time (a key given
// twice must not let one operation's map grow past the limit), and the
// values each settles only if there are at most changeset.MaxSettles.
type boundedFields map[string]WireChange

func (f *boundedFields) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*f = nil
		return nil
	}
	n := objectKeys(b)
	if n > changeset.MaxFieldsPerOp {
		return fmt.Errorf("%w: more than %d fields in one operation", ErrLimit, changeset.MaxFieldsPerOp)
	}
	in := make(map[string]wireChangeIn, n)
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	m := make(map[string]WireChange, len(in))
	for k, c := range in {
		m[k] = WireChange{V: c.V, B: c.B, S: c.S}
	}
	*f = m
	return nil
}

// wireChangeIn is a WireChange whose settled values are counted before
// they are decoded.
type wireChangeIn struct {
	V json.RawMessage `json:"v"`
	B uint64          `json:"b,omitempty"`
	S boundedVersions `json:"s,omitempty"`
}

type boundedVersions []WireVersion

func (v *boundedVersions) UnmarshalJSON(b []byte) error {
	if n := arrayLen(b); n > changeset.MaxSettles {
		return fmt.Errorf("%w: a field settles more than %d values", ErrLimit, changeset.MaxSettles)
	}
	return json.Unmarshal(b, (*[]WireVersion)(v))
}

// arrayLen counts the elements of the JSON array b (valid JSON, as the
// decoder has checked it), without allocating: the commas outside strings
// at depth one, plus one unless it is empty (0 for anything else).
func arrayLen(b []byte) int {
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '[' || len(bytes.TrimSpace(b[1:len(b)-1])) == 0 {
		return 0
	}
	n, depth, inString := 1, 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ',':
			if depth == 1 {
				n++
			}
		}
	}
	return n
}

// objectKeys counts the keys of the JSON object b (valid JSON, as the
// decoder has checked it), without allocating: the colons outside strings
// at depth one.
func objectKeys(b []byte) int {
	n, depth, inString := 0, 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case ':':
			if depth == 1 {
				n++
			}
		}
	}
	return n
}

func trunc(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
