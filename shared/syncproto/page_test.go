package syncproto

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

// pageOps are n operations as a pull page carries them: change sets of
// 50 operations from 4 laptops one after another, in server order, each
// laptop's like benchOps (creations of appeals and edits of their status).
func pageOps(n int) []*changeset.Op {
	const devices, set = 4, 50
	per := make([][]*changeset.Op, devices)
	for d := range per {
		per[d] = benchOps(n/devices + set)
		for _, o := range per[d] {
			o.Device = fmt.Sprintf("01a21153-0b49-7f01-9325-83417e1d6f%02d", d)
			o.Record = fmt.Sprintf("%s-%d", o.Record, d)
			o.HLC += hlc.Timestamp(d * 65536)
			o.Author = fmt.Sprintf("Ат-Башы катчысы %d", d)
		}
	}
	out := make([]*changeset.Op, 0, n)
	for i := 0; len(out) < n; i++ {
		d := i % devices
		k := i / devices * set
		out = append(out, per[d][k:min(k+set, k+n-len(out))]...)
	}
	return out
}

// shapeOps are operations of every shape a page carries: the golden ones
// (creation, edit with a base, deletion, settled values, text that needs
// escaping), a record whose council changes, a nil value, a global record,
// clocks and sequence numbers going back from one operation to the next.
func shapeOps(t testing.TB) []*changeset.Op {
	var out []*changeset.Op
	for _, w := range goldenOps() {
		o, err := FromWire(w)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	t0 := hlc.New(1764064800000, 0)
	for i := range 9 {
		o := &changeset.Op{Device: fmt.Sprintf("dev-%d", i%3), Seq: uint64(100 - i*7), HLC: t0 - hlc.Timestamp(i*i*1000), Kind: "appeal",
			Record: fmt.Sprintf("rec-%d", i%2), Council: "NRN-ATB", Action: changeset.ActionUpdate, Author: "катчы",
			Fields: map[string]changeset.Change{"status": {Value: json.RawMessage(`"received"`), Base: t0 + 5}}}
		switch i {
		case 3:
			o.Council = "NRN-JUM" // the record moved
		case 4:
			o.Fields["note"] = changeset.Change{Value: nil, Settles: []changeset.Version{{HLC: t0 - 5, Device: "other"}}}
		case 5:
			o.Kind, o.Record, o.Council, o.Author = "council", "NRN-ATB", "", ""
		}
		out = append(out, o)
	}
	return out
}

// opsText writes operations for comparison: every field, in name order.
func opsText(ops []*changeset.Op) string {
	var b bytes.Buffer
	for _, o := range ops {
		w := ToWire(o)
		fmt.Fprintf(&b, "%q %d %d %q %q %q %q %q\n", w.Device, w.Seq, w.HLC, w.Kind, w.Record, w.Council, w.Action, w.Author)
		for _, name := range sortedKeys(w.Fields) {
			c := w.Fields[name]
			v := string(c.V)
			if v == "" {
				v = "null"
			}
			fmt.Fprintf(&b, "  %q %s %d %v\n", name, v, c.B, c.S)
		}
	}
	return b.String()
}

func TestBinaryPageRoundTrip(t *testing.T) {
	resp := &SyncResponse{Proto: Proto, Acked: 4, Cursor: 97, More: true, Head: 1200, Time: 1764064800000,
		Refused: []Refusal{{Seq: 3, Code: CodeForbidden, Message: "published is written by central staff",
			Fields: []FieldReason{{Field: "published", Code: "forbidden"}}}}}
	// One record id under two kinds and two councils, interleaved with
	// another record: a group each, in the order they first appear.
	var oneID []*changeset.Op
	for i, kc := range [][2]string{{"appeal", "NRN-ATB"}, {"event", "NRN-ATB"}, {"appeal", "OSH-ARA"}, {"appeal", "NRN-ATB"}, {"appeal", ""}, {"event", "NRN-ATB"}, {"event", "OSH-ARA"}} {
		rec := "rec-1"
		if i == 4 {
			rec = "rec-2"
		}
		oneID = append(oneID, &changeset.Op{Device: "dev-1", Seq: uint64(i + 1), HLC: hlc.Timestamp(1000 + i), Kind: kc[0], Record: rec, Council: kc[1],
			Action: changeset.ActionUpdate, Fields: map[string]changeset.Change{"n": {Value: json.RawMessage(fmt.Sprint(i))}}})
	}
	for name, ops := range map[string][]*changeset.Op{"none": nil, "shapes": shapeOps(t), "1000 from 4 laptops": pageOps(1000), "one record id": oneID} {
		t.Run(name, func(t *testing.T) {
			raw, err := AppendSyncResponse(nil, resp, ops)
			if err != nil {
				t.Fatal(err)
			}
			if !IsBinaryResponse(raw) {
				t.Fatalf("not marked binary: % x", raw[:8])
			}
			got, err := DecodeSyncResponse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Page) != len(ops) || got.Ops != nil {
				t.Fatalf("%d operations in Page, %d in Ops; sent %d", len(got.Page), len(got.Ops), len(ops))
			}
			if g, w := opsText(got.Page), opsText(ops); g != w {
				t.Fatalf("decoded\n%.2000s\nsent\n%.2000s", g, w)
			}
			got.Page = nil
			if g, w := mustMarshal(t, got), mustMarshal(t, resp); !bytes.Equal(g, w) {
				t.Fatalf("answer %s, sent %s", g, w)
			}
			// Every body is read whole: one byte less is refused.
			if _, err := DecodeSyncResponse(raw[:len(raw)-1]); !errors.Is(err, ErrFrame) {
				t.Fatalf("cut off by one byte: %v", err)
			}
		})
	}
}

// AppendSyncResponseNames writes, given each operation's sorted field
// names, and its changes in that order for some, the same body as
// AppendSyncResponse; names that are not the operation's, or changes not
// as many, are an error, never a page that says something else.
func TestBinaryPageNames(t *testing.T) {
	resp := &SyncResponse{Proto: Proto, Acked: 4, Cursor: 97, Head: 1200, Time: 1764064800000}
	ops := append(shapeOps(t), pageOps(200)...)
	names := make([][]string, len(ops))
	for i, o := range ops {
		names[i] = slices.Sorted(maps.Keys(o.Fields))
	}
	want, err := AppendSyncResponse(nil, resp, ops)
	if err != nil {
		t.Fatal(err)
	}
	got, err := AppendSyncResponseNames(nil, resp, ops, names, nil)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("with names: %v, %d bytes against %d, equal %v", err, len(got), len(want), bytes.Equal(got, want))
	}
	changes := make([][]changeset.Change, len(ops))
	for i, o := range ops {
		if i%3 == 0 {
			continue // not kept: looked up
		}
		changes[i] = make([]changeset.Change, len(names[i]))
		for j, name := range names[i] {
			changes[i][j] = o.Fields[name]
		}
	}
	got, err = AppendSyncResponseNames(nil, resp, ops, names, changes)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("with names and changes: %v, %d bytes against %d, equal %v", err, len(got), len(want), bytes.Equal(got, want))
	}
	var withFields int
	for i := range ops {
		if len(names[i]) > 1 {
			withFields = i
			break
		}
	}
	for name, bad := range map[string][]string{
		"one missing": names[withFields][1:],
		"one unknown": append(slices.Clone(names[withFields][1:]), "nosuchfield"),
	} {
		b := slices.Clone(names)
		b[withFields] = bad
		if _, err := AppendSyncResponseNames(nil, resp, ops, b, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := AppendSyncResponseNames(nil, resp, ops, names[1:], nil); err == nil {
		t.Error("names of one operation fewer: no error")
	}
	short := slices.Clone(changes)
	for i := range short {
		if len(short[i]) > 1 {
			short[i] = short[i][1:]
			break
		}
	}
	if _, err := AppendSyncResponseNames(nil, resp, ops, names, short); err == nil {
		t.Error("a change fewer than names: no error")
	}
	if _, err := AppendSyncResponseNames(nil, resp, ops, names, changes[1:]); err == nil {
		t.Error("changes of one operation fewer: no error")
	}
	if _, err := AppendSyncResponseNames(nil, resp, ops, nil, changes); err == nil {
		t.Error("changes without names: no error")
	}
}

// A JSON answer decodes as json.Unmarshal reads it, operations in Ops.
func TestDecodeSyncResponseJSON(t *testing.T) {
	want := goldenMessages()["sync-response.json"].(SyncResponse)
	raw, err := Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeSyncResponse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := mustMarshal(t, got), mustMarshal(t, &want); !bytes.Equal(g, w) || got.Page != nil {
		t.Fatalf("got %s, want %s", g, w)
	}
	if _, err := DecodeSyncResponse([]byte(`{"acked":`)); !errors.Is(err, ErrFrame) {
		t.Fatalf("cut JSON: %v", err)
	}
}

// pageHeader builds a binary answer's header by hand, then what follows.
func pageHeader(nops uint64, rest ...[]byte) []byte {
	b := append([]byte(nil), binPageMagic...)
	b = append(b, 2, 4, 97, 120, 0, 0, 0) // proto acked cursor head time flags refused
	b = binary.AppendUvarint(b, nops)
	for _, r := range rest {
		b = append(b, r...)
	}
	return b
}

// A damaged or hostile page is refused with ErrFrame, one over the
// counts with ErrLimit before what it declares is allocated.
func TestDecodeBinaryPageRefuses(t *testing.T) {
	str := func(s string) []byte { return appendStr([]byte{0}, s) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	op := func(pos byte, nfields ...[]byte) []byte {
		return cat([]byte{pos}, str("dev"), []byte{2, 2}, str("update"), str(""), []byte{byte(len(nfields))}, cat(nfields...))
	}
	field := cat(str("status"), appendStr(nil, `"x"`), []byte{0, 0})
	group := func(n byte, ops ...[]byte) []byte {
		return cat(str("appeal"), str("rec"), str("NRN-ATB"), []byte{n}, cat(ops...))
	}
	good := pageHeader(2, []byte{1}, group(2, op(0, field), op(1, field)))
	if resp, err := DecodeSyncResponse(good); err != nil || len(resp.Page) != 2 || resp.Page[1].Seq != 2 || resp.Page[1].HLC != 2 {
		t.Fatalf("the hand-made page: %v %+v", err, resp)
	}
	manyFields := pageHeader(1, []byte{1}, str("appeal"), str("rec"), str(""), []byte{1, 0}, str("dev"), []byte{2, 2}, str("update"), str(""),
		binary.AppendUvarint(nil, MaxPullFields+1))
	for name, tc := range map[string]struct {
		raw  []byte
		want error
	}{
		"too many operations":     {pageHeader(MaxPullOps + 1), ErrLimit},
		"too many fields":         {manyFields, ErrLimit},
		"no groups":               {pageHeader(2, []byte{0}), ErrFrame},
		"a group too large":       {pageHeader(2, []byte{1}, group(3, op(0, field))), ErrFrame},
		"a place twice":           {pageHeader(2, []byte{1}, group(2, op(0, field), op(0, field))), ErrFrame},
		"a place out of the page": {pageHeader(2, []byte{1}, group(2, op(0, field), op(5, field))), ErrFrame},
		"fewer operations":        {pageHeader(3, []byte{1}, group(2, op(0, field), op(1, field))), ErrFrame},
		"a string not in table":   {pageHeader(1, []byte{1}, []byte{9}), ErrFrame},
		"bytes after the end":     {append(good, 0), ErrFrame},
		"unknown flags":           {append(append(append([]byte(nil), binPageMagic...), 2, 4, 97, 120, 0, 2, 0), 0), ErrFrame},
		"refusals not JSON":       {append(append(append([]byte(nil), binPageMagic...), 2, 4, 97, 120, 0, 0, 1, '{'), 0), ErrFrame},
		"a field twice":           {pageHeader(1, []byte{1}, group(1, op(0, field, field))), ErrFrame},
	} {
		if _, err := DecodeSyncResponse(tc.raw); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

// TestBinaryPageBytes: a binary page of 1,000 operations from 4 laptops
// is smaller than the JSON page the server sends today, framed with
// dictionary 1 and without. go test -v prints the sizes.
func TestBinaryPageBytes(t *testing.T) {
	codec, err := DefaultCodec()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 5, 10, 25, 50, 100, 1000} {
		ops := pageOps(n)
		resp := &SyncResponse{Proto: Proto, Acked: 4, Cursor: 1 << 20, Head: 1 << 21, More: true, Time: 1764064800000}
		js, err := jsonPage(resp, ops)
		if err != nil {
			t.Fatal(err)
		}
		bin, err := AppendSyncResponse(nil, resp, ops)
		if err != nil {
			t.Fatal(err)
		}
		line := fmt.Sprintf("%4d operations: payload JSON %7d B, binary %7d B", n, len(js), len(bin))
		for _, dict := range []uint32{0, 1} {
			fj, err := codec.Encode(js, dict)
			if err != nil {
				t.Fatal(err)
			}
			fb, err := codec.Encode(bin, dict)
			if err != nil {
				t.Fatal(err)
			}
			line += fmt.Sprintf("; dictionary %d: JSON %6d B, binary %6d B (%.2fx)", dict, len(fj), len(fb), float64(len(fb))/float64(len(fj)))
			if n >= 100 && len(fb) > len(fj) {
				t.Errorf("%d operations, dictionary %d: binary frame %d B, JSON %d B", n, dict, len(fb), len(fj))
			}
		}
		t.Log(line)
		if len(bin) > len(js) {
			t.Errorf("%d operations: binary payload %d B, JSON %d B", n, len(bin), len(js))
		}
	}
}

// jsonPage is the JSON answer the server sends a laptop before capability
// 8: the envelope, and each operation as AppendOp writes it.
func jsonPage(resp *SyncResponse, ops []*changeset.Op) ([]byte, error) {
	env, err := Marshal(resp)
	if err != nil {
		return nil, err
	}
	out := append(env[:len(env)-1:len(env)-1], `,"ops":[`...)
	for i, o := range ops {
		if i > 0 {
			out = append(out, ',')
		}
		if out, err = AppendOp(out, o); err != nil {
			return nil, err
		}
	}
	return append(out, "]}"...), nil
}

// FuzzDecodeBinaryPage: whatever follows the binary magic, the decoder
// never panics and fails only with ErrFrame or ErrLimit; what it decodes
// encodes again to a page that decodes to the same operations.
func FuzzDecodeBinaryPage(f *testing.F) {
	for _, ops := range [][]*changeset.Op{nil, shapeOps(f), pageOps(20)} {
		raw, err := AppendSyncResponse(nil, &SyncResponse{Proto: 2, Acked: 3, Cursor: 40, Head: 50, Time: -1, More: true}, ops)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !IsBinaryResponse(raw) {
			raw = append(append([]byte(nil), binPageMagic...), raw...)
		}
		resp, err := DecodeSyncResponse(raw)
		if err != nil {
			if !errors.Is(err, ErrFrame) && !errors.Is(err, ErrLimit) {
				t.Fatalf("an error of no kind: %v", err)
			}
			return
		}
		again, err := AppendSyncResponse(nil, resp, resp.Page)
		if err != nil {
			t.Fatalf("decoded a page it cannot encode: %v", err)
		}
		back, err := DecodeSyncResponse(again)
		if err != nil {
			t.Fatalf("its own encoding: %v", err)
		}
		if a, b := opsText(resp.Page), opsText(back.Page); a != b {
			t.Fatalf("decoded %s, again %s", a, b)
		}
		resp.Page, back.Page = nil, nil
		if a, b := mustMarshal(t, resp), mustMarshal(t, back); !bytes.Equal(a, b) {
			t.Fatalf("answer %s, again %s", a, b)
		}
	})
}

// BenchmarkPageDecode: a laptop decoding a pull page of 1,000 operations
// from its frame (dictionary 1), JSON as before capability 8 (into
// WireOps, then changeset.Ops as the laptop applies them), and binary.
func BenchmarkPageDecode(b *testing.B) {
	codec, err := DefaultCodec()
	if err != nil {
		b.Fatal(err)
	}
	ops := pageOps(1000)
	resp := &SyncResponse{Proto: Proto, Cursor: 1 << 20, Head: 1 << 21, Time: 1764064800000}
	js, err := jsonPage(resp, ops)
	if err != nil {
		b.Fatal(err)
	}
	bin, err := AppendSyncResponse(nil, resp, ops)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		payload []byte
	}{{"json", js}, {"binary", bin}} {
		frame, err := codec.Encode(tc.payload, 1)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				raw, err := codec.Decode(frame)
				if err != nil {
					b.Fatal(err)
				}
				r, err := DecodeSyncResponse(raw)
				if err != nil {
					b.Fatal(err)
				}
				if r.Page == nil {
					for _, w := range r.Ops {
						if _, err := FromWire(w); err != nil {
							b.Fatal(err)
						}
					}
				} else {
					for _, o := range r.Page {
						if err := o.Validate(); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(ops)), "ns/op-pulled")
		})
	}
}

// BenchmarkPageEncode: a server writing a pull page of 1,000 operations
// and its frame (dictionary 1): JSON as before capability 8 (AppendOp per
// operation), and binary.
func BenchmarkPageEncode(b *testing.B) {
	codec, err := DefaultCodec()
	if err != nil {
		b.Fatal(err)
	}
	ops := pageOps(1000)
	resp := &SyncResponse{Proto: Proto, Cursor: 1 << 20, Head: 1 << 21, Time: 1764064800000}
	for _, tc := range []struct {
		name string
		enc  func() ([]byte, error)
	}{
		{"json", func() ([]byte, error) { return jsonPage(resp, ops) }},
		{"binary", func() ([]byte, error) { return AppendSyncResponse(nil, resp, ops) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				raw, err := tc.enc()
				if err != nil {
					b.Fatal(err)
				}
				if _, err := codec.Encode(raw, 1); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(ops)), "ns/op-pulled")
		})
	}
}

// The binary answer of capability 8 as this version writes it (the golden
// JSON answer's envelope and operations), and its frame with dictionary
// 1: both decode to that answer.
func TestGoldenBinaryPage(t *testing.T) {
	codec, err := DefaultCodec()
	if err != nil {
		t.Fatal(err)
	}
	want := goldenMessages()["sync-response.json"].(SyncResponse)
	var ops []*changeset.Op
	for _, w := range want.Ops {
		o, err := FromWire(w)
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, o)
	}
	bin, err := AppendSyncResponse(nil, &want, ops)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "sync-response-v2.bin", bin)
	frame, err := codec.Encode(bin, 1)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "answer-dict1-v2.frame", frame)
	raw, err := codec.Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeSyncResponse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := opsText(got.Page), opsText(ops); g != w {
		t.Errorf("operations %s, want %s", g, w)
	}
	got.Page, want.Ops = nil, nil
	if g, w := mustMarshal(t, got), mustMarshal(t, &want); !bytes.Equal(g, w) {
		t.Errorf("answer %s, want %s", g, w)
	}
}
