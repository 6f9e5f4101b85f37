package store

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
)

// Device is an enrolled laptop (or other client).
type Device struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`                  // given by the administrator with the code
	DeviceName string     `json:"device_name,omitempty"` // the laptop's own name, sent when enrolling
	Council    string     `json:"council"`
	Role       string     `json:"role"`
	Enrolled   time.Time  `json:"enrolled"`
	LastSeen   *time.Time `json:"last_seen"`
	Revoked    bool       `json:"revoked"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	Acked      uint64     `json:"acked"`

	// TokenHash is the SHA-256 of the device's token, set by
	// DirTx.SetToken; never shown.
	TokenHash []byte `json:"-"`
}

// Clone is a copy of d that shares nothing with it: what a store's cache
// of devices keeps and hands out, so that no caller's change reaches
// another's.
func (d *Device) Clone() *Device {
	out := *d
	if d.LastSeen != nil {
		t := *d.LastSeen
		out.LastSeen = &t
	}
	if d.RevokedAt != nil {
		t := *d.RevokedAt
		out.RevokedAt = &t
	}
	out.TokenHash = bytes.Clone(d.TokenHash)
	return &out
}

// Code is an enrollment code: only its SHA-256 is the key.
type Code struct {
	// Device, if set, is the one device id the code enrolls: a code to
	// re-bind an enrolled laptop (reinstalled, its token lost). A code
	// without it enrolls only a device id new to the server.
	Device  string     `json:"device,omitempty"`
	Council string     `json:"council,omitempty"`
	Role    string     `json:"role"`
	Name    string     `json:"name"`
	Created time.Time  `json:"created"`
	Expires time.Time  `json:"expires"`
	UsedBy  string     `json:"used_by,omitempty"`
	UsedAt  *time.Time `json:"used_at,omitempty"`
}

// Judgement is what the store keeps of one judged operation of a device:
// enough to tell a resend of the same operation from another one under
// the same (device, seq), and to repeat a refusal.
type Judgement struct {
	ServerSeq uint64 // 0 when refused
	HLC       uint64
	Kind      string
	Record    string
	Code      string // refusal code ("" when accepted)
	Message   string // refusal message
}

// Refusal is an operation the server refused, kept for audit and told
// again to a laptop that sends it again.
type Refusal struct {
	Device  string
	Seq     uint64
	HLC     uint64
	Kind    string
	Record  string
	Code    string
	Message string
	// Op is the operation as it came (its wire JSON); what a store keeps
	// and reads back is CutRefusedOp's: whole up to MaxRefusedOp bytes.
	Op json.RawMessage
	At time.Time
}

// Index says which pull index an operation goes to.
type Index struct {
	Global  bool   // every device reads it
	Council string // the council whose devices read it ("" with Global)
}

// Scope says which operations a device may read.
type Scope struct {
	All     bool   // every operation (central staff)
	Council string // this council's records ("" for none)
	Global  bool   // records of the global kinds (councils, materials)
}

// PullLimits bound one page.
type PullLimits struct {
	// MaxBytes bounds the encoded operations of the page; the first one
	// is always included.
	MaxBytes int
	// Encode is the operation as the page will carry it (the store does
	// not know the wire): a page is sized by what is really sent, and the
	// encoding is kept (Page.Encoded) so it is made once. nil: the
	// operation in the engine's storage encoding.
	Encode func(*changeset.Op) ([]byte, error)
	// Size, when Encode is nil, is what the operation takes of the page,
	// for a caller that encodes the page whole from Ops (a binary page
	// writes each record's operations together, and strings once): the
	// page is sized by it, MaxOpBytes compares with it, and Encoded is
	// left nil.
	Size func(*changeset.Op) int
	// SizeName, when Size is a function of the operation alone, names it
	// (the api's "wire" for syncproto.WireSize): an engine that keeps the
	// operations it decoded may keep their sizes with them under that
	// name and not ask Size again. "": Size is asked for every operation.
	SizeName string
	// MaxOpBytes, if set, withholds an operation whose encoding is longer
	// (Page.Withheld), as one Encode fails on: one that could never fit a
	// page must not stop the pull of everyone who sees it.
	MaxOpBytes int
	MaxOps     int // 0: 1,000
	MaxScan    int // index entries looked at, visible or not; 0: 100,000
	// Names asks for each operation's field names in order (Page.Names)
	// and, where the engine keeps them, its changes in that order
	// (Page.Changes), for a caller that writes the page from Ops field by
	// field in that order (the api's binary page): an engine that keeps
	// the operations it decoded (Tail) keeps them so, sorted once and not
	// once for each laptop that pulls them.
	Names bool
}

// Page is one page of a pull. Its promises: operations in server order,
// each once; Cursor is the sequence number of the last entry looked at,
// and no operation at or below Cursor appears later (see the package doc);
// when nothing visible is left, Cursor is the head of the log, so the
// device never looks again at what it may not see; a cursor past the head
// (from before a restore) comes back as the head.
type Page struct {
	Ops     []*changeset.Op
	Encoded [][]byte // Ops as PullLimits.Encode made them (nil with PullLimits.Size)
	Bytes   int      // length of Encoded (the sum of Size)
	// Names, with PullLimits.Names, is each of Ops's field names, sorted
	// (FieldNames): read only, shared with other pulls.
	Names [][]string
	// Changes, with PullLimits.Names, is each of Ops's changes in the
	// order of its Names, or nil for one whose changes the engine did not
	// keep so (TailOp.Changes): read only, shared with other pulls.
	Changes [][]changeset.Change
	// Withheld are operations skipped because they were over MaxOpBytes
	// or could not be encoded (their ids, "device/seq"); the cursor moved
	// past them.
	Withheld []string
	Cursor   uint64 // the server seq of the last entry scanned
	More     bool   // more entries may wait after Cursor
	Head     uint64 // the last server seq given when the page was read
}

// pageStart is the room a page's slices are made with when its first
// operation is added: under 500 laptops syncing at once each page holds
// about 115 operations, and growing Ops, Names and Changes from nothing
// one doubling at a time was a fifth of a Badger pull's CPU (24
// allocations a page, and twice the bytes copied).
const pageStart = 64

// Add appends op to the page as an engine's pull found it: enc its
// encoding (kept in Encoded unless lim sizes operations with Size), e its
// Tail entry (its names and changes in order, with lim.Names), size what
// it takes of the page.
func (p *Page) Add(op *changeset.Op, enc []byte, e *TailOp, size int, lim *PullLimits) {
	encoded := lim.Encode != nil || lim.Size == nil
	if p.Ops == nil {
		n := pageStart
		if lim.MaxOps > 0 {
			n = min(n, lim.MaxOps)
		}
		p.Ops = make([]*changeset.Op, 0, n)
		if encoded {
			p.Encoded = make([][]byte, 0, n)
		}
		if lim.Names {
			p.Names, p.Changes = make([][]string, 0, n), make([][]changeset.Change, 0, n)
		}
	}
	p.Ops = append(p.Ops, op)
	if encoded {
		p.Encoded = append(p.Encoded, enc)
	}
	if lim.Names {
		p.Names = append(p.Names, e.NamesOf())
		p.Changes = append(p.Changes, e.Changes)
	}
	p.Bytes += size
}
