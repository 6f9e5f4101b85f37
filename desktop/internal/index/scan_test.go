package index

import (
	"slices"
	"testing"
)

// Scan visits exactly the rows Query returns, with their columns and
// facts, whichever filter (text included) and after an update.
func TestScanMatchesQuery(t *testing.T) {
	ix := New()
	rs := rows()
	rs[0].Facts, rs[2].Facts = "a1\x1fphone", "a1\x1fletter"
	if err := ix.Put(rs...); err != nil {
		t.Fatal(err)
	}
	up := *rs[2]
	up.Status, up.Facts = "closed", "a1\x1femail"
	if err := ix.Put(&up); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Filter{{Kind: "appeal"}, {Kind: "appeal", IncludeDeleted: true}, {Kind: "appeal", Council: "OSH"},
		{Kind: "appeal", From: "2026-01-15"}, {Kind: "appeal", Text: "кол"}, {Kind: "event"},
		{Kind: "appeal", Where: func(s *Scanned) bool { return s.Facts == "a1\x1fphone" }},
		{Kind: "appeal", Text: "жер", Where: func(s *Scanned) bool { return s.Facts != "" }}, {Kind: "appeal", Council: "nobody"}, {Kind: "nothing"}} {
		want, err := ix.Query(f)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		byID := map[string]Scanned{}
		if err := ix.Scan(f, func(s *Scanned) { got = append(got, s.ID); byID[s.ID] = *s }); err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		w := ids(want)
		slices.Sort(w)
		if !slices.Equal(got, w) {
			t.Errorf("%+v: scanned %v, queried %v", f, got, w)
		}
		for _, r := range want {
			s := byID[r.ID]
			if s.Council != r.Council || s.Status != r.Status || s.Date != r.Date || s.Deadline != r.Deadline || s.Facts != r.Facts || s.Kind != r.Kind {
				t.Errorf("%+v: scanned %+v, row %+v", f, s, r)
			}
		}
	}
	if got, _ := ix.Count(Filter{Kind: "appeal", Where: func(s *Scanned) bool { return s.Council == "NRN" }}); got != 2 {
		t.Errorf("a Where on the council counts %d, want 2", got)
	}
	var facts string
	ix.Scan(Filter{Kind: "appeal", Council: "OSH"}, func(s *Scanned) { facts = s.Facts })
	if facts != "a1\x1femail" {
		t.Errorf("facts after an update: %q", facts)
	}
	if err := ix.Scan(Filter{}, func(*Scanned) {}); err == nil {
		t.Error("a scan without a kind: no error")
	}
}
