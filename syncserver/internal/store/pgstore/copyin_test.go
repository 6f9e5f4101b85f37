package pgstore

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgtype"
)

// copyIn writes what pgx's encoders write for the same values (PostgreSQL's
// binary format), values on either side of inlineMax, read in pieces of
// any size.
func TestCopyInAsPgx(t *testing.T) {
	m := pgtype.NewMap()
	small, large := bytes.Repeat([]byte{7}, inlineMax), bytes.Repeat([]byte{9}, inlineMax+1)
	huge := bytes.Repeat([]byte("op"), 70_000) // over a 64 KiB read
	arrays := [][][]byte{{small}, {large, small, huge}, {{}, large}}

	c := newCopyIn()
	want := []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	field := func(oid uint32, v any) {
		b, err := m.Encode(oid, pgtype.BinaryFormatCode, v, nil)
		if err != nil {
			t.Fatal(err)
		}
		want = binary.BigEndian.AppendUint32(want, uint32(len(b)))
		want = append(want, b...)
	}
	for i, arr := range arrays {
		c.row(4)
		want = binary.BigEndian.AppendUint16(want, 4)
		c.int8(int64(i) - 1)
		field(pgtype.Int8OID, int64(i)-1)
		c.text("NRN-ATB")
		field(pgtype.TextOID, "NRN-ATB")
		c.bytea(arr[len(arr)-1])
		field(pgtype.ByteaOID, arr[len(arr)-1])
		c.byteaArray(arr)
		field(pgtype.ByteaArrayOID, arr)
	}
	want = append(want, 0xff, 0xff)
	c.end()
	if c.rows != int64(len(arrays)) {
		t.Fatalf("%d rows counted, want %d", c.rows, len(arrays))
	}
	for _, size := range []int{1, 7, 4096, 65536} {
		c.seg, c.off = 0, 0
		var got []byte
		p := make([]byte, size)
		for {
			n, err := c.Read(p)
			got = append(got, p[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil || n == 0 {
				t.Fatalf("reading in pieces of %d: %d, %v", size, n, err)
			}
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("read in pieces of %d: %d bytes, not pgx's %d", size, len(got), len(want))
		}
	}
}
