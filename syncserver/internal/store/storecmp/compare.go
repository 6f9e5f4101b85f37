package storecmp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// ErrDiffer is returned, wrapped with the differences, when the stores do
// not hold the same.
var ErrDiffer = errors.New("the stores differ")

// Counts is what Compare found the same in both stores.
type Counts struct {
	Head        uint64 `json:"head"`
	Ops         int    `json:"ops"`
	Devices     int    `json:"devices"`
	Acked       int    `json:"acknowledgements"`
	Refusals    int    `json:"refusals"`
	States      int    `json:"states"`
	Conflicts   int    `json:"conflicts"`
	Published   int    `json:"published_appeals"`
	Councils    int    `json:"public_councils"`
	ChunkOwners int    `json:"chunk_owners"`
	Chunks      int    `json:"chunks"`
}

// Times are compared to the microsecond, what every engine keeps.
const precision = time.Microsecond

// Compare reads everything both stores hold through the contract and
// says whether it is the same: the identity, the log (every operation
// under its number), every device (its fields, token, acknowledgement
// and last sync), every acknowledgement of an author without a device
// (the server's own), every refusal, record state and conflict, the
// public projection, the clock and the account of file chunks. Enrollment
// codes are not compared: the contract gives no way to list them.
func Compare(ctx context.Context, a, b store.Store) (*Counts, error) {
	c := &cmp{ctx: ctx, a: a, b: b}
	for _, step := range []func() error{c.identity, c.log, c.devices, c.acked, c.refusals, c.states, c.conflicts, c.public, c.clock, c.chunks} {
		if err := step(); err != nil {
			return nil, err
		}
		if len(c.diffs) >= maxDiffs {
			break
		}
	}
	if len(c.diffs) > 0 {
		return &c.n, fmt.Errorf("%w:\n  %s", ErrDiffer, strings.Join(c.diffs, "\n  "))
	}
	return &c.n, nil
}

const maxDiffs = 20

type cmp struct {
	ctx     context.Context
	a, b    store.Store
	n       Counts
	diffs   []string
	authors map[string]bool // every device that wrote or was refused, in a
}

func (c *cmp) differ(format string, args ...any) {
	if len(c.diffs) < maxDiffs {
		c.diffs = append(c.diffs, fmt.Sprintf(format, args...))
	}
}

func (c *cmp) identity() error {
	ia, err := c.a.Identity(c.ctx)
	if err != nil {
		return err
	}
	ib, err := c.b.Identity(c.ctx)
	if err != nil {
		return err
	}
	if ia != ib {
		c.differ("identity %+v, and %+v", ia, ib)
	}
	return nil
}

type logged struct {
	seq uint64
	sum [32]byte
	id  string
}

func opSum(op *changeset.Op) ([32]byte, error) {
	b, err := op.AppendBinary(nil)
	return sha256.Sum256(b), err
}

func (c *cmp) log() error {
	ha, err := c.a.Head(c.ctx)
	if err != nil {
		return err
	}
	hb, err := c.b.Head(c.ctx)
	if err != nil {
		return err
	}
	if ha != hb {
		c.differ("the log's head is %d, and %d", ha, hb)
	}
	c.n.Head = ha
	c.authors = map[string]bool{}
	var ops []logged
	err = c.a.EachOp(c.ctx, 0, func(seq uint64, op *changeset.Op) error {
		sum, err := opSum(op)
		ops = append(ops, logged{seq, sum, op.ID()})
		c.authors[op.Device] = true
		return err
	})
	if err != nil {
		return fmt.Errorf("read the first store's log: %w", err)
	}
	i := 0
	err = c.b.EachOp(c.ctx, 0, func(seq uint64, op *changeset.Op) error {
		sum, err := opSum(op)
		if err != nil {
			return err
		}
		switch {
		case i >= len(ops):
			c.differ("log entry %d (%s) is only in the second store", seq, op.ID())
		case ops[i].seq != seq:
			c.differ("log entry %d (%s) of the first store is %d (%s) in the second", ops[i].seq, ops[i].id, seq, op.ID())
		case ops[i].sum != sum:
			c.differ("log entry %d (%s) differs", seq, ops[i].id)
		default:
			c.n.Ops++
		}
		i++
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the second store's log: %w", err)
	}
	if i < len(ops) {
		c.differ("the first store's log holds %d operations, the second's %d", len(ops), i)
	}
	return nil
}

// sameTime compares two optional times to the microsecond.
func sameTime(x, y *time.Time) bool {
	if x == nil || y == nil {
		return x == y
	}
	return x.Truncate(precision).Equal(y.Truncate(precision))
}

func (c *cmp) devices() error {
	da, err := c.a.Devices(c.ctx)
	if err != nil {
		return err
	}
	db, err := c.b.Devices(c.ctx)
	if err != nil {
		return err
	}
	byID := map[string]store.Device{}
	for _, d := range db {
		byID[d.ID] = d
	}
	if len(da) != len(db) {
		c.differ("%d devices, and %d", len(da), len(db))
	}
	for _, d := range da {
		c.authors[d.ID] = true
		e, ok := byID[d.ID]
		switch {
		case !ok:
			c.differ("device %s (%s) is only in the first store", d.ID, d.Name)
			continue
		case d.Name != e.Name || d.DeviceName != e.DeviceName || d.Council != e.Council || d.Role != e.Role || d.Revoked != e.Revoked:
			c.differ("device %s: %+v, and %+v", d.ID, d, e)
		case !sameTime(&d.Enrolled, &e.Enrolled) || !sameTime(d.RevokedAt, e.RevokedAt) || !sameTime(d.LastSeen, e.LastSeen):
			c.differ("device %s's times: enrolled %v, revoked %v, last seen %v; and %v, %v, %v", d.ID, d.Enrolled, d.RevokedAt, d.LastSeen, e.Enrolled, e.RevokedAt, e.LastSeen)
		case d.Acked != e.Acked:
			c.differ("device %s (%s) is acknowledged up to %d, and %d", d.ID, d.Name, d.Acked, e.Acked)
		default:
			c.n.Devices++
		}
		// Its token finds it in both.
		var sum []byte
		err := c.a.View(c.ctx, func(x store.DirTx) error {
			dev, err := x.Device(d.ID)
			if dev != nil {
				sum = dev.TokenHash
			}
			return err
		})
		if err != nil {
			return err
		}
		if len(sum) == 32 {
			got, err := c.b.DeviceByToken(c.ctx, [32]byte(sum))
			if err != nil || got.ID != d.ID {
				c.differ("device %s's token finds %v (%v) in the second store", d.ID, got, err)
			}
		}
	}
	return nil
}

func (c *cmp) acked() error {
	// Authors of refusals without a device are found in refusals(): the
	// acknowledgements of every device seen so far are compared here.
	for dev := range c.authors {
		var x, y uint64
		if err := c.a.ReadLog(c.ctx, func(r store.LogReader) (err error) { x, err = r.Acked(dev); return err }); err != nil {
			return err
		}
		if err := c.b.ReadLog(c.ctx, func(r store.LogReader) (err error) { y, err = r.Acked(dev); return err }); err != nil {
			return err
		}
		if x != y {
			c.differ("device %s is acknowledged up to %d, and %d", dev, x, y)
		} else {
			c.n.Acked++
		}
	}
	return nil
}

func refusalKey(r store.Refusal) string {
	return fmt.Sprintf("%d %d %q %q %q %q %x %d", r.Seq, r.HLC, r.Kind, r.Record, r.Code, r.Message, sha256.Sum256(r.Op), r.At.Truncate(precision).UnixMicro())
}

func (c *cmp) refusals() error {
	for dev := range c.authors {
		var ra, rb []string
		if err := c.a.Refusals(c.ctx, dev, func(r store.Refusal) error { ra = append(ra, refusalKey(r)); return nil }); err != nil {
			return err
		}
		if err := c.b.Refusals(c.ctx, dev, func(r store.Refusal) error { rb = append(rb, refusalKey(r)); return nil }); err != nil {
			return err
		}
		if !slices.Equal(ra, rb) {
			c.differ("device %s's refusals: %d, and %d, not the same", dev, len(ra), len(rb))
		} else {
			c.n.Refusals += len(ra)
		}
	}
	return nil
}

func (c *cmp) states() error {
	sums := map[string][32]byte{}
	err := c.a.EachState(c.ctx, "", func(st *changeset.State) error {
		b, err := st.AppendBinary(nil)
		sums[st.Kind+"\x00"+st.ID] = sha256.Sum256(b)
		return err
	})
	if err != nil {
		return fmt.Errorf("read the first store's states: %w", err)
	}
	seen := 0
	err = c.b.EachState(c.ctx, "", func(st *changeset.State) error {
		b, err := st.AppendBinary(nil)
		if err != nil {
			return err
		}
		want, ok := sums[st.Kind+"\x00"+st.ID]
		switch {
		case !ok:
			c.differ("%s %s is only in the second store", st.Kind, st.ID)
		case want != sha256.Sum256(b):
			c.differ("%s %s differs", st.Kind, st.ID)
			seen++
		default:
			c.n.States++
			seen++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read the second store's states: %w", err)
	}
	if seen != len(sums) {
		c.differ("the first store holds %d records, the second %d of them", len(sums), seen)
	}
	return nil
}

// jsonSet reads what each gives as sorted JSON texts.
func jsonSet[T any](each func(func(T) error) error) ([]string, error) {
	var out []string
	err := each(func(v T) error {
		b, err := json.Marshal(v)
		out = append(out, string(b))
		return err
	})
	slices.Sort(out)
	return out, err
}

func (c *cmp) conflicts() error {
	xa, err := jsonSet(func(fn func(changeset.Conflict) error) error { return c.a.Conflicts(c.ctx, fn) })
	if err != nil {
		return err
	}
	xb, err := jsonSet(func(fn func(changeset.Conflict) error) error { return c.b.Conflicts(c.ctx, fn) })
	if err != nil {
		return err
	}
	if !slices.Equal(xa, xb) {
		c.differ("conflicts: %d, and %d, not the same", len(xa), len(xb))
	} else {
		c.n.Conflicts = len(xa)
	}
	return nil
}

type projection struct {
	version           uint64
	appeals, councils []string
	competitions      []string
	waiting           map[string]int
}

func readProjection(ctx context.Context, st store.Store) (*projection, error) {
	p := &projection{waiting: map[string]int{}}
	err := st.ReadPublic(ctx, func(r store.PublicReader) error {
		v, err := r.Version()
		if err != nil {
			return err
		}
		p.version = v.N
		if p.appeals, err = jsonSet(func(fn func(*store.PublicAppeal) error) error { return r.EachAppeal(fn) }); err != nil {
			return err
		}
		if p.competitions, err = jsonSet(func(fn func(*store.PublicCompetition) error) error { return r.EachCompetition(fn) }); err != nil {
			return err
		}
		var codes []string
		p.councils, err = jsonSet(func(fn func(*store.PublicCouncil) error) error {
			return r.EachCouncil(func(pc *store.PublicCouncil) error { codes = append(codes, pc.Code); return fn(pc) })
		})
		if err != nil {
			return err
		}
		for _, code := range codes {
			if p.waiting[code], err = r.Waiting(code); err != nil {
				return err
			}
		}
		return nil
	})
	return p, err
}

func (c *cmp) public() error {
	pa, err := readProjection(c.ctx, c.a)
	if err != nil {
		return err
	}
	pb, err := readProjection(c.ctx, c.b)
	if err != nil {
		return err
	}
	switch {
	case pa.version != pb.version:
		c.differ("the public projection's version is %d, and %d", pa.version, pb.version)
	case !slices.Equal(pa.appeals, pb.appeals):
		c.differ("published appeals: %d, and %d, not the same", len(pa.appeals), len(pb.appeals))
	case !slices.Equal(pa.councils, pb.councils):
		c.differ("public councils: %d, and %d, not the same", len(pa.councils), len(pb.councils))
	case !slices.Equal(pa.competitions, pb.competitions):
		c.differ("competitions with published winners: %d, and %d, not the same", len(pa.competitions), len(pb.competitions))
	default:
		for code, n := range pa.waiting {
			if pb.waiting[code] != n {
				c.differ("council %s has %d web submissions waiting, and %d", code, n, pb.waiting[code])
			}
		}
		c.n.Published, c.n.Councils = len(pa.appeals), len(pa.councils)
	}
	return nil
}

// clock reads the server's clock and the projection's rule in an Append
// that writes nothing.
func (c *cmp) clock() error {
	read := func(st store.Store) (t hlc.Timestamp, rule int, err error) {
		err = st.Append(c.ctx, func(w store.LogTx) error {
			if t, err = w.Clock(); err != nil {
				return err
			}
			rule, err = w.PublicRule()
			return err
		})
		return t, rule, err
	}
	ta, ra, err := read(c.a)
	if err != nil {
		return err
	}
	tb, rb, err := read(c.b)
	if err != nil {
		return err
	}
	if ta != tb || ra != rb {
		c.differ("the server's clock %v and projection rule %d, and %v and %d", ta, ra, tb, rb)
	}
	return nil
}

func (c *cmp) chunks() error {
	owners := func(st store.Store) (map[string]store.ChunkUsage, error) {
		out := map[string]store.ChunkUsage{}
		err := st.EachChunkOwner(c.ctx, func(owner string, u store.ChunkUsage) error { out[owner] = u; return nil })
		return out, err
	}
	oa, err := owners(c.a)
	if err != nil {
		return err
	}
	ob, err := owners(c.b)
	if err != nil {
		return err
	}
	if len(oa) != len(ob) {
		c.differ("%d owners of file chunks, and %d", len(oa), len(ob))
	}
	for owner, u := range oa {
		if ob[owner] != u {
			c.differ("%s holds %+v of files, and %+v", owner, u, ob[owner])
			continue
		}
		list := func(st store.Store) ([]byte, error) {
			var buf bytes.Buffer
			err := st.EachChunk(c.ctx, owner, func(h store.ChunkHold) error {
				fmt.Fprintf(&buf, "%x %d\n", h.Sum, h.Size)
				return nil
			})
			return buf.Bytes(), err
		}
		la, err := list(c.a)
		if err != nil {
			return err
		}
		lb, err := list(c.b)
		if err != nil {
			return err
		}
		if !bytes.Equal(la, lb) {
			c.differ("the chunks %s holds differ", owner)
			continue
		}
		c.n.ChunkOwners++
		c.n.Chunks += int(u.Chunks)
	}
	return nil
}
