package changeset

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/hlc"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// Stored operations and states outlive every release: a laptop's store and
// the server's are read by the versions that come after the one that wrote
// them. These golden files pin the encodings as written today, and each is
// read back to the same value. A change to an encoding must keep reading
// the old bytes (a new leading version byte, as 0x02 for settling
// operations was added): then run go test -update, and keep the old file
// under another name so that it goes on being read.

// hexDump writes b as hex, 32 bytes a line, so that a change shows in a
// diff.
func hexDump(b []byte) []byte {
	var out bytes.Buffer
	for len(b) > 0 {
		n := min(32, len(b))
		out.WriteString(hex.EncodeToString(b[:n]))
		out.WriteByte('\n')
		b = b[n:]
	}
	return out.Bytes()
}

func unhex(t *testing.T, b []byte) []byte {
	t.Helper()
	out, err := hex.DecodeString(strings.ReplaceAll(string(b), "\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// golden compares got with testdata/golden/name (or writes it with
// -update) and returns what the file holds.
func golden(t *testing.T, name string, got []byte) []byte {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return got
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the stored form of %s changed: every store in the field holds the old one. Keep reading it (see the comment above), then go test -update.\ngot:\n%s\nwant:\n%s", name, got, want)
	}
	return want
}

const (
	devA      = "01a21153-0b49-7f01-9325-83417e1d6f9d"
	devB      = "01a21160-0b49-7f01-9325-83417e1d6f9e"
	goldenRec = "01a21154-2c3d-7e4f-8a5b-6c7d8e9f0a1b"
)

func goldenOps() map[string]*Op {
	t0 := hlc.New(1764064800000, 0) // 2025-11-25 10:00 UTC
	return map[string]*Op{
		"op-create": {Device: devA, Seq: 1, HLC: t0, Kind: "appeal", Record: goldenRec, Council: "NRN-ATB", Action: ActionCreate, Author: "Ат-Башы катчысы",
			Fields: map[string]Change{
				"council": {Value: json.RawMessage(`"NRN-ATB"`)},
				"summary": {Value: json.RawMessage(`"Милиция арызды каттоодон баш тартты: ң ө ү"`)},
				"status":  {Value: json.RawMessage(`"received"`)},
			}},
		"op-update": {Device: devB, Seq: 12, HLC: t0 + 5, Kind: "appeal", Record: goldenRec, Council: "NRN-ATB", Action: ActionUpdate, Author: "Ат-Башы төрагасы",
			Fields: map[string]Change{"status": {Value: json.RawMessage(`"under_review"`), Base: t0}}},
		"op-delete": {Device: devA, Seq: 2, HLC: t0 + 9, Kind: "event", Record: goldenRec, Council: "NRN-ATB", Action: ActionDelete,
			Fields: map[string]Change{DeletedField: {Value: json.RawMessage(`true`), Base: t0 + 1}}},
		"op-settles": {Device: devA, Seq: 3, HLC: t0 + 20, Kind: "appeal", Record: goldenRec, Council: "NRN-ATB", Action: ActionUpdate, Author: "Ат-Башы катчысы",
			Fields: map[string]Change{"summary": {Value: json.RawMessage(`"биригди"`), Base: t0 + 5,
				Settles: []Version{{HLC: t0 + 5, Device: devB}, {HLC: t0, Device: devA}}}}},
	}
}

func goldenState() *State {
	t0 := hlc.New(1764064800000, 0)
	return &State{Kind: "appeal", ID: goldenRec, Council: "NRN-ATB", Created: t0, Author: "Ат-Башы катчысы", Device: devA, Updated: t0 + 20,
		Fields: map[string]FieldValue{
			"council": {Value: json.RawMessage(`"NRN-ATB"`), HLC: t0, Device: devA, Seq: 1},
			"summary": {Value: json.RawMessage(`"биригди"`), HLC: t0 + 20, Device: devA, Seq: 3, Base: t0 + 5},
			"status":  {Value: json.RawMessage(`"under_review"`), HLC: t0 + 5, Device: devB, Seq: 12, Base: t0},
		}}
}

// Operations as a store writes them (AppendBinary: 0x01, or 0x02 when one
// settles conflicts) and as an older store wrote them (JSON).
func TestGoldenOps(t *testing.T) {
	for name, op := range goldenOps() {
		b, err := op.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		stored := unhex(t, golden(t, name+".hex", hexDump(b)))
		back, err := DecodeOp(stored)
		if err != nil || !reflect.DeepEqual(back, op) {
			t.Errorf("%s does not read back: %v\n%+v\n%+v", name, err, back, op)
		}
		j, err := json.Marshal(op)
		if err != nil {
			t.Fatal(err)
		}
		stored = golden(t, name+".json", append(j, '\n'))
		back, err = DecodeOp(bytes.TrimSpace(stored))
		if err != nil || !reflect.DeepEqual(back, op) {
			t.Errorf("%s (JSON, as an older store wrote it) does not read back: %v\n%+v\n%+v", name, err, back, op)
		}
	}
}

// A record's state as a store writes it, and as an older store wrote it.
func TestGoldenState(t *testing.T) {
	st := goldenState()
	b, err := st.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeState(unhex(t, golden(t, "state.hex", hexDump(b))))
	if err != nil || !reflect.DeepEqual(normState(back), st) {
		t.Errorf("the state does not read back: %v\n%+v\n%+v", err, back, st)
	}
	j, _ := json.Marshal(st)
	back, err = DecodeState(bytes.TrimSpace(golden(t, "state.json", append(j, '\n'))))
	if err != nil || !reflect.DeepEqual(back, st) {
		t.Errorf("the state (JSON) does not read back: %v\n%+v\n%+v", err, back, st)
	}
}

// A conflict, as a laptop's store keeps it (JSON).
func TestGoldenConflict(t *testing.T) {
	st := goldenState()
	c := Conflict{Kind: "appeal", Record: goldenRec, Field: "summary", Winner: st.Fields["summary"],
		Loser: FieldValue{Value: json.RawMessage(`"башка"`), HLC: st.Created + 5, Device: devB, Seq: 13, Base: st.Created}}
	j, _ := json.Marshal(c)
	var back Conflict
	if err := json.Unmarshal(golden(t, "conflict.json", append(j, '\n')), &back); err != nil || !reflect.DeepEqual(back, c) {
		t.Errorf("the conflict does not read back: %v\n%+v\n%+v", err, back, c)
	}
}
