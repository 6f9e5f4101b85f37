package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// wireOp is syncproto.WireOp's JSON, as a summary must still decode.
type wireOp struct {
	Device string                     `json:"dv"`
	Seq    uint64                     `json:"sq"`
	HLC    uint64                     `json:"t"`
	Kind   string                     `json:"k"`
	Record string                     `json:"r"`
	Action string                     `json:"a"`
	Author string                     `json:"u"`
	Fields map[string]json.RawMessage `json:"f"`
	Cut    *struct {
		Bytes  int    `json:"bytes"`
		Fields int    `json:"fields"`
		SHA256 string `json:"sha256"`
	} `json:"cut"`
}

// An operation of at most MaxRefusedOp bytes is kept byte for byte; a
// longer one as a summary that keeps its head whole (ids), its first
// fields' names with a prefix of their values, and its length, field
// count and SHA-256, the same bytes each time.
func TestCutRefusedOp(t *testing.T) {
	small := json.RawMessage(`{"dv":"x","sq":1,"k":"appeal","r":"Ат-Башы","f":{"text":{"v":"кеңеш"}}}`)
	if got := CutRefusedOp(small); !bytes.Equal(got, small) {
		t.Fatalf("a small operation: %s", got)
	}
	fields := map[string]json.RawMessage{}
	for i := range 40 {
		v, _ := json.Marshal(strings.Repeat("жер ", 500))
		fields[fmt.Sprintf("note_%02d", i)] = json.RawMessage(`{"v":` + string(v) + `,"b":5}`)
	}
	f, _ := json.Marshal(fields)
	author := strings.Repeat("7", 8000)
	big := json.RawMessage(`{"dv":"01JABCDEVICE0000000000000","sq":12,"t":1234567,"k":"appeal","r":"01JABCRECORD0000000000000","c":"NRN-ATB","a":"update","u":"` + author + `","f":` + string(f) + `}`)
	got := CutRefusedOp(big)
	if len(got) > MaxRefusedOp || !json.Valid(got) {
		t.Fatalf("summary of %d bytes (valid JSON %v): %s", len(got), json.Valid(got), got)
	}
	var w wireOp
	if err := json.Unmarshal(got, &w); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(big)
	if w.Device != "01JABCDEVICE0000000000000" || w.Seq != 12 || w.HLC != 1234567 || w.Kind != "appeal" || w.Record != "01JABCRECORD0000000000000" || w.Action != "update" ||
		w.Cut == nil || w.Cut.Bytes != len(big) || w.Cut.Fields != 40 || w.Cut.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("summary: %s", got)
	}
	if !strings.HasPrefix(w.Author, "777") || !strings.HasSuffix(w.Author, "…") || len(w.Author) > cutValueLen {
		t.Errorf("author %q: want a prefix", w.Author)
	}
	if len(w.Fields) != cutFields || w.Fields["note_00"] == nil || !strings.Contains(string(w.Fields["note_00"]), `"v":"жер`) {
		t.Errorf("fields: %s", got)
	}
	if again := CutRefusedOp(big); !bytes.Equal(again, got) {
		t.Errorf("not the same bytes twice:\n%s\n%s", got, again)
	}
}

// Whatever the operation, its summary is at most MaxRefusedOp bytes and
// valid JSON: names and values that JSON escapes six bytes a byte, long
// names, invalid UTF-8, many keys, values of every type, no object.
func TestCutRefusedOpBound(t *testing.T) {
	esc := strings.Repeat("<\x01\"\\\u2028\xff&", 400)
	fields := map[string]json.RawMessage{}
	for i := range 100 {
		k, _ := json.Marshal(fmt.Sprintf("%d%s", i, esc))
		v, _ := json.Marshal(esc)
		fields[string(k[1:len(k)-1])] = json.RawMessage(`{"v":` + string(v) + `}`)
	}
	fields["n"] = json.RawMessage(`{"v":12345678901234567890123456789012345678901234567890}`)
	fields["o"] = json.RawMessage(`{"v":{"a":[1,2,3,"` + strings.Repeat("x", 5000) + `"]}}`)
	fields["x"] = json.RawMessage(`[1,2]`)
	f, _ := json.Marshal(fields)
	head := map[string]json.RawMessage{"f": f}
	for i := range 30 {
		v, _ := json.Marshal(esc)
		head[fmt.Sprintf("%02d%s", i, strings.Repeat("k", 100))] = v
	}
	obj, _ := json.Marshal(head)
	for name, op := range map[string]json.RawMessage{
		"escapes":   obj,
		"array":     json.RawMessage(`[` + strings.Repeat(`"\u0001<>",`, 1000) + `1]`),
		"string":    json.RawMessage(`"` + strings.Repeat(`\u0001`, 2000) + `"`),
		"fields":    json.RawMessage(`{"f":"` + strings.Repeat(`<`, 5000) + `"}`),
		"not JSON":  json.RawMessage(strings.Repeat("\x00\xff<", 2000)),
		"cut field": json.RawMessage(`{"cut":"` + strings.Repeat("z", 5000) + `"}`),
	} {
		got := CutRefusedOp(op)
		if len(got) > MaxRefusedOp || !json.Valid(got) {
			t.Errorf("%s: summary of %d bytes (valid JSON %v): %.300s", name, len(got), json.Valid(got), got)
		}
	}
}

func TestCutString(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "…"},
		{"abcdef", 5, "ab…"},
		{"жжж", 6, "жжж"},
		{"жжжж", 6, "ж…"},
		{"a<b", 8, "a<b"},
		{"a<bc", 8, "a…"},
		{"\xffa", 4, "\ufffda"},
	} {
		got := cutString(c.s, c.n)
		if got != c.want {
			t.Errorf("cutString(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
		if b, _ := json.Marshal(got); len(b)-2 > c.n {
			t.Errorf("cutString(%q, %d): %d bytes as JSON", c.s, c.n, len(b)-2)
		}
	}
}
