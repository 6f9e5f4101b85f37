package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

func TestBatchEncoding(t *testing.T) {
	for _, tc := range []struct {
		last  uint64
		items [][]byte
	}{
		{1, [][]byte{[]byte("a")}},
		{2000, [][]byte{[]byte("one"), {}, bytes.Repeat([]byte("ы"), 300), []byte("four")}},
	} {
		v := appendBatch(nil, tc.items)
		b, err := decodeBatch(tc.last, v)
		if err != nil {
			t.Fatal(err)
		}
		first := tc.last - uint64(len(tc.items)) + 1
		if b.first != first || b.item(first-1) != nil || b.item(tc.last+1) != nil {
			t.Fatalf("batch %d: first %d, out of range %q %q", tc.last, b.first, b.item(first-1), b.item(tc.last+1))
		}
		for i, it := range tc.items {
			if got := b.item(first + uint64(i)); !bytes.Equal(got, it) {
				t.Fatalf("item %d: %q, want %q", i, got, it)
			}
		}
		for n := range len(v) {
			if _, err := decodeBatch(tc.last, v[:n]); err == nil {
				t.Fatalf("cut at %d/%d decoded", n, len(v))
			}
		}
	}
	// A batch cannot hold more operations than its last number.
	if _, err := decodeBatch(2, appendBatch(nil, [][]byte{{1}, {2}, {3}})); err == nil {
		t.Fatal("3 items ending at seq 2 decoded")
	}
}

func TestIndexEncoding(t *testing.T) {
	for _, entries := range [][]ixEntry{
		{{seq: 1, author: "a"}},
		{{seq: 5, author: "dev1"}, {seq: 6, author: "dev1"}, {seq: 90, author: "dev2"}, {seq: 91, author: "dev1"}, {seq: 1 << 40, author: "dev1"}},
	} {
		last := entries[len(entries)-1].seq
		v := appendIndex(nil, entries)
		got, err := decodeIndex(last, v, nil)
		if err != nil || !slices.Equal(got, entries) {
			t.Fatalf("round trip: %+v, %v; want %+v", got, err, entries)
		}
		for n := range len(v) {
			if _, err := decodeIndex(last, v[:n], nil); err == nil {
				t.Fatalf("cut at %d/%d decoded", n, len(v))
			}
		}
	}
}

// Stored batches come back from backups too: whatever the bytes, decoding
// fails cleanly or gives what encodes back to them.
func FuzzDecodeBatch(f *testing.F) {
	f.Add(uint64(10), appendBatch(nil, [][]byte{[]byte("x"), []byte("yz")}))
	f.Fuzz(func(t *testing.T, last uint64, v []byte) {
		b, err := decodeBatch(last, v)
		if err != nil {
			return
		}
		var items [][]byte
		for seq := b.first; seq <= b.last; seq++ {
			items = append(items, b.item(seq))
		}
		back, err := decodeBatch(last, appendBatch(nil, items))
		if err != nil || back.first != b.first {
			t.Fatalf("re-encoding: %+v, %v", back, err)
		}
		for seq := b.first; seq <= b.last; seq++ {
			if !bytes.Equal(back.item(seq), b.item(seq)) {
				t.Fatalf("re-encoding: item %d is %q, was %q", seq, back.item(seq), b.item(seq))
			}
		}
	})
}

func FuzzDecodeIndex(f *testing.F) {
	f.Add(uint64(91), appendIndex(nil, []ixEntry{{seq: 5, author: "d"}, {seq: 90, author: "d"}, {seq: 91, author: "e"}}))
	f.Fuzz(func(t *testing.T, last uint64, v []byte) {
		e, err := decodeIndex(last, v, nil)
		if err != nil {
			return
		}
		back, err := decodeIndex(last, appendIndex(nil, e), nil)
		if err != nil || !slices.Equal(back, e) {
			t.Fatalf("re-encoding %+v: %+v, %v", e, back, err)
		}
	})
}

// TestAppendItems: a batch made from items appended to one buffer is the
// batch of the same items made one by one, and items gives each back.
func TestAppendItems(t *testing.T) {
	for _, list := range [][][]byte{
		{[]byte("a")},
		{[]byte("op one"), {}, []byte("three"), bytes.Repeat([]byte{7}, 300)},
		{{}, {}},
	} {
		var it items
		for _, x := range list {
			it.b = append(it.b, x...)
			it.added()
		}
		if got, want := appendItems(nil, &it), appendBatch(nil, list); !bytes.Equal(got, want) {
			t.Errorf("%q: %x, want %x", list, got, want)
		}
		for i, x := range list {
			if !bytes.Equal(it.item(i), x) {
				t.Errorf("%q: item %d is %q", list, i, it.item(i))
			}
		}
	}
}

func TestPackBatch(t *testing.T) {
	// A push's operations repeat their devices, kinds and fields: packed.
	var items [][]byte
	for i := range 2000 {
		items = append(items, fmt.Appendf(nil, `{"device":"d-7f3a","kind":"appeal","id":"A-%06d","field":"status","value":"registered"}`, i))
	}
	raw := appendBatch(nil, items)
	v := packBatch(slices.Clone(raw))
	if v[0] != batchPacked || len(v) > len(raw)/3 {
		t.Fatalf("packed %d bytes into %d (kind %#x)", len(raw), len(v), v[0])
	}
	got, err := unpackBatch(2000, v)
	if err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("unpacked: %d bytes, %v", len(got), err)
	}
	// Damaged packings are errors, never operations.
	for _, bad := range [][]byte{v[:1], v[:len(v)/2], append([]byte{batchPacked, 0xff, 0xff, 0xff, 0xff, 0x7f}, v[6:]...)} {
		if _, err := unpackBatch(2000, bad); !errors.Is(err, errDamagedBatch) {
			t.Fatalf("%d bytes of a packed batch: %v", len(bad), err)
		}
	}
	// What packing would not shrink by an eighth is kept as it is, and
	// read as it is (as are the batches of format 2).
	noise := make([]byte, 4096)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	small := appendBatch(nil, [][]byte{[]byte("one")})
	for _, raw := range [][]byte{appendBatch(nil, [][]byte{noise}), small} {
		v := packBatch(raw)
		if &v[0] != &raw[0] {
			t.Fatalf("a batch of %d bytes packed to %d", len(raw), len(v))
		}
		if got, err := unpackBatch(1, v); err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("unpacked %d bytes of an unpacked batch: %v", len(got), err)
		}
	}
}

// TestPackedBatchOwnsItsBytes: the entries packedBatch makes (packed, too
// small to pack, not shrinking when packed) stay as they were made while
// the pooled buffers they were encoded and packed in are used again, and
// unpack to their batches.
func TestPackedBatchOwnsItsBytes(t *testing.T) {
	var ops [][]byte
	for i := range 2000 {
		ops = append(ops, fmt.Appendf(nil, `{"device":"d-7f3a","kind":"appeal","id":"A-%06d","field":"status"}`, i))
	}
	noise := make([]byte, 4096)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	for _, items := range [][][]byte{ops, {noise}, {[]byte("one")}} {
		raw := appendBatch(nil, items)
		v := packedBatch(func(b []byte) []byte { return appendBatch(b, items) })
		want := slices.Clone(v)
		for i := range 8 {
			// Other batches through the same pool, of other bytes.
			other := [][]byte{bytes.Repeat([]byte{byte(i)}, len(raw)), noise}
			packedBatch(func(b []byte) []byte { return appendBatch(b, other) })
			packBatch(appendBatch(nil, other))
		}
		if !bytes.Equal(v, want) {
			t.Fatalf("the entry of a batch of %d bytes changed as the pool was used again", len(raw))
		}
		if got, err := unpackBatch(uint64(len(items)), v); err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("unpacked %d of %d bytes: %v", len(got), len(raw), err)
		}
	}
}

// TestAcceptEncoded: an operation accepted with its encoding made
// beforehand is logged, judged and read back as Accept logs it.
func TestAcceptEncoded(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, t.TempDir(), Options{Small: true, MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ops []*changeset.Op
	for seq := uint64(1); seq <= 6; seq++ {
		ops = append(ops, v1TestOp("dev", seq, "appeal", "NRN-ATB"))
	}
	err = st.Append(ctx, func(w store.LogTx) error {
		for i, op := range ops {
			ix := store.Index{Council: op.Council}
			if i%2 == 0 {
				if _, err := w.Accept(op, ix); err != nil {
					return err
				}
				continue
			}
			enc, err := op.AppendBinary(nil)
			if err != nil {
				return err
			}
			if _, err := w.(store.EncodedAccepter).AcceptEncoded(op, enc, ix); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []*changeset.Op
	err = st.EachOp(ctx, 0, func(seq uint64, op *changeset.Op) error {
		if seq != uint64(len(got)+1) {
			t.Errorf("op %d at server seq %d", len(got)+1, seq)
		}
		got = append(got, op)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, ops) {
		t.Fatalf("logged %+v\nwant %+v", got, ops)
	}
	err = st.ReadLog(ctx, func(x store.LogReader) error {
		for _, op := range ops {
			j, err := x.Judgement(op.Device, op.Seq)
			if err != nil {
				return err
			}
			if j == nil || j.Record != op.Record || j.HLC != uint64(op.HLC) {
				t.Errorf("judgement of %s/%d: %+v", op.Device, op.Seq, j)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
