package syncproto

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

// binaryRequests are requests of every shape a laptop sends: none, one,
// many records interleaved, a record whose council changes, settled
// values, a nil value, bases behind and ahead of the operation's clock.
func binaryRequests() map[string]*SyncRequest {
	dev := "01a21153-0b49-7f01-9325-83417e1d6f9d"
	sample := sampleRequest()
	out := map[string]*SyncRequest{
		"no operations":    {Proto: 2, Cap: CurrentCapability, Device: dev, Cursor: 99, Pull: true, MaxPull: 1 << 20},
		"acknowledge only": {Proto: 2, Device: dev},
		"one operation":    &sample,
		"500 operations":   benchRequest(500),
		"2000 operations":  benchRequest(MaxPushOps),
	}
	mixed := &SyncRequest{Proto: 3, Cap: 9, Device: dev, Cursor: 1 << 40}
	t0 := uint64(hlc.New(1764064800000, 0))
	for i := range 12 {
		w := WireOp{Device: dev, Seq: 7 + uint64(i), HLC: t0 + uint64(i*65536) - uint64(i%3)*1000, Kind: "appeal",
			Record: fmt.Sprintf("rec-%d", i%4), Council: "NRN-ATB", Action: "update", Author: "катчы",
			Fields: map[string]WireChange{"status": {V: json.RawMessage(`"received"`), B: t0 + uint64(i*70000)}}}
		switch i {
		case 5:
			w.Council = "NRN-JUM" // the record moved
		case 6:
			w.Kind = "event"
			w.Fields["note"] = WireChange{V: nil, S: []WireVersion{{T: t0 - 5, D: "other"}, {T: t0 + 1<<40, D: dev}}}
		case 9:
			w.Council, w.Author = "", ""
			w.Fields["text"] = WireChange{V: json.RawMessage(`"` + strings.Repeat("ң", 3000) + `"`)}
		}
		mixed.Ops = append(mixed.Ops, w)
	}
	out["records interleaved, moved, settled"] = mixed
	return out
}

// viaJSON is what the server decodes from req sent as protocol 1's JSON.
func viaJSON(t *testing.T, req *SyncRequest) []byte {
	t.Helper()
	raw, err := Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeSyncRequest(raw)
	if err != nil {
		t.Fatal(err)
	}
	return mustMarshal(t, back)
}

func TestBinaryRequestRoundTrip(t *testing.T) {
	for name, req := range binaryRequests() {
		t.Run(name, func(t *testing.T) {
			raw, err := AppendSyncRequest(nil, req)
			if err != nil {
				t.Fatal(err)
			}
			if !IsBinaryRequest(raw) {
				t.Fatalf("not marked binary: % x", raw[:8])
			}
			got, err := DecodeSyncRequest(raw)
			if err != nil {
				t.Fatal(err)
			}
			// The same request as the JSON body decodes to.
			if g, w := mustMarshal(t, got), viaJSON(t, req); !bytes.Equal(g, w) {
				t.Fatalf("binary decodes to\n%.600s\nJSON to\n%.600s", g, w)
			}
			// Every body is read whole: one byte less is refused.
			if _, err := DecodeSyncRequest(raw[:len(raw)-1]); !errors.Is(err, ErrFrame) {
				t.Fatalf("cut off by one byte: %v", err)
			}
		})
	}
}

func TestAppendSyncRequestRefuses(t *testing.T) {
	base := benchRequest(3)
	other := *base
	other.Ops = append([]WireOp(nil), base.Ops...)
	other.Ops[1].Device = "someone-else"
	gap := *base
	gap.Ops = []WireOp{base.Ops[0], base.Ops[2]}
	for name, req := range map[string]*SyncRequest{"another device's operation": &other, "a gap": &gap} {
		if _, err := AppendSyncRequest(nil, req); err == nil {
			t.Errorf("%s: encoded", name)
		}
	}
}

// body builds a binary request by hand: the header, then what follows.
func body(proto, nops uint64, rest ...[]byte) []byte {
	b := append([]byte(nil), binMagic...)
	for _, v := range []uint64{proto, 7} {
		b = binary.AppendUvarint(b, v)
	}
	b = appendStr(b, "dev")
	b = append(b, 5, 1, 0) // cursor, flags (pull), max pull
	b = binary.AppendUvarint(b, nops)
	for _, r := range rest {
		b = append(b, r...)
	}
	return b
}

func uv(vs ...uint64) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.AppendUvarint(b, v)
	}
	return b
}

// newStr is a ref to a new string.
func newStr(s string) []byte { return appendStr([]byte{0}, s) }

// op is one operation of a group: seq delta, hlc delta 2 (zigzag 4),
// action and author refs, then its fields.
func op(seqDelta uint64, fields ...[]byte) []byte {
	b := uv(seqDelta, 4)
	b = append(b, newStr("update")...)
	b = append(b, newStr("")...)
	b = append(b, uv(uint64(len(fields)))...)
	for _, f := range fields {
		b = append(b, f...)
	}
	return b
}

func field(name string, settles uint64) []byte {
	b := append(newStr(name), appendStr(nil, `"x"`)...)
	b = append(b, 0)
	b = append(b, uv(settles)...)
	for range settles {
		b = append(b, 2)
		b = append(b, newStr("d")...)
	}
	return b
}

func group(n uint64, ops ...[]byte) []byte {
	b := append(newStr("appeal"), newStr("r1")...)
	b = append(b, newStr("NRN-ATB")...)
	b = append(b, uv(n)...)
	for _, o := range ops {
		b = append(b, o...)
	}
	return b
}

func TestDecodeBinaryRequest(t *testing.T) {
	good := body(2, 2, uv(10, 1), group(2, op(0, field("a", 0)), op(1, field("b", 1))))
	req, err := DecodeSyncRequest(good)
	if err != nil {
		t.Fatal(err)
	}
	if req.Proto != 2 || req.Cap != 7 || req.Device != "dev" || req.Cursor != 5 || !req.Pull || len(req.Ops) != 2 ||
		req.Ops[1].Seq != 11 || req.Ops[1].HLC != 4 || req.Ops[1].Device != "dev" || len(req.Ops[1].Fields["b"].S) != 1 ||
		req.Ops[1].Fields["b"].S[0].T != 3 || string(req.Ops[0].Fields["a"].V) != `"x"` {
		t.Fatalf("decoded %+v", req)
	}
	manyFields := make([][]byte, changeset.MaxFieldsPerOp+1)
	for i := range manyFields {
		manyFields[i] = field(fmt.Sprint(i), 0)
	}
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"protocol 1 in a binary body", body(1, 0), ErrFrame},
		{"cut off in the header", good[:6], ErrFrame},
		{"bytes after the end", append(append([]byte(nil), good...), 0), ErrFrame},
		{"too many operations", body(2, MaxPushOps+1), ErrLimit},
		{"first seq 0", body(2, 1, uv(0, 1), group(1, op(0, field("a", 0)))), ErrFrame},
		{"more groups than operations", body(2, 1, uv(10, 2)), ErrFrame},
		{"a group larger than what is left", body(2, 1, uv(10, 1), group(2, op(0, field("a", 0)), op(1, field("a", 0)))), ErrFrame},
		{"fewer operations in groups than declared", body(2, 3, uv(10, 1), group(2, op(0, field("a", 0)), op(1, field("a", 0)))), ErrFrame},
		{"a seq outside the change set", body(2, 2, uv(10, 1), group(2, op(0, field("a", 0)), op(5, field("a", 0)))), ErrFrame},
		{"a seq twice", body(2, 2, uv(10, 2), group(1, op(0, field("a", 0))), group(1, op(0, field("a", 0)))), ErrFrame},
		{"a record's operations out of order", body(2, 2, uv(10, 1), group(2, op(1, field("a", 0)), op(0, field("a", 0)))), ErrFrame},
		{"a field twice", body(2, 1, uv(10, 1), group(1, op(0, field("a", 0), field("a", 0)))), ErrFrame},
		{"a string not in the table", body(2, 1, uv(10, 1), uv(3)), ErrFrame},
		{"a string longer than the body", body(2, 1, uv(10, 1), []byte{0, 200}), ErrFrame},
		{"too many fields in an operation", body(2, 1, uv(10, 1), group(1, op(0, manyFields...))), ErrLimit},
		{"a field settling too many values", body(2, 1, uv(10, 1), group(1, op(0, field("a", changeset.MaxSettles+1)))), ErrLimit},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if req, err := DecodeSyncRequest(c.in); !errors.Is(err, c.want) {
				t.Fatalf("got %v (%+v), want %v", err, req, c.want)
			}
		})
	}
}

// TestBinaryRequestLimitsAcrossOperations: the counts over a whole push
// (MaxPushFields, MaxPushSettles) stop decoding where they are passed.
func TestBinaryRequestLimitsAcrossOperations(t *testing.T) {
	fieldsOp := make([][]byte, changeset.MaxFieldsPerOp)
	for i := range fieldsOp {
		fieldsOp[i] = field(fmt.Sprint(i), 0)
	}
	settlesOp := make([][]byte, 0, 100)
	for i := range 100 {
		settlesOp = append(settlesOp, field(fmt.Sprint(i), changeset.MaxSettles))
	}
	for name, c := range map[string]struct {
		fields [][]byte
		n      int
	}{"fields": {fieldsOp, MaxPushFields/changeset.MaxFieldsPerOp + 1}, "settled values": {settlesOp, MaxPushSettles/(100*changeset.MaxSettles) + 1}} {
		t.Run(name, func(t *testing.T) {
			n := uint64(c.n)
			rest := uv(10, n)
			for i := range n {
				g := append(newStr("appeal"), newStr(fmt.Sprint("r", i))...)
				g = append(g, newStr("")...)
				g = append(g, uv(1)...)
				rest = append(rest, append(g, op(i, c.fields...)...)...)
			}
			if _, err := DecodeSyncRequest(body(2, n, rest)); !errors.Is(err, ErrLimit) {
				t.Fatalf("%d operations: %v", n, err)
			}
		})
	}
}

// TestBinaryRequestBytes: protocol 2's body against protocol 1's JSON,
// framed with dictionary 1 and without, for change sets of demo-like
// appeals. What protocol 2 sends (EncodeSyncRequest) must not cost more
// bytes on the wire.
func TestBinaryRequestBytes(t *testing.T) {
	c, err := DefaultCodec()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{5, 50, 500, 2000} {
		req := benchRequest(n)
		js, err := Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		bin, err := AppendSyncRequest(nil, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, dict := range []uint32{1, 0} {
			fj, err := c.Encode(js, dict)
			if err != nil {
				t.Fatal(err)
			}
			fb, err := c.Encode(bin, dict)
			if err != nil {
				t.Fatal(err)
			}
			sent, err := c.EncodeSyncRequest(req, dict)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%4d operations, dictionary %d: JSON %7d B raw, %6d B framed; binary %7d B raw, %6d B framed (%.2f×); sent %6d B",
				n, dict, len(js), len(fj), len(bin), len(fb), float64(len(fb))/float64(len(fj)), len(sent))
			if len(sent) > len(fj) {
				t.Errorf("%d operations, dictionary %d: protocol 2 sends %d B, JSON %d B", n, dict, len(sent), len(fj))
			}
		}
	}
}

// TestTinyChangeSets: up to tinyChangeSet operations with dictionary 1, a
// request goes as its JSON frame alone, and that frame is not larger than
// the binary one; without a dictionary the smaller of the two is sent.
func TestTinyChangeSets(t *testing.T) {
	c, err := DefaultCodec()
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= tinyChangeSet+1; n++ {
		req := benchRequest(n)
		bin, err := AppendSyncRequest(nil, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, dict := range []uint32{1, 0} {
			js, err := c.EncodeJSON(req, dict)
			if err != nil {
				t.Fatal(err)
			}
			fb, err := c.Encode(bin, dict)
			if err != nil {
				t.Fatal(err)
			}
			sent, err := c.EncodeSyncRequest(req, dict)
			if err != nil {
				t.Fatal(err)
			}
			switch raw, err := c.Decode(sent); {
			case err != nil:
				t.Fatal(err)
			case dict != 0 && n <= tinyChangeSet && IsBinaryRequest(raw):
				t.Errorf("%d operations, dictionary %d: sent binary", n, dict)
			case len(sent) > min(len(js), len(fb)) && (dict == 0 || n > tinyChangeSet):
				t.Errorf("%d operations, dictionary %d: sent %d B, JSON %d B, binary %d B", n, dict, len(sent), len(js), len(fb))
			case dict != 0 && n <= tinyChangeSet && len(js) > len(fb):
				t.Errorf("%d operations, dictionary %d: JSON sent, %d B against the binary body's %d B", n, dict, len(js), len(fb))
			}
		}
	}
}

// FuzzDecodeBinaryRequest: whatever follows the binary magic, the decoder
// never panics and fails only with ErrFrame or ErrLimit; what it decodes
// encodes again to a body that decodes to the same request.
func FuzzDecodeBinaryRequest(f *testing.F) {
	for _, req := range binaryRequests() {
		if len(req.Ops) > 50 {
			continue
		}
		raw, err := AppendSyncRequest(nil, req)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add(body(2, 2, uv(10, 1), group(2, op(0, field("a", 0)), op(1, field("b", 1)))))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !IsBinaryRequest(raw) {
			raw = append(append([]byte(nil), binMagic...), raw...)
		}
		req, err := DecodeSyncRequest(raw)
		if err != nil {
			if !errors.Is(err, ErrFrame) && !errors.Is(err, ErrLimit) {
				t.Fatalf("an error of no kind: %v", err)
			}
			return
		}
		// The server's decoding (straight into changeset.Op) decodes the
		// same operations.
		head, ops, err := DecodeSyncRequestOps(raw)
		if err != nil {
			t.Fatalf("DecodeSyncRequest took it, DecodeSyncRequestOps: %v", err)
		}
		if len(head.Ops) != 0 || len(ops) != len(req.Ops) {
			t.Fatalf("DecodeSyncRequestOps: %d wire operations and %d, want 0 and %d", len(head.Ops), len(ops), len(req.Ops))
		}
		for i := range ops {
			if a, b := fmt.Sprintf("%#v", OpFromWire(&req.Ops[i])), fmt.Sprintf("%#v", ops[i]); a != b {
				t.Fatalf("operation %d: DecodeSyncRequest %s, DecodeSyncRequestOps %s", i, a, b)
			}
		}
		again, err := AppendSyncRequest(nil, req)
		if err != nil {
			t.Fatalf("decoded a request it cannot encode: %v", err)
		}
		back, err := DecodeSyncRequest(again)
		if err != nil {
			t.Fatalf("its own encoding: %v", err)
		}
		if a, b := mustMarshalLoose(req), mustMarshalLoose(back); !bytes.Equal(a, b) {
			t.Fatalf("decoded %s, again %s", a, b)
		}
	})
}

// mustMarshalLoose writes a request for comparison, values that are not
// JSON included (a binary body carries any bytes; FromWire refuses them).
func mustMarshalLoose(req *SyncRequest) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d %d %q %d %v %d\n", req.Proto, req.Cap, req.Device, req.Cursor, req.Pull, req.MaxPull)
	for _, w := range req.Ops {
		fmt.Fprintf(&b, "%q %d %d %q %q %q %q %q\n", w.Device, w.Seq, w.HLC, w.Kind, w.Record, w.Council, w.Action, w.Author)
		for _, name := range sortedKeys(w.Fields) {
			c := w.Fields[name]
			fmt.Fprintf(&b, "  %q %q %d %v\n", name, c.V, c.B, c.S)
		}
	}
	return b.Bytes()
}

func sortedKeys(m map[string]WireChange) []string { return slices.Sorted(maps.Keys(m)) }

// TestPushWritesAsOps: a request carrying its operations as the laptop
// holds them (Push) is written to the same bytes as one carrying their
// WireOps, binary body and JSON body alike, so servers see no difference;
// and what the binary body refuses (another device's operation, a gap) it
// refuses from Push too.
func TestPushWritesAsOps(t *testing.T) {
	codec, err := DefaultCodec()
	if err != nil {
		t.Fatal(err)
	}
	for name, req := range binaryRequests() {
		t.Run(name, func(t *testing.T) {
			push := *req
			push.Ops = nil
			for i := range req.Ops {
				op := OpFromWire(&req.Ops[i])
				push.Push = append(push.Push, &op)
			}
			if push.NumOps() != len(req.Ops) {
				t.Fatalf("NumOps %d, want %d", push.NumOps(), len(req.Ops))
			}
			if f, l := push.OpSeqs(); len(req.Ops) > 0 && (f != req.Ops[0].Seq || l != req.Ops[len(req.Ops)-1].Seq) {
				t.Fatalf("OpSeqs %d, %d", f, l)
			}
			want, err := AppendSyncRequest(nil, req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := AppendSyncRequest(nil, &push)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("binary body from Push differs from Ops'")
			}
			// And from the operations as a store holds them (PushEncoded).
			enc := push
			enc.Push = nil
			enc.PushEncoded = encodeOps(t, push.Push)
			if enc.NumOps() != len(req.Ops) {
				t.Fatalf("PushEncoded: NumOps %d, want %d", enc.NumOps(), len(req.Ops))
			}
			if f, l := enc.OpSeqs(); len(req.Ops) > 0 && (f != req.Ops[0].Seq || l != req.Ops[len(req.Ops)-1].Seq) {
				t.Fatalf("PushEncoded: OpSeqs %d, %d", f, l)
			}
			got, err = AppendSyncRequest(nil, &enc)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("binary body from PushEncoded differs from Ops'")
			}
			if g, w := mustMarshal(t, enc.WithWire()), mustMarshal(t, req); !bytes.Equal(g, w) {
				t.Fatalf("JSON body from PushEncoded\n%.600s\nfrom Ops\n%.600s", g, w)
			}
			for _, dict := range []uint32{0, 1} {
				fw, err := codec.EncodeSyncRequest(req, dict)
				if err != nil {
					t.Fatal(err)
				}
				fg, err := codec.EncodeSyncRequest(&enc, dict)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(fg, fw) {
					t.Fatalf("dictionary %d: frame from PushEncoded differs from Ops'", dict)
				}
			}
			if g, w := mustMarshal(t, push.WithWire()), mustMarshal(t, req); !bytes.Equal(g, w) {
				t.Fatalf("JSON body from Push\n%.600s\nfrom Ops\n%.600s", g, w)
			}
			for _, dict := range []uint32{0, 1} {
				fw, err := codec.EncodeSyncRequest(req, dict)
				if err != nil {
					t.Fatal(err)
				}
				fg, err := codec.EncodeSyncRequest(&push, dict)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(fg, fw) {
					t.Fatalf("dictionary %d: frame from Push differs from Ops'", dict)
				}
			}
			if len(push.Push) < 2 {
				return
			}
			// Refused from Push as from Ops.
			gap := push
			gap.Push = append([]*changeset.Op{}, push.Push...)
			gap.Push = slices.Delete(gap.Push, 1, 2)
			if _, err := AppendSyncRequest(nil, &gap); err == nil {
				t.Fatal("a gap in Push is written")
			}
			other := push
			other.Push = append([]*changeset.Op{}, push.Push...)
			o := *other.Push[1]
			o.Device = "someone-else"
			other.Push[1] = &o
			if _, err := AppendSyncRequest(nil, &other); err == nil {
				t.Fatal("another device's operation in Push is written")
			}
			both := push
			both.Ops = req.Ops
			if _, err := AppendSyncRequest(nil, &both); err == nil {
				t.Fatal("a request with both Ops and Push is written")
			}
			enc = push
			enc.Push = nil
			enc.PushEncoded = encodeOps(t, push.Push)
			enc.PushEncoded = slices.Delete(enc.PushEncoded, 1, 2)
			if _, err := AppendSyncRequest(nil, &enc); err == nil {
				t.Fatal("a gap in PushEncoded is written")
			}
			enc.PushEncoded = encodeOps(t, other.Push)
			if _, err := AppendSyncRequest(nil, &enc); err == nil {
				t.Fatal("another device's operation in PushEncoded is written")
			}
			enc.PushEncoded = encodeOps(t, push.Push)
			enc.Push = push.Push
			if _, err := AppendSyncRequest(nil, &enc); err == nil {
				t.Fatal("a request with both Push and PushEncoded is written")
			}
		})
	}
}

// encodeOps is ops as a laptop's store holds them and reads them for a
// push (changeset.OpDecoder.DecodeHead).
func encodeOps(t testing.TB, ops []*changeset.Op) []changeset.EncodedOp {
	t.Helper()
	var dec changeset.OpDecoder
	out := make([]changeset.EncodedOp, len(ops))
	for i, op := range ops {
		b, err := op.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := dec.DecodeHead(b, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
