package policy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

func sum(c byte) string { return strings.Repeat(string([]byte{c}), 64) }

func file(chunks ...string) domain.Attachment {
	a := domain.Attachment{ID: domain.NewID(), Name: "guide.pdf", MIME: "application/pdf", SHA256: sum('f'), AddedOn: caldate.MustParse("2026-03-10")}
	for _, c := range chunks {
		a.Chunks = append(a.Chunks, domain.Chunk{SHA256: c, Size: 100})
		a.Size += 100
	}
	return a
}

func state(kind string, fields map[string]any) *changeset.State {
	st := &changeset.State{Kind: kind, ID: "r", Council: "NRN-ATB", Created: 1, Fields: map[string]changeset.FieldValue{}}
	for k, v := range fields {
		b, _ := json.Marshal(v)
		st.Fields[k] = changeset.FieldValue{Value: b}
	}
	return st
}

// The chunks a record names are those of its attachments (appeals,
// events), its file (materials) or its entries' files (competitions), and
// nothing else it holds.
func TestChunksNamed(t *testing.T) {
	a1, a2 := file(sum('a'), sum('b')), file(sum('c'))
	cases := []struct {
		name string
		st   *changeset.State
		want []string
	}{
		{"an appeal's attachments", state(domain.KindAppeal, map[string]any{"attachments/" + a1.ID: a1, "attachments/" + a2.ID: a2, "summary": sum('d')}), []string{sum('a'), sum('b'), sum('c')}},
		{"a removed attachment", state(domain.KindEvent, map[string]any{"attachments/" + a1.ID: nil, "attachments/" + a2.ID: a2}), []string{sum('c')}},
		{"a material's file", state(domain.KindMaterial, map[string]any{"file": a1, "title": "x"}), []string{sum('a'), sum('b')}},
		{"a competition entry's file", state(domain.KindCompetition, map[string]any{"entries/e1": map[string]any{"id": "e1", "title": "x", "file": a1},
			"entries/e2": map[string]any{"id": "e2", "link": "https://example.kg"}, "entries/e3": nil, "scores/s": map[string]any{"file": a2}}), []string{sum('a'), sum('b')}},
		{"a file-shaped field of a kind without files", state(domain.KindCouncil, map[string]any{"file": a1}), nil},
		{"an attachment that is not a file", state(domain.KindAppeal, map[string]any{"attachments/x": "text"}), nil},
		{"no state", nil, nil},
	}
	for _, c := range cases {
		got := Chunks(c.st)
		if len(got) != len(c.want) {
			t.Errorf("%s: %d chunks, want %d", c.name, len(got), len(c.want))
		}
		for _, w := range c.want {
			ch, _ := ParseChunk(w)
			if got[ch] != 100 {
				t.Errorf("%s: %s not named", c.name, w[:8])
			}
		}
	}
	for _, bad := range []string{"", sum('F'), sum('g'), sum('a')[:63], sum('a') + "0"} {
		if _, err := ParseChunk(bad); err == nil {
			t.Errorf("ParseChunk(%q) took it", bad)
		}
	}
}

// The server checks a material whole after merging (every laptop
// downloads its file), and a material copy.
func TestCheckRecord(t *testing.T) {
	today := caldate.MustParse("2026-03-10")
	good := map[string]any{"title": "Аялдардын укуктары", "language": "ky", "version": 1, "published_on": "2026-03-10", "file": file(sum('a'))}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	bad := file(sum('a'))
	bad.Size = 5 // chunks add up to 100
	huge := file(sum('a'))
	huge.Chunks[0].Size, huge.Size = domain.MaxChunkSize+1, domain.MaxChunkSize+1
	cases := []struct {
		name  string
		st    *changeset.State
		field string // "" accepted
	}{
		{"a material", state(domain.KindMaterial, good), ""},
		{"no title", state(domain.KindMaterial, with("title", nil)), "title"},
		{"a language Kenesh has not", state(domain.KindMaterial, with("language", "de")), "language"},
		{"version 0", state(domain.KindMaterial, with("version", 0)), "version"},
		{"chunks that do not add up", state(domain.KindMaterial, with("file", bad)), "file.chunks"},
		{"a chunk over the limit", state(domain.KindMaterial, with("file", huge)), "file.chunks[0]"},
		{"no file", state(domain.KindMaterial, with("file", nil)), "file.id"},
		{"a material copy", state(domain.KindMaterialCopy, map[string]any{"council": "NRN-ATB", "material": domain.NewID(), "downloaded": 2}), ""},
		{"a copy of no material", state(domain.KindMaterialCopy, map[string]any{"council": "NRN-ATB", "material": "x"}), "material"},
		{"an appeal is not checked here", state(domain.KindAppeal, map[string]any{}), ""},
	}
	for _, c := range cases {
		r := CheckRecord(c.st, today)
		switch {
		case c.field == "" && r != nil:
			t.Errorf("%s: refused: %v", c.name, r)
		case c.field != "" && r == nil:
			t.Errorf("%s: accepted", c.name)
		case c.field != "":
			found := false
			for _, f := range r.Fields {
				found = found || f.Field == c.field
			}
			if r.Code != syncproto.CodeInvalid || !found {
				t.Errorf("%s: %v (fields %v), want %s at fault", c.name, r, r.Fields, c.field)
			}
		}
	}
	del := state(domain.KindMaterial, map[string]any{changeset.DeletedField: true})
	if r := CheckRecord(del, today); r != nil {
		t.Errorf("a deleted material: %v", r)
	}
}

// Materials are a trainer's, for every council; a laptop writes only its
// own copy of a material, of its own council.
func TestMaterialWrites(t *testing.T) {
	trainer := Device{Role: domain.RoleTrainer}
	sec := Device{Role: domain.RoleSecretary, Council: "NRN-ATB"}
	central := Device{Role: domain.RoleCentral}
	material := domain.NewID()
	op := func(dev, kind, record, council string, fields map[string]any) *changeset.Op {
		o := &changeset.Op{Device: dev, Seq: 1, HLC: 9, Kind: kind, Record: record, Council: council, Action: changeset.ActionCreate, Fields: map[string]changeset.Change{}}
		for k, v := range fields {
			b, _ := json.Marshal(v)
			o.Fields[k] = changeset.Change{Value: b}
		}
		return o
	}
	laptop, other := domain.NewID(), domain.NewID()
	copyOf := func(dev string) string { return domain.MaterialCopyID(material, dev) }
	cases := []struct {
		name string
		dev  Device
		op   *changeset.Op
		want syncproto.Code
	}{
		{"a trainer publishes", trainer, op(laptop, domain.KindMaterial, material, "", map[string]any{"title": "x"}), ""},
		{"for one council only", trainer, op(laptop, domain.KindMaterial, material, "NRN-ATB", map[string]any{"title": "x"}), syncproto.CodeInvalid},
		{"a secretary publishes", sec, op(laptop, domain.KindMaterial, material, "", map[string]any{"title": "x"}), syncproto.CodeForbidden},
		{"a secretary's copy", sec, op(laptop, domain.KindMaterialCopy, copyOf(laptop), "NRN-ATB", map[string]any{"council": "NRN-ATB", "material": material, "read": 1}), ""},
		{"another laptop's copy", sec, op(laptop, domain.KindMaterialCopy, copyOf(other), "NRN-ATB", map[string]any{"council": "NRN-ATB", "material": material}), syncproto.CodeForbidden},
		{"a copy of no material", sec, op(laptop, domain.KindMaterialCopy, copyOf(laptop), "NRN-ATB", map[string]any{"council": "NRN-ATB"}), syncproto.CodeInvalid},
		{"another council's copy", sec, op(laptop, domain.KindMaterialCopy, copyOf(laptop), "OSH-ARA", map[string]any{"council": "OSH-ARA", "material": material}), syncproto.CodeWrongCouncil},
		{"a trainer's copy", trainer, op(laptop, domain.KindMaterialCopy, copyOf(laptop), "", map[string]any{"material": material}), syncproto.CodeForbidden},
		{"central staff's copy", central, op(laptop, domain.KindMaterialCopy, copyOf(laptop), "NRN-ATB", map[string]any{"council": "NRN-ATB", "material": material}), syncproto.CodeForbidden},
	}
	for _, c := range cases {
		r := CheckWrite(c.dev, c.op, nil)
		switch {
		case c.want == "" && r != nil:
			t.Errorf("%s: refused: %v", c.name, r)
		case c.want != "" && (r == nil || r.Code != c.want):
			t.Errorf("%s: %v, want %s", c.name, r, c.want)
		}
	}
	// Every device reads materials; a council's copies are read by the
	// council and central staff.
	if !MayRead(sec, domain.KindMaterial, "") || !MayRead(trainer, domain.KindMaterial, "") {
		t.Error("materials not read by everyone")
	}
	if !MayRead(sec, domain.KindMaterialCopy, "NRN-ATB") || MayRead(sec, domain.KindMaterialCopy, "OSH-ARA") || !MayRead(central, domain.KindMaterialCopy, "OSH-ARA") || MayRead(trainer, domain.KindMaterialCopy, "NRN-ATB") {
		t.Error("material copies read by the wrong devices")
	}
}

// Chunks are kept for, and counted against, the record's council; a
// material's for no council (every device reads it).
func TestOwner(t *testing.T) {
	for _, c := range []struct {
		kind, want string
	}{
		{domain.KindAppeal, "NRN-ATB"}, {domain.KindEvent, "NRN-ATB"}, {domain.KindMaterial, GlobalOwner},
	} {
		st := state(c.kind, nil)
		if c.kind == domain.KindMaterial {
			st.Council = ""
		}
		if got := Owner(st); got != c.want {
			t.Errorf("%s: owner %q, want %q", c.kind, got, c.want)
		}
	}
	// Council codes are capital letters, digits and hyphens.
	if strings.ToUpper(GlobalOwner) == GlobalOwner || !strings.ContainsAny(GlobalOwner, "_") {
		t.Error("GlobalOwner could be a council's code")
	}
}
