package store

import (
	"slices"
	"sync/atomic"

	"github.com/kenesh/kenesh/shared/changeset"
)

// TailOps is how many of the log's last operations a Tail keeps: when
// hundreds of laptops sync at once, each council's laptops pull the same
// operations of the log's tail, one laptop after another, and each pull
// read them from the engine and decoded them again (a fifth of the
// server's CPU in syncbench's 500 laptops on Badger, where 2,500
// operations are appended between two syncs of a laptop and 23 laptops
// pull each). 4,096 cover that; the server's peak RSS there went 138 ->
// 166 MiB (8,192: 177-192 MiB for no CPU saved beyond the noise).
const TailOps = 1 << 12

// An operation is kept only while it is small: its storage encoding at
// most TailOpBytes and its fields at most TailOpFields. A laptop may send
// operations of up to a megabyte (syncproto.MaxOpBytes), and a decoded
// operation takes more memory than its encoding (a map entry and a Change
// for each field), so the tail of a log a hostile or buggy laptop filled
// with large operations would otherwise hold gigabytes; bounded so, it
// holds at most about 110 MiB (TailOps operations of 8 KiB and 128 fields
// decoded; their names and changes in order add at most about 15 MiB,
// TailChangesFields), and a council's ordinary operations (a few hundred
// bytes to a few kilobytes, about 20 fields for a new appeal) are all
// kept.
const (
	TailOpBytes  = 8 << 10
	TailOpFields = 128
)

// Tail holds operations of the log's tail as an engine's pulls decoded
// them, by server seq. An operation in the log never changes once
// committed, so a kept operation is the one the engine holds, in every
// process of a deployment; pulls read the same *changeset.Op and must not
// change it. Only operations within TailOps of the head are kept: a new
// laptop's first pull of the whole log would otherwise push the tail out
// for operations read once. Safe for concurrent use: each slot is one
// atomic pointer, a seq's slot being seq modulo TailOps. The zero value is
// ready to use.
type Tail struct {
	slots [TailOps]atomic.Pointer[TailOp]
}

// TailOp is one operation kept, never changed once made: with its size
// under a PullLimits.SizeName when the pull that decoded it named one,
// and its field names in order when that pull asked for them
// (PullLimits.Names).
type TailOp struct {
	Seq      uint64
	Op       *changeset.Op
	SizeName string
	Size     int
	Names    []string
	// Changes are Op's changes in the order of Names, kept with them
	// for an operation of at most TailChangesFields fields: a binary
	// page took a third of its time looking each field up in the
	// operation's map.
	Changes []changeset.Change
}

// TailChangesFields bounds the fields of an operation whose changes a
// Tail keeps in order: 56 bytes a field more, at most about 7 MiB for
// TailOps operations (a new appeal has about 20 fields, later steps a
// few).
const TailChangesFields = 32

// Get returns operation seq, or nil when it is not held.
func (t *Tail) Get(seq uint64) *TailOp {
	if e := t.slots[seq%TailOps].Load(); e != nil && e.Seq == seq {
		return e
	}
	return nil
}

// Keep makes the entry of op, decoded as operation seq by a pull under
// lim (its size counted when lim names its Size) from a storage encoding
// of encoded bytes, and keeps it when it is in the tail of a log whose
// head is head and small enough (TailOpBytes, TailOpFields).
func (t *Tail) Keep(seq, head uint64, op *changeset.Op, encoded int, lim *PullLimits) *TailOp {
	e := &TailOp{Seq: seq, Op: op}
	if lim.Encode == nil && lim.Size != nil && lim.SizeName != "" {
		e.SizeName, e.Size = lim.SizeName, lim.Size(op)
	}
	if lim.Names {
		e.Names = FieldNames(op)
		if len(e.Names) <= TailChangesFields {
			e.Changes = make([]changeset.Change, len(e.Names))
			for i, name := range e.Names {
				e.Changes[i] = op.Fields[name]
			}
		}
	}
	if head-seq < TailOps && seq <= head && encoded <= TailOpBytes && len(op.Fields) <= TailOpFields {
		t.slots[seq%TailOps].Store(e)
	}
	return e
}

// SizeOf is what e takes of a page under lim: the size kept with it when
// lim names the same Size, else lim.Size's answer.
func (e *TailOp) SizeOf(lim *PullLimits) int {
	if lim.SizeName != "" && e.SizeName == lim.SizeName {
		return e.Size
	}
	return lim.Size(e.Op)
}

// NamesOf is e's operation's field names in order: those kept with it, or
// sorted now when the pull that kept it did not ask for them.
func (e *TailOp) NamesOf() []string {
	if e.Names != nil || len(e.Op.Fields) == 0 {
		return e.Names
	}
	return FieldNames(e.Op)
}

// FieldNames is op's field names, sorted.
func FieldNames(op *changeset.Op) []string {
	if len(op.Fields) == 0 {
		return nil
	}
	names := make([]string, 0, len(op.Fields))
	for name := range op.Fields {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
