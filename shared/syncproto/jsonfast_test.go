package syncproto

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
)

// jsonOpsAgree checks decodeJSONOps against encoding/json on raw: when
// the fast path takes a request, json.Unmarshal takes it too and
// OpFromWire makes the same operations of it; and DecodeSyncRequestOps
// decodes raw as DecodeSyncRequest does either way. It reports whether
// the fast path took raw.
func jsonOpsAgree(t *testing.T, raw []byte) bool {
	t.Helper()
	slow, slowErr := DecodeSyncRequest(raw)
	req, ops, fast := decodeJSONOps(raw)
	if fast {
		if slowErr != nil {
			t.Fatalf("the fast path took %.300q, encoding/json refuses it: %v", raw, slowErr)
		}
		sameJSONOps(t, "the fast path", req, ops, slow)
	}
	head, ops, err := DecodeSyncRequestOps(raw)
	// As the server decodes it: counted first, then not walked again.
	_, countErr := CountRequest(raw)
	chead, cops, cerr := DecodeCountedSyncRequestOps(raw, countErr)
	if fmt.Sprint(cerr) != fmt.Sprint(err) || !reflect.DeepEqual(chead, head) || !reflect.DeepEqual(cops, ops) {
		t.Fatalf("%.300q: DecodeCountedSyncRequestOps %+v %v, DecodeSyncRequestOps %+v %v", raw, chead, cerr, head, err)
	}
	switch {
	case slowErr != nil:
		if err == nil || errors.Is(slowErr, ErrLimit) != errors.Is(err, ErrLimit) || errors.Is(slowErr, ErrFrame) != errors.Is(err, ErrFrame) {
			t.Fatalf("%.300q: DecodeSyncRequest %v, DecodeSyncRequestOps %v", raw, slowErr, err)
		}
	case err != nil:
		t.Fatalf("%.300q: DecodeSyncRequest took it, DecodeSyncRequestOps: %v", raw, err)
	case head.Ops == nil:
		sameJSONOps(t, "DecodeSyncRequestOps", head, ops, slow)
	case !reflect.DeepEqual(head, slow):
		t.Fatalf("%.300q: DecodeSyncRequestOps %+v, DecodeSyncRequest %+v", raw, head, slow)
	}
	return fast
}

func sameJSONOps(t *testing.T, what string, req *SyncRequest, ops []changeset.Op, slow *SyncRequest) {
	t.Helper()
	if req.Ops != nil {
		t.Fatalf("%s: %d wire operations", what, len(req.Ops))
	}
	want := *slow
	want.Ops = nil
	if !reflect.DeepEqual(*req, want) {
		t.Fatalf("%s: request %+v, encoding/json %+v", what, *req, want)
	}
	if len(ops) != len(slow.Ops) {
		t.Fatalf("%s: %d operations, encoding/json %d", what, len(ops), len(slow.Ops))
	}
	for i := range ops {
		if w := OpFromWire(&slow.Ops[i]); !reflect.DeepEqual(ops[i], w) {
			t.Fatalf("%s: operation %d\n%#v\nencoding/json and OpFromWire\n%#v", what, i, ops[i], w)
		}
	}
}

// jsonRequests are JSON bodies as laptops write them.
func jsonRequests(t testing.TB) map[string][]byte {
	out := map[string][]byte{}
	for name, req := range binaryRequests() {
		b, err := Marshal(req.WithWire())
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	for _, n := range []int{1, 5, 50} {
		b, err := Marshal(benchRequest(n))
		if err != nil {
			t.Fatal(err)
		}
		out[string(rune('0'+n%10))+" bench"] = b
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "golden", "sync-request.json"))
	if err != nil {
		t.Fatal(err)
	}
	out["golden"] = golden
	return out
}

// TestJSONOpsFast: every JSON body a laptop writes is decoded by the fast
// path, to the operations encoding/json and OpFromWire make of it.
func TestJSONOpsFast(t *testing.T) {
	for name, raw := range jsonRequests(t) {
		if !jsonOpsAgree(t, raw) {
			t.Errorf("%s: not taken by the fast path: %.300s", name, raw)
		}
	}
}

// TestJSONOpsOthers: JSON bodies a laptop does not write are left to
// encoding/json and decode as before, and those the fast path takes
// (values of every shape) decode as encoding/json decodes them.
func TestJSONOpsOthers(t *testing.T) {
	const dev = `"01a21153-0b49-7f01-9325-83417e1d6f9d"`
	op := func(f string) string {
		return `{"proto":2,"device":` + dev + `,"ops":[{"dv":` + dev + `,"sq":1,"t":5,"k":"appeal","r":"r1","c":"NRN-ATB","a":"update","u":"Нарын","f":{` + f + `}}],"cursor":3,"pull":true}`
	}
	for _, tc := range []struct {
		name string
		raw  string
		fast bool
	}{
		{"values of every shape", op(`"a":{"v":null},"b":{"v":{"x":[1,-2.5e+3,true,false,null,"\u0041\n\"\\\/"],"y":{}}},"c":{"v":[]},"d":{"v":"ң ө ү \u2028","b":4},"e":{"v":0,"s":[{"t":1,"d":"d1"},{"t":2,"d":"d2"}]},"g":{"v":-0.0},"h":{"s":[]}`), true},
		{"no fields", op(``), true},
		{"an empty request", `{}`, true},
		{"no f", `{"ops":[{"dv":"a","sq":1}]}`, true},
		{"empty operations", `{"ops":[],"device":"a"}`, true},
		{"a space", `{"proto": 2}`, false},
		{"a newline after", op(`"a":{"v":1}`) + "\r\n", true},
		{"a space before", " " + op(`"a":{"v":1}`), false},
		{"whitespace in a value", op(`"a":{"v":[1, 2]}`), false},
		{"an unknown key", `{"proto":2,"other":1}`, false},
		{"a key in another case", `{"Device":"a"}`, false},
		{"a key twice", `{"cursor":1,"cursor":2}`, false},
		{"a field twice", op(`"a":{"v":1},"a":{"v":2}`), false},
		{"a change's key twice", op(`"a":{"v":1,"v":2}`), false},
		{"an escaped device", `{"device":"a\u0062"}`, false},
		{"a device not UTF-8", "{\"device\":\"a\xffb\"}", false},
		{"a value not UTF-8", op("\"a\":{\"v\":\"\xff\"}"), true},
		{"null operations", `{"ops":null}`, false},
		{"a null device", `{"device":null}`, false},
		{"a seq with a fraction", `{"ops":[{"sq":1.5}]}`, false},
		{"a seq of 0.0", `{"ops":[{"sq":0.0}]}`, false},
		{"a leading zero", `{"cursor":01}`, false},
		{"a negative protocol", `{"proto":-1}`, false},
		{"the largest seq", `{"ops":[{"sq":18446744073709551615}]}`, false},
		{"a seq over 64 bits", `{"ops":[{"sq":18446744073709551616}]}`, false},
		{"after the end", `{"cursor":1}x`, false},
		{"two requests", `{"cursor":1}{"cursor":2}`, false},
		{"a broken value", op(`"a":{"v":tru}`), false},
		{"a value's control character", op("\"a\":{\"v\":\"a\tb\"}"), false},
		{"a bad escape", op(`"a":{"v":"\x"}`), false},
		{"a short unicode escape", op(`"a":{"v":"\u12"}`), false},
		{"cut off", op(`"a":{"v":1}`)[:40], false},
		{"not an object", `[1]`, false},
		{"a string for a bool", `{"pull":"true"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := jsonOpsAgree(t, []byte(tc.raw)); got != tc.fast {
				t.Errorf("taken by the fast path: %v, want %v", got, tc.fast)
			}
		})
	}
	// Deeper than the fast path reads: encoding/json's.
	deep := `{"ops":[{"f":{"a":{"v":`
	for range maxValueDepth + 2 {
		deep += "["
	}
	for range maxValueDepth + 2 {
		deep += "]"
	}
	deep += `}}}]}`
	if jsonOpsAgree(t, []byte(deep)) {
		t.Error("a value nested deeper than maxValueDepth taken by the fast path")
	}
}

// FuzzJSONOps: whatever the body, what the fast path takes encoding/json
// takes and decodes to the same operations.
func FuzzJSONOps(f *testing.F) {
	for _, raw := range jsonRequests(f) {
		if len(raw) < 4000 {
			f.Add(raw)
		}
	}
	f.Add([]byte(`{"ops":[{"f":{"a":{"v":{"x":[1,-2.5e+3,true,null,"\u0041"]},"b":3,"s":[{"t":1,"d":"d"}]}}}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if len(raw) == 0 || IsBinaryRequest(raw) {
			return
		}
		jsonOpsAgree(t, raw)
	})
}

// BenchmarkDecodeJSONRequest: a change set of 5 operations as JSON, as
// laptops send it, decoded as the server decodes it.
func BenchmarkDecodeJSONRequest(b *testing.B) {
	raw, err := Marshal(benchRequest(5))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := DecodeSyncRequestOps(raw); err != nil {
			b.Fatal(err)
		}
	}
}
