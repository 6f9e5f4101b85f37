package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// maxRowOps bounds the operations of one row of the log (migration 0006):
// a change set of a laptop (at most syncproto.MaxPushOps, 2,000) is one
// row, and a pull that starts in the middle of a row never has the
// database read more than this many operations' worth to find its place.
const maxRowOps = 2048

// logRows are rows of the log being written, as columns for unnest: row i
// holds the operations ops[lo[i]-1 : lo[i]-1+last[i]-first[i]+1], of one
// device and one pull index, with consecutive server and device seqs.
type logRows struct {
	last, first, dlast []int64
	device, ix         []string
	lo                 []int32 // 1-based, as PostgreSQL's arrays
	ops                [][]byte
}

// add appends operation (dev, dseq) of server seq seq to the last row, or
// to a new one when it does not follow that row's last operation (another
// device or index, a device seq that jumped over a refused one) or the row
// is full.
func (r *logRows) add(seq int64, dev string, dseq int64, ix string, op []byte) {
	n := len(r.last) - 1
	if n >= 0 && r.device[n] == dev && r.ix[n] == ix && r.last[n]+1 == seq && r.dlast[n]+1 == dseq && r.last[n]-r.first[n]+1 < maxRowOps {
		r.last[n], r.dlast[n] = seq, dseq
	} else {
		r.last, r.first, r.dlast = append(r.last, seq), append(r.first, seq), append(r.dlast, dseq)
		r.device, r.ix = append(r.device, dev), append(r.ix, ix)
		r.lo = append(r.lo, int32(len(r.ops)+1))
	}
	r.ops = append(r.ops, op)
}

// insertLog writes logRows: every operation goes as one array, which each
// row takes its slice of.
const insertLog = `INSERT INTO log (last, first, device, dlast, ix, ops)
	SELECT r.last, r.first, r.device, r.dlast, r.ix, ($7::bytea[])[r.lo : r.lo + (r.last - r.first)]
	FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::integer[]) AS r(last, first, device, dlast, ix, lo)`

// queue queues the rows' insert in b, if there are any.
func (r *logRows) queue(b *pgx.Batch) {
	if len(r.last) > 0 {
		b.Queue(insertLog, r.args()...)
	}
}

// copy writes logRows with COPY, each row's operations its slice of ops.
func (r *logRows) copy(ctx context.Context, tx pgx.Tx) error {
	c := newCopyIn()
	for i := range r.last {
		lo := int64(r.lo[i]) - 1
		c.row(6)
		c.int8(r.last[i])
		c.int8(r.first[i])
		c.text(r.device[i])
		c.int8(r.dlast[i])
		c.text(r.ix[i])
		c.byteaArray(r.ops[lo : lo+r.last[i]-r.first[i]+1])
	}
	if err := c.send(ctx, tx, "log", "last, first, device, dlast, ix, ops"); err != nil {
		return fmt.Errorf("write the log: %w", err)
	}
	return nil
}

func (r *logRows) args() []any {
	return []any{r.last, r.first, r.device, r.dlast, r.ix, r.lo, r.ops}
}

// reset empties r, keeping its arrays.
func (r *logRows) reset() {
	r.last, r.first, r.dlast = r.last[:0], r.first[:0], r.dlast[:0]
	r.device, r.ix, r.lo = r.device[:0], r.ix[:0], r.lo[:0]
	clear(r.ops)
	r.ops = r.ops[:0]
}

// checkRow checks that a row of the log read from server seq lo on (its
// operations from lo to last) holds as many operations as its numbers say.
func checkRow(first, last int64, lo uint64, ops [][]byte) error {
	if want := u64(last) - lo + 1; first > last || lo < u64(first) || lo > u64(last) || uint64(len(ops)) != want {
		return fmt.Errorf("the log's row %d..%d read from %d holds %d operations, want %d: the log is damaged", first, last, lo, len(ops), want)
	}
	return nil
}
