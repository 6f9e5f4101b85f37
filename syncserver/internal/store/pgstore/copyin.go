package pgstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"
)

// copyIn is the data of a COPY ... FROM STDIN BINARY, written by this
// package rather than by pgx's CopyFrom: pgx encodes a bytea[] through
// reflection, one element at a time, into one buffer grown from small for
// the whole row (a log row of a large change set is some hundreds of
// kilobytes, and that growing, with the collector's assists it caused,
// was about a tenth of the server's CPU in a PostgreSQL push, on the path
// every change set takes in turn). Here the fields' headers and small
// values are written into one buffer, and large values (operations,
// states) are read where they are when the data is sent: nothing is
// copied twice, nothing grows with the row.
//
// The format is PostgreSQL's (the COPY command's "Binary Format"): a
// header, then each row as its field count and each field as its length
// and bytes (big-endian), then -1.
type copyIn struct {
	buf  []byte   // headers and small values
	segs [][]byte // the data in order: parts of buf, and large values
	mark int      // buf[mark:] is not in segs yet
	rows int64

	// reading
	seg, off int
}

// inlineMax is the largest value copied into copyIn's buffer rather than
// read where it is.
const inlineMax = 128

// Array element type: bytea (pg_type.oid), which array_recv checks.
const byteaOID = 17

func newCopyIn() *copyIn {
	c := &copyIn{buf: make([]byte, 0, 4096)}
	c.buf = append(c.buf, "PGCOPY\n\xff\r\n\x00"...)
	c.buf = binary.BigEndian.AppendUint32(c.buf, 0) // flags
	c.buf = binary.BigEndian.AppendUint32(c.buf, 0) // header extension
	return c
}

// row starts a row of n fields.
func (c *copyIn) row(n int) {
	c.rows++
	c.buf = binary.BigEndian.AppendUint16(c.buf, uint16(n))
}

func (c *copyIn) int8(v int64) {
	c.buf = binary.BigEndian.AppendUint32(c.buf, 8)
	c.buf = binary.BigEndian.AppendUint64(c.buf, uint64(v))
}

// text is a text field (its bytes: the database's encoding is UTF-8).
func (c *copyIn) text(s string) {
	c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(len(s)))
	c.buf = append(c.buf, s...)
}

func (c *copyIn) bytea(b []byte) {
	c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(len(b)))
	c.bytes(b)
}

// byteaArray is a bytea[] field of one dimension, from 1, without NULLs.
func (c *copyIn) byteaArray(els [][]byte) {
	n := 20 // dimensions, NULLs, element type, the dimension's size and lower bound
	for _, e := range els {
		n += 4 + len(e)
	}
	for _, v := range []int{n, 1, 0, byteaOID, len(els), 1} {
		c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(v))
	}
	for _, e := range els {
		c.buf = binary.BigEndian.AppendUint32(c.buf, uint32(len(e)))
		c.bytes(e)
	}
}

// bytes adds b, copied if small, else as it is (not to change before the
// data is read).
func (c *copyIn) bytes(b []byte) {
	if len(b) <= inlineMax {
		c.buf = append(c.buf, b...)
		return
	}
	c.cut()
	c.segs = append(c.segs, b)
}

// cut ends the part of buf not in segs yet. (When buf grows later, the
// parts already in segs keep the array they were written in.)
func (c *copyIn) cut() {
	if len(c.buf) > c.mark {
		c.segs = append(c.segs, c.buf[c.mark:len(c.buf):len(c.buf)])
		c.mark = len(c.buf)
	}
}

// Read implements io.Reader, for pgconn's CopyFrom, once the data is
// written (end).
func (c *copyIn) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) && c.seg < len(c.segs) {
		m := copy(p[n:], c.segs[c.seg][c.off:])
		n += m
		if c.off += m; c.off == len(c.segs[c.seg]) {
			c.seg, c.off = c.seg+1, 0
		}
	}
	if n == 0 && c.seg == len(c.segs) {
		return 0, io.EOF
	}
	return n, nil
}

// end ends the data.
func (c *copyIn) end() {
	c.buf = binary.BigEndian.AppendUint16(c.buf, 0xffff)
	c.cut()
}

// send ends the data and copies it into table's columns (cols, as SQL) in
// tx, checking that every row was taken.
func (c *copyIn) send(ctx context.Context, tx pgx.Tx, table, cols string) error {
	c.end()
	tag, err := tx.Conn().PgConn().CopyFrom(ctx, c, "COPY "+table+" ("+cols+") FROM STDIN BINARY")
	if err != nil {
		return err
	}
	if n := tag.RowsAffected(); n != c.rows {
		return fmt.Errorf("%d rows copied of %d", n, c.rows)
	}
	return nil
}
