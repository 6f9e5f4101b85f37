// Package storetest is the conformance suite of the server's storage
// contract (package store): every engine runs it in its own tests and
// passes it, so that ingest, auth and the API may rely on what the
// contract says and not on what one engine happens to do.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// Suite runs the conformance tests against one engine. Build one with the
// engine's functions and call Run from a test of the engine's package:
//
//	func TestConformance(t *testing.T) {
//		storetest.Suite{New: ..., Reopen: ..., Restore: ...}.Run(t)
//	}
type Suite struct {
	// New returns a new, empty store for one test, in the test's own
	// temporary place. The suite closes it.
	New func(t testing.TB) store.Store
	// Reopen closes st and opens the same data again, as a restarted
	// server does. Nil skips the cases that need it.
	Reopen func(t testing.TB, st store.Store) store.Store
	// Restore makes a new store from what st's store.Backuper wrote (the
	// suite closes it). Nil, or a store without Backuper, skips the case.
	Restore func(t testing.TB, backup io.Reader) store.Store
	// Second opens another store on st's data, as a second server process
	// on the same database does (the suite closes it). Nil: the engine
	// serves one process (Badger locks its directory), and the cases of
	// several processes are skipped.
	Second func(t testing.TB, st store.Store) store.Store
}

// Run runs every case as a subtest.
func (s Suite) Run(t *testing.T) {
	cases := []struct {
		name string
		fn   func(*testing.T, *handle)
	}{
		{"Identity", testIdentity},
		{"Devices", testDevices},
		{"Tokens", testTokens},
		{"Codes", testCodes},
		{"DirectoryAtomic", testDirectoryAtomic},
		{"SeenAndCounts", testSeenAndCounts},
		{"AppendAssignsSequence", testAppendAssignsSequence},
		{"AppendIsAtomic", testAppendIsAtomic},
		{"DeviceSequence", testDeviceSequence},
		{"SameChangeSetTwice", testSameChangeSetTwice},
		{"Refusals", testRefusals},
		{"ReadsOwnWrites", testReadsOwnWrites},
		{"Clock", testClock},
		{"States", testStates},
		{"Conflicts", testConflicts},
		{"Authored", testAuthored},
		{"PullScopes", testPullScopes},
		{"PullPages", testPullPages},
		{"PullLimits", testPullLimits},
		{"PullCursor", testPullCursor},
		{"Cancelled", testCancelled},
		{"TwoWriters", testTwoWriters},
		{"TwoWritersOneDevice", testTwoWritersOneDevice},
		{"ReaderDuringWrites", testReaderDuringWrites},
		{"Durable", testDurable},
		{"Backup", testBackup},
		{"PublicProjection", testPublicProjection},
		{"PublicCompetitions", testPublicCompetitions},
		{"PublicChanges", testPublicChanges},
		{"Tracking", testTracking},
		{"PublicRule", testPublicRule},
		{"Chunks", testChunks},
		{"ChunksConcurrent", testChunksConcurrent},
		{"ChunkRelease", testChunkRelease},
		{"AddChunks", testAddChunks},
		{"ChunkReleaseRace", testChunkReleaseRace},
		{"FieldsKept", testFieldsKept},
		{"ProcessesShareTheLog", testProcessesShareTheLog},
		{"ProcessesOneDevice", testProcessesOneDevice},
		{"ProcessesShareTheRest", testProcessesShareTheRest},
		{"Prefetch", testPrefetch},
		{"EncodedStates", testEncodedStates},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := &handle{s: s, t: t}
			h.st = s.New(t)
			t.Cleanup(func() {
				if h.st != nil {
					if err := h.st.Close(); err != nil {
						t.Errorf("close: %v", err)
					}
				}
			})
			c.fn(t, h)
		})
	}
}

// handle is the store under test, which Reopen replaces.
type handle struct {
	s  Suite
	t  *testing.T
	st store.Store
}

func (h *handle) reopen() bool {
	if h.s.Reopen == nil {
		return false
	}
	st := h.st
	h.st = nil // if Reopen fails, it closed st already
	h.st = h.s.Reopen(h.t, st)
	return true
}

var ctx = context.Background()

// base is a clock in December 2026.
const base = hlc.Timestamp(117677491360104448)

// newOp is an operation of device dev on a record of council (global when
// council is ""), with one field.
func newOp(dev string, seq uint64, kind, record, council string, value string) *changeset.Op {
	action := changeset.ActionUpdate
	if seq == 1 {
		action = changeset.ActionCreate
	}
	v, _ := json.Marshal(value)
	return &changeset.Op{Device: dev, Seq: seq, HLC: base + hlc.Timestamp(seq)<<16, Kind: kind, Record: record, Council: council,
		Action: action, Author: "storetest " + dev, Fields: map[string]changeset.Change{"summary": {Value: v}}}
}

func enc(t testing.TB, op *changeset.Op) []byte {
	t.Helper()
	b, err := op.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sameOp fails unless got is want as it was accepted.
func sameOp(t testing.TB, what string, got, want *changeset.Op) {
	t.Helper()
	if !bytes.Equal(enc(t, got), enc(t, want)) {
		t.Fatalf("%s: got %+v, want %+v", what, got, want)
	}
}

// accept appends ops in one Append, each indexed as ix says, and returns
// their sequence numbers.
func accept(t testing.TB, st store.Store, ix func(*changeset.Op) store.Index, ops ...*changeset.Op) []uint64 {
	t.Helper()
	var seqs []uint64
	err := st.Append(ctx, func(w store.LogTx) error {
		seqs = seqs[:0]
		for _, op := range ops {
			seq, err := w.Accept(op, ix(op))
			if err != nil {
				return err
			}
			seqs = append(seqs, seq)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("append %d operations: %v", len(ops), err)
	}
	return seqs
}

// byCouncil indexes an operation for its council's devices, or as global
// when it has none.
func byCouncil(op *changeset.Op) store.Index {
	if op.Council == "" {
		return store.Index{Global: true}
	}
	return store.Index{Council: op.Council}
}

func head(t testing.TB, st store.Store) uint64 {
	t.Helper()
	n, err := st.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func acked(t testing.TB, st store.Store, dev string) uint64 {
	t.Helper()
	var n uint64
	if err := st.ReadLog(ctx, func(r store.LogReader) (err error) { n, err = r.Acked(dev); return err }); err != nil {
		t.Fatal(err)
	}
	return n
}

// logged returns the whole log, in server order.
func logged(t testing.TB, st store.Store) (seqs []uint64, ops []*changeset.Op) {
	t.Helper()
	err := st.EachOp(ctx, 0, func(seq uint64, op *changeset.Op) error {
		seqs = append(seqs, seq)
		ops = append(ops, op)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return seqs, ops
}

func ids(ops []*changeset.Op) []string {
	out := make([]string, len(ops))
	for i, op := range ops {
		out[i] = op.ID()
	}
	return out
}
