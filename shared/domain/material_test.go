package domain

import (
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
)

// A laptop's copy of a material has one id, the same on every call and
// different for every laptop and material; it is pinned, since copies
// already made keep theirs.
func TestMaterialCopyID(t *testing.T) {
	m, d := "01a21154-2c3d-7e4f-8a5b-6c7d8e9f0a1b", "01a21153-0b49-7f01-9325-83417e1d6f9d"
	id := MaterialCopyID(m, d)
	if id != MaterialCopyID(m, d) || !ValidID(id) {
		t.Fatalf("MaterialCopyID = %s", id)
	}
	if id == MaterialCopyID(m, NewID()) || id == MaterialCopyID(NewID(), d) {
		t.Error("two copies share an id")
	}
	if want := "bb8887d2-3f7e-57aa-adcf-71fe96fc8a41"; id != want {
		t.Errorf("MaterialCopyID = %s, was %s: copies made already keep the old ids", id, want)
	}
}

func TestMaterialValidate(t *testing.T) {
	today := caldate.MustParse("2026-03-10")
	f := Attachment{ID: NewID(), Name: "колдонмо.pdf", Size: 3, SHA256: strings.Repeat("a", 64), Chunks: []Chunk{{SHA256: strings.Repeat("b", 64), Size: 3}}}
	m := Material{ID: NewID(), Title: "  Аялдардын укуктары ", Language: "ky", Version: 1, PublishedOn: today, File: f}
	m.Normalize()
	if err := m.Validate(today); err != nil || m.Title != "Аялдардын укуктары" {
		t.Fatalf("%q: %v", m.Title, err)
	}
	m.File.Size, m.File.Chunks[0].Size = MaxMaterialSize+1, MaxMaterialSize+1
	m.Language = ""
	err := m.Validate(today)
	for _, want := range []string{"language: is required", "file.size", "file.chunks[0]"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: want %q", err, want)
		}
	}
}
