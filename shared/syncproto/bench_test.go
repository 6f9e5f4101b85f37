package syncproto

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

// benchOps are n operations like a laptop's: creations of appeals with a
// few fields of Kyrgyz and Russian text, and edits of their status.
func benchOps(n int) []*changeset.Op {
	out := make([]*changeset.Op, n)
	t0 := hlc.New(1764064800000, 0)
	for i := range out {
		rec := fmt.Sprintf("01a21154-2c3d-7e4f-8a5b-%012d", i/3)
		o := &changeset.Op{Device: "01a21153-0b49-7f01-9325-83417e1d6f9d", Seq: uint64(i + 1), HLC: t0 + hlc.Timestamp(i), Kind: "appeal",
			Record: rec, Council: "NRN-ATB", Action: changeset.ActionUpdate, Author: "Ат-Башы катчысы", Fields: map[string]changeset.Change{}}
		if i%3 == 0 {
			o.Action = changeset.ActionCreate
			for k, v := range map[string]string{"council": "NRN-ATB", "status": "received", "category": "police_justice", "oblast": "KG-N",
				"reg_no": fmt.Sprintf("NRN-ATB-2026-K7QH-%04d", i), "summary": "Милиция арызды каттоодон баш тартты, " + strings.Repeat("жер тууралуу ", 8),
				"description": "Заявитель сообщает, что участковый отказался принять заявление о краже скота. " + strings.Repeat("ң ө ү ", 20)} {
				b, _ := json.Marshal(v)
				o.Fields[k] = changeset.Change{Value: b}
			}
		} else {
			o.Fields["status"] = changeset.Change{Value: json.RawMessage(`"under_review"`), Base: t0 + hlc.Timestamp(i-1)}
		}
		out[i] = o
	}
	return out
}

func benchRequest(n int) *SyncRequest {
	req := &SyncRequest{Proto: Proto, Device: "01a21153-0b49-7f01-9325-83417e1d6f9d", Cursor: 41, Pull: true, MaxPull: 256 << 10}
	for _, o := range benchOps(n) {
		req.Ops = append(req.Ops, ToWire(o))
	}
	return req
}

// BenchmarkEncodeChangeSet: a laptop's change set of 500 operations, to
// a frame with dictionary 1 (JSON, then zstd).
func BenchmarkEncodeChangeSet(b *testing.B) {
	codec, err := DefaultCodec()
	if err != nil {
		b.Fatal(err)
	}
	req := benchRequest(500)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := codec.EncodeJSON(req, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeChangeSet: the server's side of it, the frame checked and
// decompressed, then counted and decoded (DecodeSyncRequest).
func BenchmarkDecodeChangeSet(b *testing.B) {
	codec, err := DefaultCodec()
	if err != nil {
		b.Fatal(err)
	}
	frame, err := codec.EncodeJSON(benchRequest(500), 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		raw, err := codec.Decode(frame)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := DecodeSyncRequest(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodePage: a pull page of 2,000 operations as the server
// writes it (MarshalOp each), then framed.
func BenchmarkEncodePage(b *testing.B) {
	codec, err := DefaultCodec()
	if err != nil {
		b.Fatal(err)
	}
	ops := benchOps(2000)
	b.ReportAllocs()
	for b.Loop() {
		page := []byte(`{"proto":1,"acked":0,"ops":[`)
		for i, o := range ops {
			if i > 0 {
				page = append(page, ',')
			}
			enc, err := MarshalOp(o)
			if err != nil {
				b.Fatal(err)
			}
			page = append(page, enc...)
		}
		page = append(page, `],"cursor":2000,"time":1}`...)
		if _, err := codec.Encode(page, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodePage: the laptop's side of it (DecodeJSON into a
// SyncResponse, then FromWire of each operation).
func BenchmarkDecodePage(b *testing.B) {
	codec, err := DefaultCodec()
	if err != nil {
		b.Fatal(err)
	}
	resp := SyncResponse{Proto: Proto, Cursor: 2000, Time: 1}
	for _, o := range benchOps(2000) {
		resp.Ops = append(resp.Ops, ToWire(o))
	}
	frame, err := codec.EncodeJSON(resp, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var out SyncResponse
		if err := codec.DecodeJSON(frame, &out); err != nil {
			b.Fatal(err)
		}
		for _, w := range out.Ops {
			if _, err := FromWire(w); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkEncodeSmallChangeSet: a laptop's change set of 5 operations,
// as its syncer holds them (Push), to a frame with dictionary 1
// (EncodeSyncRequest: its JSON body, tinyChangeSet).
func BenchmarkEncodeSmallChangeSet(b *testing.B) {
	codec, err := DefaultCodec()
	if err != nil {
		b.Fatal(err)
	}
	req := &SyncRequest{Proto: Proto, Device: "01a21153-0b49-7f01-9325-83417e1d6f9d", Cursor: 41, Pull: true, MaxPull: 256 << 10,
		Cap: CurrentCapability, Push: benchOps(5)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := codec.EncodeSyncRequest(req, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppendSyncRequest: a laptop's change set of 2,000 operations
// (MaxPushOps) to protocol 2's binary body, before compression, as a
// pipelined push makes each request; a creation has 20 fields, as a demo
// appeal's about has.
func BenchmarkAppendSyncRequest(b *testing.B) {
	ops := benchOps(MaxPushOps)
	for _, o := range ops {
		for i := 0; o.Action == changeset.ActionCreate && len(o.Fields) < 20; i++ {
			o.Fields[fmt.Sprintf("field_%02d", i)] = changeset.Change{Value: json.RawMessage(`"value"`)}
		}
	}
	req := &SyncRequest{Proto: 2, Device: "01a21153-0b49-7f01-9325-83417e1d6f9d", Push: ops}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendSyncRequest(buf[:0], req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPushFromStore is a laptop's work for one change set of 2,000
// operations from its store's encodings to the binary body: each decoded
// into an Op (a map of its fields) and sized as JSON, then written
// (decoded, as PendingOps and Push did), against each read for its
// header and written from its encoded fields (encoded: PendingEncoded
// and PushEncoded). Badger's reading is left out.
func BenchmarkPushFromStore(b *testing.B) {
	ops := benchOps(MaxPushOps)
	for _, o := range ops {
		for i := 0; o.Action == changeset.ActionCreate && len(o.Fields) < 20; i++ {
			o.Fields[fmt.Sprintf("field_%02d", i)] = changeset.Change{Value: json.RawMessage(`"value"`)}
		}
	}
	stored := make([][]byte, len(ops))
	for i, o := range ops {
		stored[i], _ = o.AppendBinary(nil)
	}
	dev := "01a21153-0b49-7f01-9325-83417e1d6f9d"
	var buf []byte
	b.Run("decoded", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var dec changeset.OpDecoder
			req := &SyncRequest{Proto: 2, Device: dev, Push: make([]*changeset.Op, 0, len(stored))}
			size := 0
			for _, s := range stored {
				op := &changeset.Op{}
				if err := dec.DecodeInto(s, op); err != nil {
					b.Fatal(err)
				}
				size += WireSize(op)
				req.Push = append(req.Push, op)
			}
			var err error
			if buf, err = AppendSyncRequest(buf[:0], req); err != nil || size == 0 {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoded", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var dec changeset.OpDecoder
			req := &SyncRequest{Proto: 2, Device: dev, PushEncoded: make([]changeset.EncodedOp, len(stored))}
			size := 0
			for i, s := range stored {
				if err := dec.DecodeHead(s, &req.PushEncoded[i]); err != nil {
					b.Fatal(err)
				}
				size += req.PushEncoded[i].Size()
			}
			var err error
			if buf, err = AppendSyncRequest(buf[:0], req); err != nil || size == 0 {
				b.Fatal(err)
			}
		}
	})
}
