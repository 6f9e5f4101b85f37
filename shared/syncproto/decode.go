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

// DecodeSyncRequest decodes a sync request so that what it allocates is
// bounded by what it has checked. json.Unmarshal of a whole request first
// made a 16 MiB payload of empty operations ([{},{},...]) cost the server
// 1.85 GiB: a decoded operation or field costs a hundred times the few
// bytes that write it. So the payload is first counted, in one pass that
// allocates nothing (requestCounts), and refused (an error wrapping
// ErrLimit) at the first operation over MaxPushOps, the first operation
// with more than changeset.MaxFieldsPerOp fields, the first field over
// MaxPushFields, or a field settling more than changeset.MaxSettles
// values; only then is it decoded, by one json.Unmarshal, whose errors wrap
// ErrFrame. The count is conservative where encoding/json is lenient: keys
// it would match to "ops", "f" or "s" in another case, or written with
// escapes, and keys given twice, are all counted.
//
// A payload that starts as protocol 2's binary body (IsBinaryRequest) is
// decoded as one (binary.go), under the same limits.
func DecodeSyncRequest(raw []byte) (*SyncRequest, error) {
	if IsBinaryRequest(raw) {
		return decodeBinaryRequest(raw)
	}
	if err := requestCounts(raw); err != nil {
		return nil, err
	}
	req := &SyncRequest{}
	if err := json.Unmarshal(raw, req); err != nil {
		return nil, fmt.Errorf("%w: not a valid sync request: %v", ErrFrame, err)
	}
	return req, nil
}

// requestCounts walks raw (a sync request, not yet known to be valid
// JSON: whatever it is, the walk ends) counting what decoding it into a
// SyncRequest would make, by depth: 1 the request, 2 its operations array,
// 3 an operation, 4 its fields object, 5 a field, 6 the values it settles.
func requestCounts(raw []byte) error {
	_, err := countJSONRequest(raw)
	return err
}

// countJSONRequest is requestCounts returning the counts: operations,
// fields and settled values, up to where a limit stopped the walk.
func countJSONRequest(raw []byte) (Counts, error) {
	var n Counts
	type frame struct {
		obj     bool
		counted bool // an operations array, or the values a field settles
		elems   int
	}
	var st [8]frame
	depth, inString, keyStart := 0, false, -1
	var lastKey []byte
	expectKey := false
	ops, fields, opFields := 0, 0, 0
	inOps := func() bool { return depth >= 3 && st[2].counted }
	for i := 0; i < len(raw); i++ {
		if inString {
			// To the string's end, or to its next escape, in two
			// IndexBytes rather than a byte at a time: most of a
			// request's bytes are in its strings (the walk was 16 µs
			// of a 5-operation request's 2.8 KB, counted twice a sync).
			end := bytes.IndexByte(raw[i:], '"')
			if end < 0 {
				end = len(raw) - i
			}
			if esc := bytes.IndexByte(raw[i:i+end], '\\'); esc >= 0 {
				i += esc + 1 // the escaped byte, which the loop steps over
				continue
			}
			i += end
			if i < len(raw) {
				inString = false
				if keyStart >= 0 {
					lastKey = raw[keyStart:i]
					keyStart = -1
				}
			}
			continue
		}
		c := raw[i]
		switch c {
		case ' ', '\t', '\n', '\r':
		case '"':
			inString = true
			if expectKey && depth < len(st) && st[depth].obj {
				keyStart = i + 1
				if depth == 4 && inOps() {
					opFields++
					fields++
					n.Fields = fields
					switch {
					case opFields > changeset.MaxFieldsPerOp:
						return n, fmt.Errorf("operation %d: %w: more than %d fields in one operation", ops+1, ErrLimit, changeset.MaxFieldsPerOp)
					case fields > MaxPushFields:
						return n, fmt.Errorf("%w: more than %d fields in one sync: send fewer operations at a time", ErrLimit, MaxPushFields)
					}
				}
			}
			expectKey = false
		case '{', '[':
			depth++
			if depth < len(st) {
				st[depth] = frame{obj: c == '{'}
				switch {
				case c == '[' && depth == 2 && st[1].obj && keyIs(lastKey, "ops"):
					st[depth].counted = true
				case c == '[' && depth == 6 && st[5].obj && inOps() && keyIs(lastKey, "s"):
					st[depth].counted = true
				case c == '{' && depth == 3 && st[2].counted:
					opFields = 0
					n.Ops++
				case c == '{' && depth == 7 && st[6].counted:
					n.Settles++
				}
			}
			expectKey = c == '{'
		case '}', ']':
			if depth == 0 {
				return n, nil // not JSON: json.Unmarshal says so
			}
			depth--
			expectKey = false
		case ',':
			if depth < len(st) && st[depth].counted {
				st[depth].elems++
				switch {
				case depth == 2:
					if ops++; ops >= MaxPushOps {
						return n, fmt.Errorf("%w: more than %d operations in one sync: send fewer at a time", ErrLimit, MaxPushOps)
					}
				case st[depth].elems >= changeset.MaxSettles:
					return n, fmt.Errorf("operation %d: %w: a field settles more than %d values", ops+1, ErrLimit, changeset.MaxSettles)
				}
			}
			expectKey = depth < len(st) && st[depth].obj
		default:
			expectKey = false
		}
	}
	return n, nil
}

// keyIs reports whether encoding/json could match the raw key k to name:
// equal but for case, or written with escapes (counted to be safe).
func keyIs(k []byte, name string) bool {
	return bytes.EqualFold(k, []byte(name)) || bytes.IndexByte(k, '\\') >= 0
}
