package badgerstore

import (
	"bytes"
	"encoding/binary"

	"github.com/kenesh/kenesh/shared/syncproto"
)

// Key layout. Every key starts with a one-letter space and a colon, so each
// space is one prefix scan. SEQ is 8 bytes big-endian, so keys sort in
// sequence order.
//
//	m:NAME                         meta value (server id, server device, log head, the server's clock; m:format: format.go)
//	L:LAST                         the log: the operations one Append accepted, LAST the server seq of the last (batch.go)
//	G:LAST                         pull index of global kinds (councils, materials): seqs and authors, per Append (batch.go)
//	I:COUNCIL:LAST                 pull index of one council's records, likewise
//	J:DEVICE:LAST                  the judgements (opEntry, opentry.go) of a device's operations, per Append (batch.go)
//	r:DEVICE:SEQ                   a refused operation, kept for audit (refusedRec, JSON)
//	s:KIND:ID                      merged record state (changeset.State, storage encoding)
//	x:KIND:ID:FIELD:HLC:DEVICE     conflict (changeset.Conflict, JSON)
//	v:DEVICE                       an enrolled device (Device, JSON)
//	a:DEVICE                       the device's acknowledged seq (8 bytes)
//	w:DEVICE                       when the device last synced (Unix ms, 8 bytes)
//	t:SHA256(token)                -> device id
//	e:SHA256(code)                 an enrollment code (Code, JSON)
//
// Format 1 (before the batched log) kept an entry per operation, which
// the migration to format 2 (migrate.go) turns into batches:
//
//	l:SEQ                          an accepted operation (changeset.Op, storage encoding)
//	g:SEQ                          pull index of global kinds -> author device id
//	p:COUNCIL:SEQ                  pull index of one council's records -> author device id
//	d:DEVICE:SEQ                   a judged operation of a device (opEntry)
//
// The public projection (public.go), written in the Append that makes it:
//
//	P:ID                           a published appeal (store.PublicAppeal, JSON)
//	C:CODE                         a council as the public sees it (store.PublicCouncil, JSON)
//	W:ID                           a competition whose winners are published (store.PublicCompetition, JSON)
//	T:SUBMISSION                   a web submission's tracking (store.Tracking, JSON)
//	K:SHA256(tracking code)        -> submission id
//	A:APPEAL                       the web submissions that name the appeal (their ids, sorted, one a line)
//	Q:COUNCIL                      how many of the council's web submissions wait in its inbox (8 bytes)
//
// The account of file chunks (chunks.go):
//
//	h:OWNER:SHA256                 a chunk the owner holds -> its size (8 bytes)
//	u:OWNER                        what the owner holds: chunks, bytes (8 bytes each)
//	c:OWNER:SHA256                 the owner's hold is condemned: since when (Unix ns, 8 bytes)
//	b:SHA256                       the chunk's blob: its generation, and since when it is dying (Unix ns, 0: not; 8 bytes each)
//
// Condemnations and blob generations are not exported: a migration to
// another engine (with no sweep running) loses only a condemnation, which
// the next sweep makes again, or a dying mark, whose blob the next sweep
// finds an orphan.
//
// Everything but what is derived is given by Export (export.go), which
// kenesh-syncserver migrate moves to another engine: a new space must be
// given there too, or a migration leaves it behind.
const (
	spaceMeta     = "m:"
	spaceLogBatch = "L:"
	spaceGlobalIx = "G:"
	spacePullIx   = "I:"
	spaceJudged   = "J:"
	spaceLog      = "l:" // format 1
	spaceGlobal   = "g:" // format 1
	spacePull     = "p:" // format 1
	spaceDevOp    = "d:" // format 1
	spaceRefused  = "r:"
	spaceState    = "s:"
	spaceConflict = "x:"
	spaceDevice   = "v:"
	spaceAcked    = "a:"
	spaceSeen     = "w:"
	spaceToken    = "t:"
	spaceCode     = "e:"

	spacePublicAppeal  = "P:"
	spacePublicCouncil = "C:"
	spacePublicWinners = "W:"
	spacePublicChange  = "D:" // version (8 bytes) + appeal id: what the commit of that version changed
	spaceTrack         = "T:"
	spaceTrackCode     = "K:"
	spaceTrackAppeal   = "A:"
	spaceWaiting       = "Q:"

	spaceChunk      = "h:"
	spaceChunkUsage = "u:"
	spaceCondemned  = "c:"
	spaceBlob       = "b:"
)

func metaKey(name string) []byte { return []byte(spaceMeta + name) }

// dirKey says whether key is a device's or a token's (the token cache).
func dirKey(key []byte) bool {
	return bytes.HasPrefix(key, []byte(spaceDevice)) || bytes.HasPrefix(key, []byte(spaceToken))
}

func seqKey(prefix string, seq uint64) []byte {
	k := make([]byte, 0, len(prefix)+8)
	k = append(k, prefix...)
	return binary.BigEndian.AppendUint64(k, seq)
}

func logKey(seq uint64) []byte    { return seqKey(spaceLog, seq) }
func globalKey(seq uint64) []byte { return seqKey(spaceGlobal, seq) }

func pullPrefix(council string) string { return spacePull + council + ":" }

func pullKey(council string, seq uint64) []byte { return seqKey(pullPrefix(council), seq) }

func devOpKey(dev string, seq uint64) []byte { return seqKey(spaceDevOp+dev+":", seq) }

func logBatchKey(last uint64) []byte           { return seqKey(spaceLogBatch, last) }
func pullIxPrefix(council string) string       { return spacePullIx + council + ":" }
func judgedPrefix(dev string) string           { return spaceJudged + dev + ":" }
func refusedKey(dev string, seq uint64) []byte { return seqKey(spaceRefused+dev+":", seq) }

func stateKey(kind, id string) []byte { return []byte(spaceState + kind + ":" + id) }

func conflictKey(kind, id, field string, hlc uint64, dev string) []byte {
	k := []byte(spaceConflict + kind + ":" + id + ":" + field + ":")
	k = binary.BigEndian.AppendUint64(k, hlc)
	k = append(k, ':')
	return append(k, dev...)
}

func deviceKey(id string) []byte { return []byte(spaceDevice + id) }
func ackedKey(id string) []byte  { return []byte(spaceAcked + id) }
func seenKey(id string) []byte   { return []byte(spaceSeen + id) }

func tokenKey(sum [32]byte) []byte { return append([]byte(spaceToken), sum[:]...) }
func codeKey(sum [32]byte) []byte  { return append([]byte(spaceCode), sum[:]...) }

func publicAppealKey(id string) []byte    { return []byte(spacePublicAppeal + id) }
func publicCouncilKey(code string) []byte { return []byte(spacePublicCouncil + code) }
func publicWinnersKey(id string) []byte   { return []byte(spacePublicWinners + id) }
func publicChangeKey(version uint64, id string) []byte {
	return append(seqKey(spacePublicChange, version), id...)
}
func trackKey(submission string) []byte   { return []byte(spaceTrack + submission) }
func trackCodeKey(sum [32]byte) []byte    { return append([]byte(spaceTrackCode), sum[:]...) }
func trackAppealKey(appeal string) []byte { return []byte(spaceTrackAppeal + appeal) }
func waitingKey(council string) []byte    { return []byte(spaceWaiting + council) }

func chunkPrefix(owner string) string { return spaceChunk + owner + ":" }
func chunkKey(owner string, sum [32]byte) []byte {
	return append([]byte(chunkPrefix(owner)), sum[:]...)
}
func chunkUsageKey(owner string) []byte { return []byte(spaceChunkUsage + owner) }
func condemnedKey(owner string, sum [32]byte) []byte {
	return append([]byte(spaceCondemned+owner+":"), sum[:]...)
}
func blobStateKey(sum [32]byte) []byte { return append([]byte(spaceBlob), sum[:]...) }

// validPart reports whether s may be part of a key. Names in keys (kinds,
// record ids, councils, device ids) follow the protocol's rule
// (syncproto.ValidName: no ':' or NUL, which would let one record's keys
// overlap another's); anything else is refused before it reaches a key.
func validPart(s string) bool { return syncproto.ValidName(s) }

func u64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

func be(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }
