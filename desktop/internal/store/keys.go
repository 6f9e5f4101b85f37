package store

import (
	"encoding/binary"
	"strings"
)

// Key layout. Every key starts with a one-letter space and a colon, so each
// space is one prefix scan and new spaces (file chunks, sync cursors,
// bundles) can be added without touching existing data.
//
//	m:NAME                             meta value (device id, counters, clock; m:format, the store's format: format.go)
//	s:KIND:ID                          record state (changeset.State, JSON)
//	i:KIND:ID                          index row (what lists and filters need)
//	t:KIND:ID                          search text of the index row (read after the rows at open)
//	o:DEVICE:SEQ(8 bytes BE)           operation (changeset.Op, JSON)
//	h:KIND:ID:HLC(8 BE):DEVICE:SEQ(8)  history entry -> the operation's key
//	h:KIND:ID:HLC(8 BE):DEVICE:SEQ(8)g a bulk load's history group: a record's operations of a window (history.go)
//	x:KIND:ID:FIELD:HLC(8 BE):DEVICE   open conflict (changeset.Conflict, JSON)
//	c:SHA256(32 bytes)                 a chunk of a file's content (an attachment's, a material's)
//	f:NAME                             the files' bookkeeping (package files: what the server holds, what is done)
//	q:KEY                              a pulled operation held back, not applied (records.HeldOp, JSON)
const (
	spaceMeta     = "m:"
	spaceState    = "s:"
	spaceIndex    = "i:"
	spaceText     = "t:"
	spaceOp       = "o:"
	spaceHistory  = "h:"
	spaceConflict = "x:"
	spaceChunk    = "c:"
	spaceFiles    = "f:"
	spaceHeld     = "q:"
)

func heldKey(key string) []byte { return []byte(spaceHeld + key) }

func chunkKey(sum [32]byte) []byte { return append([]byte(spaceChunk), sum[:]...) }

func filesKey(name string) []byte { return []byte(spaceFiles + name) }

func metaKey(name string) []byte { return []byte(spaceMeta + name) }

func stateKey(kind, id string) []byte { return []byte(spaceState + kind + ":" + id) }

// recordKeyLen is the length of a record's state, index row or search
// text key (the spaces' prefixes are of one length).
func recordKeyLen(kind, id string) int { return len(spaceState) + len(kind) + 1 + len(id) }

// appendRecordKey appends the key of kind/id in space (spaceState,
// spaceIndex or spaceText) to k.
func appendRecordKey(k []byte, space, kind, id string) []byte {
	k = append(k, space...)
	k = append(k, kind...)
	k = append(k, ':')
	return append(k, id...)
}

func indexKey(kind, id string) []byte { return []byte(spaceIndex + kind + ":" + id) }

func textKey(kind, id string) []byte { return []byte(spaceText + kind + ":" + id) }

func opKey(device string, seq uint64) []byte {
	return appendOpKey(make([]byte, 0, opKeyLen(device)), device, seq)
}

func opKeyLen(device string) int { return len(spaceOp) + len(device) + 1 + 8 }

// appendOpKey appends opKey(device, seq) to k.
func appendOpKey(k []byte, device string, seq uint64) []byte {
	k = append(k, spaceOp...)
	k = append(k, device...)
	k = append(k, ':')
	return binary.BigEndian.AppendUint64(k, seq)
}

func opPrefix(device string) []byte { return []byte(spaceOp + device + ":") }

func historyPrefix(kind, id string) []byte { return []byte(spaceHistory + kind + ":" + id + ":") }

func historyKey(kind, id string, hlc uint64, device string, seq uint64) []byte {
	return appendHistoryKey(make([]byte, 0, historyKeyLen(kind, id, device)), kind, id, hlc, device, seq)
}

func historyKeyLen(kind, id, device string) int {
	return len(spaceHistory) + len(kind) + 1 + len(id) + 1 + 8 + 1 + len(device) + 1 + 8
}

// appendHistoryKey appends historyKey(kind, id, hlc, device, seq) to k.
func appendHistoryKey(k []byte, kind, id string, hlc uint64, device string, seq uint64) []byte {
	k = append(k, spaceHistory...)
	k = append(k, kind...)
	k = append(k, ':')
	k = append(k, id...)
	k = append(k, ':')
	k = binary.BigEndian.AppendUint64(k, hlc)
	k = append(k, ':')
	k = append(k, device...)
	k = append(k, ':')
	return binary.BigEndian.AppendUint64(k, seq)
}

func conflictPrefix(kind, id string) []byte { return []byte(spaceConflict + kind + ":" + id + ":") }

func conflictKey(kind, id, field string, hlc uint64, device string) []byte {
	k := conflictPrefix(kind, id)
	k = append(k, field...)
	k = append(k, ':')
	k = binary.BigEndian.AppendUint64(k, hlc)
	k = append(k, ':')
	return append(k, device...)
}

// validPart refuses key parts that would let one record's keys overlap another's.
func validPart(s string) bool { return s != "" && !strings.ContainsAny(s, ":\x00") }
