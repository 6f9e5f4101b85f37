package syncproto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
)

func TestDecodeSyncRequest(t *testing.T) {
	good, _ := Marshal(sampleRequest())
	manyOps := `{"proto":1,"ops":[` + strings.TrimSuffix(strings.Repeat(`{},`, MaxPushOps+1), ",") + `]}`
	justEnough := `{"proto":1,"ops":[` + strings.TrimSuffix(strings.Repeat(`{},`, MaxPushOps), ",") + `]}`
	fields := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, `"f%d":{"v":%d},`, i, i)
		}
		return strings.TrimSuffix(b.String(), ",")
	}
	manyFields := `{"ops":[{"f":{` + fields(changeset.MaxFieldsPerOp+1) + `}}]}`
	twiceFields := `{"ops":[{"f":{` + fields(changeset.MaxFieldsPerOp) + `},"F":{` + fields(changeset.MaxFieldsPerOp) + `}}]}`
	var total strings.Builder
	total.WriteString(`{"ops":[`)
	for i := 0; i < MaxPushFields/changeset.MaxFieldsPerOp+1; i++ {
		if i > 0 {
			total.WriteByte(',')
		}
		total.WriteString(`{"f":{` + fields(changeset.MaxFieldsPerOp) + `}}`)
	}
	total.WriteString(`]}`)
	cases := []struct {
		name, in string
		limit    bool // ErrLimit, else ErrFrame (or no error when ok)
		ok       bool
	}{
		{"a laptop's request", string(good), false, true},
		{"unknown keys are skipped", `{"proto":1,"later":{"x":[1,2]},"pull":true}`, false, true},
		{"no ops", `{"proto":1,"ops":null}`, false, true},
		{"exactly the most operations", justEnough, false, true},
		{"one operation too many", manyOps, true, false},
		{"fields over the limit", manyFields, true, false},
		{"fields given twice (json adds them to one map)", twiceFields, true, false},
		{"too many fields in all", total.String(), true, false},
		{"settles too many", `{"ops":[{"f":{"a":{"v":1,"s":[` + strings.TrimSuffix(strings.Repeat(`{},`, changeset.MaxSettles+1), ",") + `]}}}]}`, true, false},
		{"settles the most", `{"ops":[{"f":{"a":{"v":1,"s":[` + strings.TrimSuffix(strings.Repeat(`{"t":1,"d":"x"},`, changeset.MaxSettles), ",") + `]}}}]}`, false, true},
		{"a key twice (json keeps the last)", `{"ops":[],"ops":[]}`, false, true},
		{"ops in another case, counted", `{"proto":1,"OPS":[` + strings.TrimSuffix(strings.Repeat(`{},`, MaxPushOps+1), ",") + `]}`, true, false},
		{"ops with an escape, counted", `{"proto":1,"o\u0070s":[` + strings.TrimSuffix(strings.Repeat(`{},`, MaxPushOps+1), ",") + `]}`, true, false},
		{"not an object", `[1]`, false, false},
		{"data after", `{"proto":1} {}`, false, false},
		{"cut off", string(good[:len(good)-3]), false, false},
		{"ops not an array", `{"ops":{}}`, false, false},
		{"a wrong type", `{"cursor":"x"}`, false, false},
	}
	for _, c := range cases {
		req, err := DecodeSyncRequest([]byte(c.in))
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case !c.ok && err == nil:
			t.Errorf("%s: decoded", c.name)
		case !c.ok && c.limit && !errors.Is(err, ErrLimit):
			t.Errorf("%s: %v, want ErrLimit", c.name, err)
		case !c.ok && !c.limit && !errors.Is(err, ErrFrame):
			t.Errorf("%s: %v, want ErrFrame", c.name, err)
		}
		if c.name == "a laptop's request" {
			want := sampleRequest()
			if !reflect.DeepEqual(*req, want) {
				t.Errorf("decoded %+v, want %+v", *req, want)
			}
		}
	}
}

// Decoding stops at the limit: a 16 MiB payload of empty operations costs
// what 2,000 of them do, not gigabytes.
func TestDecodeSyncRequestStopsAtTheLimit(t *testing.T) {
	raw := []byte(`{"proto":1,"ops":[` + strings.Repeat(`{},`, (MaxRawBytes-40)/3) + `{}]}`)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := DecodeSyncRequest(raw)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("%v, want ErrLimit", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Fatalf("decoding a 16 MiB bomb allocated %d MiB", alloc>>20)
	}
}

// FuzzStreamDecodeSyncRequest: whatever it is given, the decoder never panics,
// and what it decodes is what json.Unmarshal makes of the same request
// written back.
func FuzzStreamDecodeSyncRequest(f *testing.F) {
	good, _ := Marshal(sampleRequest())
	f.Add(good)
	f.Add([]byte(`{"proto":1,"ops":[{},{"f":{"a":{"v":1},"a":{"v":2}}}],"x":null}`))
	f.Add([]byte(`{"ops":[{"F":{"a":{}},"f":null}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, err := DecodeSyncRequest(raw)
		if err != nil {
			if !errors.Is(err, ErrFrame) && !errors.Is(err, ErrLimit) {
				t.Fatalf("an error of no kind: %v", err)
			}
			return
		}
		again, err := Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		var want SyncRequest
		if err := json.Unmarshal(again, &want); err != nil {
			t.Fatal(err)
		}
		back, err := DecodeSyncRequest(again)
		if err != nil {
			t.Fatalf("%s: %v", again, err)
		}
		if !bytes.Equal(mustMarshal(t, back), mustMarshal(t, &want)) {
			t.Fatalf("decoded %s, json.Unmarshal %s", mustMarshal(t, back), mustMarshal(t, &want))
		}
	})
}

func mustMarshal(t *testing.T, v any) []byte {
	b, err := Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzRequestCounts: whatever requestCounts lets through, json.Unmarshal
// makes no more of than the limits allow.
func FuzzRequestCounts(f *testing.F) {
	f.Add([]byte(`{"ops":[{"f":{"a":{"v":[1,2,3],"s":[{"t":1,"d":"x"},{"t":2,"d":"y"}]},"b":{"v":null}}}]}`))
	f.Add([]byte(`{"OPS":[{"f":{"a":{"S":[{},{}]}},"F":{"b":{"\u0073":[{}]}}}],"o\u0070s":[]}`))
	f.Add([]byte(`{"ops":[{"f":{"a":{"ſ":[{},{},{}]}}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if requestCounts(b) != nil {
			return
		}
		var req SyncRequest
		if json.Unmarshal(b, &req) != nil {
			return
		}
		if len(req.Ops) > MaxPushOps {
			t.Fatalf("%d operations let through", len(req.Ops))
		}
		total := 0
		for _, w := range req.Ops {
			total += len(w.Fields)
			if len(w.Fields) > changeset.MaxFieldsPerOp {
				t.Fatalf("%d fields let through: %s", len(w.Fields), b)
			}
			for name, c := range w.Fields {
				if len(c.S) > changeset.MaxSettles {
					t.Fatalf("field %q settles %d: %s", name, len(c.S), b)
				}
			}
		}
		if total > MaxPushFields {
			t.Fatalf("%d fields in all", total)
		}
	})
}
