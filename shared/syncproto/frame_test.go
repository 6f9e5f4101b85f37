package syncproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/kenesh/kenesh/shared/changeset"
)

var testDict = []byte(strings.Repeat(`{"dv":"01a2","sq":1,"t":117,"k":"appeal","r":"01a2","c":"NRN-ATB","a":"update","u":"Нарын","f":{"status":{"v":"under_review","b":1}}}`, 20))

func codec(t testing.TB) *Codec {
	c, err := NewCodec(map[uint32][]byte{7: testDict})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sampleRequest() SyncRequest {
	op := &changeset.Op{Device: "01a21153-0b49-7f01-9325-83417e1d6f9d", Seq: 3, HLC: 117675588638146560, Kind: "appeal",
		Record: "01a21153-0b83-732a-a9d2-550af7253b78", Council: "NRN-ATB", Action: changeset.ActionUpdate, Author: "Нарын ноутбугу",
		Fields: map[string]changeset.Change{"status": {Value: json.RawMessage(`"under_review"`), Base: 117675588638146000}}}
	return SyncRequest{Proto: Proto, Device: op.Device, Ops: []WireOp{ToWire(op)}, Cursor: 12, Pull: true}
}

func TestFrameRoundTripAndDictionary(t *testing.T) {
	c := codec(t)
	raw, _ := json.Marshal(sampleRequest())
	plain, err := c.Encode(raw, 0)
	if err != nil {
		t.Fatal(err)
	}
	withDict, err := c.Encode(raw, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(withDict) >= len(plain) {
		t.Fatalf("dictionary did not help: %d bytes with, %d without", len(withDict), len(plain))
	}
	for _, f := range [][]byte{plain, withDict} {
		got, err := c.Decode(f)
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("round trip: %v", err)
		}
	}
	var req SyncRequest
	if err := c.DecodeJSON(withDict, &req); err != nil {
		t.Fatal(err)
	}
	op, err := FromWire(req.Ops[0])
	if err != nil || op.Fields["status"].Base != 117675588638146000 {
		t.Fatalf("op back from the wire: %+v %v", op, err)
	}
}

// AppendEncode appends Encode's frame to what dst holds, in dst's array
// when it has room, in a new one when not.
func TestAppendEncode(t *testing.T) {
	c := codec(t)
	raw, _ := json.Marshal(sampleRequest())
	want, err := c.Encode(raw, 7)
	if err != nil {
		t.Fatal(err)
	}
	for _, room := range []int{0, 4, 1 << 10} {
		dst := append(make([]byte, 0, 3+room), "abc"...)
		got, err := c.AppendEncode(dst, raw, 7)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[:3], []byte("abc")) || !bytes.Equal(got[3:], want) {
			t.Fatalf("room %d: %q, want abc then Encode's %d bytes", room, got, len(want))
		}
		if back, err := c.Decode(got[3:]); err != nil || !bytes.Equal(back, raw) {
			t.Fatalf("room %d: decoded %q, %v", room, back, err)
		}
		if room >= len(want) && &got[0] != &dst[:1][0] {
			t.Errorf("room %d for a frame of %d bytes: a new array", room, len(want))
		}
	}
}

func TestFrameRefusals(t *testing.T) {
	c := codec(t)
	raw := bytes.Repeat([]byte(`{"a":"Көл"}`), 1000)
	good, _ := c.Encode(raw, 7)
	noDict, _ := NewCodec(nil)

	bomb := func() []byte {
		// 64 MiB of zeros compress to almost nothing; the header lies.
		enc, _ := zstd.NewWriter(nil)
		z := enc.EncodeAll(make([]byte, 64<<20), nil)
		f := append([]byte("KNF1\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00"), z...)
		return f
	}()
	corrupt := append([]byte(nil), good...)
	corrupt[len(corrupt)-5] ^= 0xff
	badSum := append([]byte(nil), good...)
	badSum[13] ^= 1

	tests := []struct {
		name  string
		codec *Codec
		frame []byte
	}{
		{"empty", c, nil},
		{"not a frame", c, []byte("GET / HTTP/1.1\r\n")},
		{"cut off", c, good[:len(good)/2]},
		{"header only", c, good[:frameHeader]},
		{"corrupt data", c, corrupt},
		{"checksum mismatch", c, badSum},
		{"unknown dictionary", noDict, good},
		{"decompression bomb", c, bomb},
		{"declared too large", c, append([]byte("KNF1\x00\x00\x00\x00\xff\xff\xff\xff\x00\x00\x00\x00"), good[frameHeader:]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.codec.Decode(tt.frame)
			if !errors.Is(err, ErrFrame) {
				t.Fatalf("got %v, want ErrFrame", err)
			}
		})
	}
}

func TestErrorCodes(t *testing.T) {
	e := &Error{Code: CodeRevoked}
	if !errors.Is(e, ErrRevoked) || e.Temporary() || CodeRevoked.Status() != 403 {
		t.Fatalf("revoked: %v temp=%v", e, e.Temporary())
	}
	if g := (&Error{Code: CodeGap, Acked: 5}); !errors.Is(g, ErrGap) || !g.Temporary() {
		t.Fatal("gap must be temporary: resend from Acked")
	}
}

func FuzzDecodeSyncRequest(f *testing.F) {
	c := codec(f)
	raw, _ := json.Marshal(sampleRequest())
	good, _ := c.Encode(raw, 7)
	f.Add(good)
	plain, _ := c.Encode(raw, 0)
	f.Add(plain)
	f.Add([]byte("KNF1"))
	f.Fuzz(func(t *testing.T, frame []byte) {
		var req SyncRequest
		if err := c.DecodeJSON(frame, &req); err != nil {
			if !errors.Is(err, ErrFrame) {
				t.Fatalf("error not ErrFrame: %v", err)
			}
			return
		}
		for _, w := range req.Ops {
			op, err := FromWire(w)
			if err != nil {
				continue
			}
			var s changeset.State
			if _, _, err := s.Apply(op); err != nil {
				t.Fatalf("valid wire op does not apply: %v", err)
			}
		}
	})
}

func FuzzDecodeSyncResponse(f *testing.F) {
	c := codec(f)
	resp := SyncResponse{Proto: Proto, Acked: 3, Cursor: 99, More: true, Ops: sampleRequest().Ops, Refused: []Refusal{{Seq: 2, Code: CodeForbidden, Message: "x"}}}
	good, _ := c.EncodeJSON(resp, 7)
	f.Add(good)
	f.Fuzz(func(t *testing.T, frame []byte) {
		var r SyncResponse
		if err := c.DecodeJSON(frame, &r); err != nil && !errors.Is(err, ErrFrame) {
			t.Fatalf("error not ErrFrame: %v", err)
		}
	})
}

// pagePayload is a reply of n distinct operations, as a pull page holds.
func pagePayload(t testing.TB, n int) []byte {
	resp := SyncResponse{Proto: Proto, Acked: 7, Cursor: 900, Time: 1764900000000}
	for i := range n {
		w := sampleRequest().Ops[0]
		w.Seq = uint64(i + 1)
		w.HLC += uint64(i * 7919)
		w.Record = fmt.Sprintf("01a21153-0b83-732a-a9d2-%012d", i*31)
		resp.Ops = append(resp.Ops, w)
	}
	raw, err := Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// A codec FastBelow(n) compresses a payload under n bytes at the fastest
// level (another frame than the better level's, which any codec decodes)
// and one of n or more as the codec it came from does.
func TestFastBelow(t *testing.T) {
	c := codec(t)
	raw := pagePayload(t, 40)
	for _, dict := range []uint32{0, 7} {
		better, err := c.Encode(raw, dict)
		if err != nil {
			t.Fatal(err)
		}
		fast, err := c.FastBelow(len(raw)+1).Encode(raw, dict)
		if err != nil {
			t.Fatal(err)
		}
		same, err := c.FastBelow(len(raw)).Encode(raw, dict)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(fast, better) {
			t.Errorf("dict %d: a payload under the limit was compressed at the better level", dict)
		}
		if !bytes.Equal(same, better) {
			t.Errorf("dict %d: a payload at the limit was not compressed at the better level", dict)
		}
		other, _ := NewCodec(map[uint32][]byte{7: testDict})
		for _, f := range [][]byte{fast, better} {
			got, err := other.Decode(f)
			if err != nil || !bytes.Equal(got, raw) {
				t.Fatalf("dict %d: round trip through another codec: %v", dict, err)
			}
		}
	}
}

// A payload that fits in smallWindow with its dictionary is compressed
// by an encoder of that window, to the same bytes as with zstd's default
// window, both levels, with and without a dictionary; a larger one by an
// encoder of the default window.
func TestSmallWindowSameBytes(t *testing.T) {
	c := codec(t)
	big := pagePayload(t, 4500)
	for _, dict := range []uint32{0, 7} {
		fit := smallWindow - len(c.dicts[dict])
		for _, n := range []int{200, 64 << 10, fit, fit + 1} {
			for _, fast := range []bool{false, true} {
				raw := big[:n]
				cc := c
				level := zstd.SpeedBetterCompression
				if fast {
					cc, level = c.FastBelow(n+1), zstd.SpeedFastest
				}
				f, err := cc.Encode(raw, dict)
				if err != nil {
					t.Fatal(err)
				}
				opts := []zstd.EOption{zstd.WithEncoderLevel(level), zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true), zstd.WithEncoderCRC(false)}
				if dict != 0 {
					opts = append(opts, zstd.WithEncoderDictRaw(dict, testDict))
				}
				ref, err := zstd.NewWriter(nil, opts...)
				if err != nil {
					t.Fatal(err)
				}
				if want := ref.EncodeAll(raw, nil); !bytes.Equal(f[frameHeader:], want) {
					t.Errorf("dict %d, %d bytes, fast %v: %d bytes compressed, %d with the default window", dict, n, fast, len(f)-frameHeader, len(want))
				}
				if got, err := codec(t).Decode(f); err != nil || !bytes.Equal(got, raw) {
					t.Fatalf("dict %d, %d bytes: round trip: %v", dict, n, err)
				}
				c.encs.mu.Lock()
				small := c.encs.pools[encoderKey{dict, fast, true}]
				c.encs.mu.Unlock()
				if used := small != nil && len(small.free) > 0; used != (n <= fit) {
					t.Errorf("dict %d, %d bytes (%d fit the small window): compressed with its encoders %v", dict, n, fit, used)
				}
				c.encs.mu.Lock()
				delete(c.encs.pools, encoderKey{dict, fast, true})
				c.encs.mu.Unlock()
			}
		}
	}
}

// Frames are compressed at once by up to maxEncoders encoders of each
// kind, shared by the codecs FastBelow derives, each frame whole.
func TestCodecConcurrent(t *testing.T) {
	c := codec(t)
	fast := c.FastBelow(1 << 20)
	payloads := make([][]byte, 8)
	for i := range payloads {
		payloads[i] = pagePayload(t, 5+i*3)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				cc := c
				if (g+i)%2 == 0 {
					cc = fast
				}
				raw := payloads[(g+i)%len(payloads)]
				f, err := cc.Encode(raw, uint32(7*(i%2)))
				if err == nil {
					var got []byte
					if got, err = c.Decode(f); err == nil && !bytes.Equal(got, raw) {
						err = errors.New("decoded another payload")
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if len(c.encs.pools) != 4 {
		t.Errorf("%d pools, want 4 (two dictionaries, two levels), shared by both codecs", len(c.encs.pools))
	}
	for k, p := range c.encs.pools {
		if p.made < 1 || p.made > maxEncoders() {
			t.Errorf("pool %+v made %d encoders, want 1 to %d", k, p.made, maxEncoders())
		}
	}
}
