package backup

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// What starts a backup's content (inside the age encryption): the magic
// line and the header line, as this version writes them. A backup is
// restored by later versions, years later: this pins the form of version 1
// (a change of it takes a new Header.Version that Restore still reads,
// then go test -update).
func TestGoldenHeader(t *testing.T) {
	h := Header{Version: 1, Created: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), Device: "01a21153-0b49-7f01-9325-83417e1d6f9d",
		Name: "Ат-Башы ноутбугу", Seq: 4200}
	hb, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	got := []byte(magic + string(hb) + "\n")
	path := filepath.Join("testdata", "golden", "header-v1.txt")
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("a backup's header changed:\ngot:  %s\nwant: %s", got, want)
	}
	// Read as Restore reads it: the magic line, then one line of JSON.
	line, rest, _ := strings.Cut(string(want), "\n")
	var back Header
	if line+"\n" != magic || json.Unmarshal([]byte(rest), &back) != nil || back != h || back.Version != 1 {
		t.Errorf("the golden header reads as %q, %+v", line, back)
	}
}
