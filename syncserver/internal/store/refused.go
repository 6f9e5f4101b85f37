package store

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxRefusedOp bounds what a store keeps of a refused operation
// (Refusal.Op): an operation of at most this many bytes of wire JSON is
// kept byte for byte, a longer one as its summary (CutRefusedOp). The
// laptop keeps its whole operation and is told why it was refused; the
// server's copy is for central staff to see what was refused, and it
// must not be unbounded bytes an attacker chooses: attackmem's flood
// sends 2,000 operations a request, each with an 8 KiB author and no
// fields, all refused, and stored whole they filled a 16 MiB memtable a
// request (BENCHMARKS.md, issue 15, mem6 and mem7). An honest refused
// step is a few hundred bytes, a creation about 1 KB.
const MaxRefusedOp = 2048

// What a summary keeps: the operation's head values and its first
// fields' names and values, each cut to a prefix (counted as JSON
// writes it). With at most cutKeys head keys and cutFields fields, a
// summary is under ~1.5 KB whatever the operation (TestCutRefusedOpBound).
const (
	cutKeys      = 10 // of the operation's head (a wire operation has 9)
	cutKeyLen    = 12
	cutValueLen  = 48 // a head value: a device or record id (26-36 bytes) whole
	cutFields    = 8
	cutFieldName = 24
	cutFieldVal  = 24
)

// RefusedOpKey is the key of a summary's note of what was cut: the
// operation's length in bytes, its field count and SHA-256.
const RefusedOpKey = "cut"

// CutRefusedOp is what a store keeps of op, a refused operation's wire
// JSON: op itself when it is at most MaxRefusedOp bytes, else a JSON
// object of its head (device, seq, clock, kind, record, council, action,
// author; strings cut to a prefix), its first fields in name order (each
// its change's length and a prefix of its value), and under RefusedOpKey
// the whole operation's length, field count and SHA-256. The summary
// decodes as a wire operation with the same head (ids are kept whole)
// and cut values. Deterministic: the same op gives the same bytes.
func CutRefusedOp(op json.RawMessage) json.RawMessage {
	if len(op) <= MaxRefusedOp {
		return op
	}
	sum := sha256.Sum256(op)
	note := map[string]any{"bytes": len(op), "sha256": hex.EncodeToString(sum[:])}
	out := map[string]any{RefusedOpKey: note}
	var head map[string]json.RawMessage
	if err := json.Unmarshal(op, &head); err != nil {
		// Not an object: what the stores are given is the wire JSON of
		// a decoded operation, so this is only a caller's mistake.
		note["prefix"] = cutString(string(op), cutValueLen)
		return marshalCut(out)
	}
	keys := make([]string, 0, len(head))
	for k := range head {
		if k != RefusedOpKey {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys[:min(len(keys), cutKeys)] {
		v := head[k]
		if k == "f" {
			note["fields"] = cutFieldsOf(v, out)
			continue
		}
		out[cutString(k, cutKeyLen)] = cutValue(v, cutValueLen)
	}
	if len(keys) > cutKeys {
		note["keys"] = len(keys)
	}
	return marshalCut(out)
}

// cutFieldsOf puts the first cutFields fields of f (a wire operation's
// field map) into out["f"], each as its change's length in bytes ("n")
// and a prefix of its value ("v"), and returns the number of fields.
func cutFieldsOf(f json.RawMessage, out map[string]any) int {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(f, &fields); err != nil {
		out["f"] = cutValue(f, cutFieldVal)
		return 0
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	kept := map[string]any{}
	for _, name := range names[:min(len(names), cutFields)] {
		ch := fields[name]
		c := map[string]any{"n": len(ch)}
		var change struct {
			V json.RawMessage `json:"v"`
		}
		if json.Unmarshal(ch, &change) == nil {
			c["v"] = cutValue(change.V, cutFieldVal)
		}
		kept[cutString(name, cutFieldName)] = c
	}
	out["f"] = kept
	return len(names)
}

// cutValue is v when it is a short JSON number, true, false or null,
// else a string of at most n bytes once written: a string's text cut, or
// any other value's JSON as text.
func cutValue(v json.RawMessage, n int) any {
	if len(v) <= n && len(v) > 0 && (v[0] == '-' || v[0] >= '0' && v[0] <= '9' || v[0] == 't' || v[0] == 'f' || v[0] == 'n') {
		return v
	}
	var s string
	if len(v) > 0 && v[0] == '"' && json.Unmarshal(v, &s) == nil {
		return cutString(s, n)
	}
	return cutString(string(v), n)
}

// cutString is a prefix of s whose JSON encoding (json.Marshal's, HTML
// escaped) takes at most n bytes between its quotes, with "…" at its end
// when something was cut. Invalid UTF-8 becomes U+FFFD.
func cutString(s string, n int) string {
	if escapedLen(s) <= n {
		return strings.ToValidUTF8(s, "\ufffd")
	}
	var b strings.Builder
	used := 0
	for _, r := range s {
		w := runeLen(r)
		if used+w > n-len("…") {
			break
		}
		b.WriteRune(r)
		used += w
	}
	b.WriteString("…")
	return b.String()
}

// escapedLen is at least the length of s's JSON encoding between its
// quotes (runeLen of each rune).
func escapedLen(s string) int {
	n := 0
	for _, r := range s {
		n += runeLen(r)
	}
	return n
}

// runeLen is at least what json.Marshal writes for r: six bytes for what
// it escapes as \u00XX (or as two bytes, \n), three for an invalid
// byte (written as U+FFFD), else its UTF-8 length.
func runeLen(r rune) int {
	switch {
	case r < 0x20, r == '"', r == '\\', r == '<', r == '>', r == '&', r == '\u2028', r == '\u2029':
		return 6
	case r == utf8.RuneError:
		return 3
	}
	return utf8.RuneLen(r)
}

// marshalCut encodes a summary; its values are strings, numbers and
// valid JSON, so it cannot fail.
func marshalCut(v map[string]any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("store: a refused operation's summary: " + err.Error())
	}
	return b
}
