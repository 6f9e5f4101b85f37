package server

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

func TestPushIsIdempotentAndCheckedBeforeApplying(t *testing.T) {
	h := newHarness(t)
	h.council("NRN-ATB", "KG-N")
	sec := h.enroll(domain.RoleSecretary, "NRN-ATB")
	reader := h.enroll(domain.RoleCentral, "")
	var ops []syncproto.WireOp
	for i := 0; i < 5; i++ {
		ops = append(ops, sec.op(domain.KindAppeal, domain.NewID(), "NRN-ATB", changeset.ActionCreate, appealFields("NRN-ATB")))
	}
	frame := sec.frame(&syncproto.SyncRequest{Proto: syncproto.Proto, Device: sec.id, Ops: ops})

	// Cut off half-way, and damaged: refused whole, nothing applied.
	for name, bad := range map[string][]byte{
		"cut off": frame[:len(frame)/2],
		"damaged": flipByte(frame, len(frame)-3),
		"empty":   {},
	} {
		status, _, eb := sec.rawSync(bad)
		if status != http.StatusBadRequest || eb.Code != syncproto.CodeFrame {
			t.Errorf("%s frame: %d %+v", name, status, eb)
		}
	}
	if n := len(reader.pullAll()); n != 1 { // the council only
		t.Fatalf("after bad frames the log holds %d operations", n)
	}

	// The same change set twice: acknowledged twice, applied once.
	for i := 0; i < 2; i++ {
		status, resp, eb := sec.rawSync(frame)
		if status != http.StatusOK || resp.Acked != 5 {
			t.Fatalf("push %d: %d %+v %+v", i, status, resp, eb)
		}
	}
	if n := len(reader.pullAll()); n != 6 {
		t.Fatalf("after a duplicate push the log holds %d operations, want 6", n)
	}

	// A change set that skips operations: refused with what the server holds.
	sec.seq += 3
	gap := sec.op(domain.KindAppeal, domain.NewID(), "NRN-ATB", changeset.ActionCreate, appealFields("NRN-ATB"))
	status, _, eb := sec.rawSync(sec.frame(&syncproto.SyncRequest{Proto: syncproto.Proto, Device: sec.id, Ops: []syncproto.WireOp{gap}}))
	if status != http.StatusConflict || eb.Code != syncproto.CodeGap || eb.Acked != 5 {
		t.Fatalf("gap: %d %+v", status, eb)
	}

	// Another operation under a number the server holds: a restored laptop.
	sec.seq = 4
	other := sec.op(domain.KindAppeal, domain.NewID(), "NRN-ATB", changeset.ActionCreate, appealFields("NRN-ATB"))
	status, _, eb = sec.rawSync(sec.frame(&syncproto.SyncRequest{Proto: syncproto.Proto, Device: sec.id, Ops: []syncproto.WireOp{other}}))
	if status != http.StatusConflict || eb.Code != syncproto.CodeConflictSeq {
		t.Fatalf("same seq, other content: %d %+v", status, eb)
	}
}

func TestRequestsRefusedWithClearErrors(t *testing.T) {
	h := newHarness(t)
	h.council("NRN-ATB", "KG-N")
	sec := h.enroll(domain.RoleSecretary, "NRN-ATB")
	other := h.enroll(domain.RoleSecretary, "NRN-ATB")

	bomb := func() []byte {
		// A frame that declares a payload over the limit: refused before
		// anything is decompressed.
		f := sec.frame(&syncproto.SyncRequest{Proto: syncproto.Proto, Device: sec.id})
		b := bytes.Clone(f)
		binary.BigEndian.PutUint32(b[8:12], syncproto.MaxRawBytes+1)
		return b
	}
	tooMany := make([]syncproto.WireOp, syncproto.MaxPushOps+1)
	for i := range tooMany {
		tooMany[i] = sec.op(domain.KindAppeal, domain.NewID(), "NRN-ATB", changeset.ActionCreate, map[string]any{"summary": "x"})
	}
	sec.seq = 0
	cases := []struct {
		name   string
		frame  []byte
		status int
		code   syncproto.Code
	}{
		{"old protocol", sec.frame(&syncproto.SyncRequest{Proto: 0, Device: sec.id}), http.StatusUpgradeRequired, syncproto.CodeProtocol},
		{"another device's id", sec.frame(&syncproto.SyncRequest{Proto: syncproto.Proto, Device: other.id}), http.StatusForbidden, syncproto.CodeForbidden},
		{"operations signed by another device", sec.frame(&syncproto.SyncRequest{Proto: syncproto.Proto, Device: sec.id,
			Ops: []syncproto.WireOp{other.op(domain.KindAppeal, domain.NewID(), "NRN-ATB", changeset.ActionCreate, appealFields("NRN-ATB"))}}),
			http.StatusForbidden, syncproto.CodeForbidden},
		{"too many operations", sec.frame(&syncproto.SyncRequest{Proto: syncproto.Proto, Device: sec.id, Ops: tooMany}), http.StatusRequestEntityTooLarge, syncproto.CodeTooLarge},
		{"declared over the limit", bomb(), http.StatusBadRequest, syncproto.CodeFrame},
		{"decompression bomb", realBomb(t), http.StatusBadRequest, syncproto.CodeFrame},
		{"not a frame", []byte(`{"proto":1}`), http.StatusBadRequest, syncproto.CodeFrame},
	}
	for _, c := range cases {
		status, _, eb := sec.rawSync(c.frame)
		if status != c.status || eb == nil || eb.Code != c.code || eb.Message == "" {
			t.Errorf("%s: got %d %+v, want %d %s", c.name, status, eb, c.status, c.code)
		}
	}

	// A body over the size limit is cut at the limit, not read to the end.
	big := bytes.Repeat([]byte("x"), syncproto.MaxFrameBytes+1)
	if status, _, eb := sec.rawSync(big); status != http.StatusRequestEntityTooLarge || eb.Code != syncproto.CodeTooLarge {
		t.Errorf("oversized body: %d %+v", status, eb)
	}
	// No token, and an unknown token.
	sec.token = ""
	if status, _, eb := sec.rawSync(sec.frame(&syncproto.SyncRequest{Proto: syncproto.Proto, Device: sec.id})); status != http.StatusUnauthorized || eb.Code != syncproto.CodeUnauthorized {
		t.Errorf("no token: %d %+v", status, eb)
	}
	sec.token = strings.Repeat("A", 43)
	if status, _, eb := sec.rawSync(sec.frame(&syncproto.SyncRequest{Proto: syncproto.Proto, Device: sec.id})); status != http.StatusUnauthorized || eb.Code != syncproto.CodeUnauthorized {
		t.Errorf("unknown token: %d %+v", status, eb)
	}
	// Enrollment with a used code.
	st, _ := h.postJSON(syncproto.PathEnroll, syncproto.EnrollRequest{Proto: syncproto.Proto, Code: "ABCD-EFGH-JKMN-PQRS", DeviceID: domain.NewID()})
	if st != http.StatusForbidden {
		t.Errorf("unknown enrollment code: %d", st)
	}
}

// realBomb is a small frame that lies about its length: 64 MiB of zeros
// compressed to a few kilobytes. The decoder's memory limit must stop it.
func realBomb(t *testing.T) []byte {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	if err != nil {
		t.Fatal(err)
	}
	data := enc.EncodeAll(make([]byte, 64<<20), nil)
	f := make([]byte, 16, 16+len(data))
	copy(f, "KNF1")
	binary.BigEndian.PutUint32(f[8:12], 100)
	return append(f, data...)
}

func flipByte(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0xff
	return c
}
