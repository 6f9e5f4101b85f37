package index

import (
	"bytes"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// An index row as a laptop's store keeps it (Marshal): rows are read back
// at every start, by the version that comes after the one that wrote
// them. This pins the form of rowVersion 3; a new form takes a new
// rowVersion (rows of another version are rebuilt from the states at
// open), then go test -update.
func TestGoldenRow(t *testing.T) {
	row := &Row{Kind: "appeal", ID: "01a21154-2c3d-7e4f-8a5b-6c7d8e9f0a1b", Council: "NRN-ATB", Oblast: "KG-N", District: "KG-N-ATB",
		Status: "under_review", Category: "police_justice", Date: "2026-11-25", Deadline: "2026-12-10", Title: "Милиция арызды каттоодон баш тартты (ң ө ү)",
		RegNo: "NRN-ATB-2026-K7QH-0001", Facts: "a1\x1fphone\x1fpolice", Deleted: true, Updated: 117675588638146560, Search: "not stored with the row"}
	var dump bytes.Buffer
	for b := row.Marshal(); len(b) > 0; {
		n := min(32, len(b))
		dump.WriteString(hex.EncodeToString(b[:n]) + "\n")
		b = b[n:]
	}
	path := filepath.Join("testdata", "golden", "row-v3.hex")
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, dump.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(dump.Bytes(), want) {
		t.Errorf("an index row's stored form changed without a new rowVersion:\ngot:\n%s\nwant:\n%s", dump.Bytes(), want)
	}
	stored, err := hex.DecodeString(strings.ReplaceAll(string(want), "\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	back, err := Unmarshal(row.Kind, row.ID, stored)
	wantRow := *row
	wantRow.Search = ""
	if err != nil || !reflect.DeepEqual(*back, wantRow) {
		t.Errorf("the stored row reads back as %+v (%v), want %+v", back, err, wantRow)
	}
	// A row of another version is rebuilt, not misread.
	stored[0] = rowVersion + 1
	if _, err := Unmarshal(row.Kind, row.ID, stored); err != ErrRowVersion {
		t.Errorf("a row of another version: %v", err)
	}
}
