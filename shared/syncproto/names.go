package syncproto

import (
	"fmt"

	"github.com/kenesh/kenesh/shared/changeset"
)

// MaxNameBytes bounds an operation's kind, record id and council code.
const MaxNameBytes = 256

// ValidName reports whether s may be an operation's kind, record id or
// council code: not empty, at most MaxNameBytes bytes, and without ':' or
// NUL. A server keeps records under keys made of these names (a Badger key
// "kind:id", a PostgreSQL row), and a separator inside a name would let one
// record's keys overlap another's: every storage engine relies on this rule
// of the protocol instead of escaping names its own way. Honest laptops
// never make such names (kinds are fixed words, ids UUIDs, councils codes
// like NRN-ATB); the server refuses an operation that breaks the rule with
// CodeInvalid, as it did from protocol version 1.
func ValidName(s string) bool {
	if s == "" || len(s) > MaxNameBytes {
		return false
	}
	// A loop over the bytes, not strings.ContainsAny, which looks for each
	// character by itself (checking every name of a large push took 1% of
	// the server's CPU); ':' and NUL are single bytes in UTF-8.
	for i := 0; i < len(s); i++ {
		if s[i] == ':' || s[i] == 0 {
			return false
		}
	}
	return true
}

// CheckNames returns an error saying what is wrong when an operation's
// kind, record id or council breaks ValidName (an empty council is allowed:
// records of the global kinds have none); id names the operation
// ("device/seq") in the message.
func CheckNames(id, kind, record, council string) error {
	if ValidName(kind) && ValidName(record) && (council == "" || ValidName(council)) {
		return nil
	}
	return fmt.Errorf("operation %s: kind, record id and council must be non-empty, at most %d bytes, without ':'", id, MaxNameBytes)
}

// CheckOpNames is CheckNames for op, naming it only when it fails: a
// server checks every operation pushed, and making the name ("device/seq")
// of each was three allocations an operation.
func CheckOpNames(op *changeset.Op) error {
	if ValidName(op.Kind) && ValidName(op.Record) && (op.Council == "" || ValidName(op.Council)) {
		return nil
	}
	return CheckNames(op.ID(), op.Kind, op.Record, op.Council)
}
