package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
)

// BenchmarkPull is a new central laptop's first pull of a council's
// 20,000 appeals (100,000 operations, pushed first by the council's
// laptop), through the sync API in process: each b.N is the whole log
// pulled from cursor 0, in pages of the largest size a laptop asks for.
// The CPU it reports is the process's, the client's decoding included
// (the same for every version of the server, but not the same for JSON
// and binary pages).
func BenchmarkPull(b *testing.B) {
	ctx := context.Background()
	s, err := New(ctx, Config{DataDir: b.TempDir(), MinFree: 1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	b.Cleanup(func() { hs.Close(); s.Close() })
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.Admin().AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N"}); err != nil {
		b.Fatal(err)
	}
	enroll := func(role, council string) (id, token string) {
		is, err := s.Admin().Enroll(ctx, auth.IssueRequest{Role: role, Council: council, Name: role})
		if err != nil {
			b.Fatal(err)
		}
		id = domain.NewID()
		body, _ := json.Marshal(syncproto.EnrollRequest{Proto: syncproto.Proto, Code: is.Code, DeviceID: id, DeviceName: "bench"})
		resp, err := http.Post(hs.URL+syncproto.PathEnroll, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		var er syncproto.EnrollResponse
		json.NewDecoder(resp.Body).Decode(&er)
		resp.Body.Close()
		if er.Token == "" {
			b.Fatalf("enroll: %d", resp.StatusCode)
		}
		return id, er.Token
	}
	sync := func(token string, req syncproto.SyncRequest) syncproto.SyncResponse {
		raw, _ := json.Marshal(req)
		frame, err := codec.Encode(raw, 1)
		if err != nil {
			b.Fatal(err)
		}
		hr, _ := http.NewRequest(http.MethodPost, hs.URL+syncproto.PathSync, bytes.NewReader(frame))
		hr.Header.Set("Authorization", "Bearer "+token)
		hr.Header.Set("Content-Type", syncproto.ContentType)
		hr.Header.Set(syncproto.HeaderDicts, "1")
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("sync: %d %s", resp.StatusCode, body)
		}
		out, err := codec.Decode(body)
		if err != nil {
			b.Fatal(err)
		}
		sr, err := syncproto.DecodeSyncResponse(out)
		if err != nil {
			b.Fatal(err)
		}
		return *sr
	}
	sec, secTok := enroll("secretary", "NRN-ATB")
	raw := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	steps := []string{"under_review", "fact_checking", "verified", "referred"}
	var ops []syncproto.WireOp
	hlc := uint64(time.Now().Add(-time.Hour).UnixMilli()) << 16
	seq := uint64(0)
	for i := 0; i < 20000; i++ {
		rec := domain.NewID()
		seq++
		hlc++
		ops = append(ops, syncproto.WireOp{Device: sec, Seq: seq, HLC: hlc, Kind: "appeal", Record: rec, Council: "NRN-ATB", Action: "create", Author: "x",
			Fields: map[string]syncproto.WireChange{
				"council": {V: raw("NRN-ATB")}, "channel": {V: raw("phone")}, "category": {V: raw("health")}, "oblast": {V: raw("KG-N")},
				"appellant":   {V: raw(map[string]string{"name": "Асанова Бүбүсара", "phone": fmt.Sprintf("+996 768 %06d", i)})},
				"summary":     {V: raw("ФАПта дары-дармек жок")},
				"description": {V: raw("Ак-Суу айылындагы фельдшердик-акушердик пунктта бир айдан бери зарыл дарылар жок.")},
				"reg_no":      {V: raw("NRN-ATB-2026-QK5X-" + strconv.Itoa(i))}, "status": {V: raw("received")}, "received_on": {V: raw("2026-09-14")}}})
		base := hlc
		for _, st := range steps {
			seq++
			hlc++
			ops = append(ops, syncproto.WireOp{Device: sec, Seq: seq, HLC: hlc, Kind: "appeal", Record: rec, Council: "NRN-ATB", Action: "update", Author: "x",
				Fields: map[string]syncproto.WireChange{"status": {V: raw(st), B: base}}})
			base = hlc
		}
	}
	for i := 0; i < len(ops); i += syncproto.MaxPushOps {
		sr := sync(secTok, syncproto.SyncRequest{Proto: syncproto.Proto, Device: sec, Ops: ops[i:min(i+syncproto.MaxPushOps, len(ops))]})
		if len(sr.Refused) > 0 {
			b.Fatal(sr.Refused[0].Message)
		}
	}
	central, cTok := enroll("central", "")
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	// A laptop before capability 8 gets JSON pages, one of capability 8
	// binary ones (decoded here as the laptop decodes them).
	for _, tc := range []struct {
		name string
		cap  syncproto.CapabilityVersion
	}{{"json", syncproto.CapBinary}, {"binary", syncproto.CapBinaryPage}} {
		b.Run(tc.name, func(b *testing.B) {
			cpu0 := cpu()
			pulled := 0
			for b.Loop() {
				cursor := uint64(0)
				for {
					sr := sync(cTok, syncproto.SyncRequest{Proto: syncproto.Proto, Device: central, Cursor: cursor, Pull: true, MaxPull: syncproto.MaxPullBytes, Cap: tc.cap})
					pulled += len(sr.Ops) + len(sr.Page)
					cursor = sr.Cursor
					if !sr.More {
						break
					}
				}
			}
			if pulled != b.N*(len(ops)+1) {
				b.Fatalf("pulled %d operations, want %d", pulled, b.N*(len(ops)+1))
			}
			b.ReportMetric(float64(pulled)/b.Elapsed().Seconds(), "ops/s")
			b.ReportMetric(float64((cpu()-cpu0).Microseconds())/float64(pulled), "cpu-µs/op")
		})
	}
}
