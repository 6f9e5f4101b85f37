package syncproto

import (
	"encoding/json"
	"testing"
)

// counted is what a decoded request holds.
func counted(req *SyncRequest) Counts {
	c := Counts{Ops: len(req.Ops)}
	for _, w := range req.Ops {
		c.Fields += len(w.Fields)
		for _, f := range w.Fields {
			c.Settles += len(f.S)
		}
	}
	return c
}

// TestCountRequest: the counts of a request, binary or JSON, are what
// decoding it makes.
func TestCountRequest(t *testing.T) {
	for name, req := range binaryRequests() {
		raw, err := AppendSyncRequest(nil, req)
		if err != nil {
			t.Fatal(err)
		}
		js, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		for form, body := range map[string][]byte{"binary": raw, "JSON": js} {
			got, err := CountRequest(body)
			if err != nil {
				t.Fatalf("%s, %s: %v", name, form, err)
			}
			dec, err := DecodeSyncRequest(body)
			if err != nil {
				t.Fatalf("%s, %s: %v", name, form, err)
			}
			if want := counted(dec); got != want {
				t.Errorf("%s, %s: counted %+v, decoded %+v", name, form, got, want)
			}
		}
	}
}

// FuzzCountRequest: whatever the payload, counting never panics, and what
// the decoder makes of it is never more than the counts.
func FuzzCountRequest(f *testing.F) {
	for _, req := range binaryRequests() {
		if len(req.Ops) > 50 {
			continue
		}
		raw, err := AppendSyncRequest(nil, req)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
		js, _ := json.Marshal(req)
		f.Add(js)
	}
	f.Add(body(2, 2, uv(10, 1), group(2, op(0, field("a", 0)), op(1, field("b", 1)))))
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, _ := CountRequest(raw)
		req, err := DecodeSyncRequest(raw)
		if err != nil {
			return
		}
		if d := counted(req); d.Ops > c.Ops || d.Fields > c.Fields || d.Settles > c.Settles {
			t.Fatalf("counted %+v, decoded %+v", c, d)
		}
	})
}
