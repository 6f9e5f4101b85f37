package index

import (
	"reflect"
	"testing"
)

func rows() []*Row {
	return []*Row{
		{Kind: "appeal", ID: "a1", Council: "NRN", Oblast: "KG-N", Status: "received", Category: "land_property", Date: "2026-01-10", Deadline: "2026-01-26", Search: Fold("Жер талашы Ак-Талаа")},
		{Kind: "appeal", ID: "a2", Council: "NRN", Oblast: "KG-N", Status: "closed", Category: "health", Date: "2026-02-01", Search: Fold("Ооруканада дары жок")},
		{Kind: "appeal", ID: "a3", Council: "OSH", Oblast: "KG-O", Status: "received", Category: "health", Date: "2026-03-05", Deadline: "2026-03-19", Search: Fold("Көл жээгиндеги үй, Өзгөн")},
		{Kind: "appeal", ID: "a4", Council: "OSH", Oblast: "KG-O", Status: "received", Category: "health", Date: "2026-03-06", Deleted: true, Search: "deleted"},
		{Kind: "event", ID: "e1", Council: "OSH", Oblast: "KG-O", Category: "hearing", Date: "2026-03-01", DueNext: "2026-03-10", Search: Fold("Коомдук угуу")},
	}
}

func ids(rs []*Row) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestQuery(t *testing.T) {
	ix := New()
	if err := ix.Put(rows()...); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    Filter
		want []string
	}{
		{"all appeals newest first", Filter{Kind: "appeal"}, []string{"a3", "a2", "a1"}},
		{"with deleted", Filter{Kind: "appeal", IncludeDeleted: true}, []string{"a4", "a3", "a2", "a1"}},
		{"council", Filter{Kind: "appeal", Council: "NRN"}, []string{"a2", "a1"}},
		{"status", Filter{Kind: "appeal", Status: "received"}, []string{"a3", "a1"}},
		{"category and council", Filter{Kind: "appeal", Category: "health", Council: "NRN"}, []string{"a2"}},
		{"oblast", Filter{Kind: "appeal", Oblast: "KG-O"}, []string{"a3"}},
		{"period", Filter{Kind: "appeal", From: "2026-01-15", To: "2026-03-01"}, []string{"a2"}},
		{"status and period", Filter{Kind: "appeal", Status: "received", From: "2026-03-01"}, []string{"a3"}},
		{"overdue on 2026-03-20", Filter{Kind: "appeal", OverdueOn: "2026-03-20"}, []string{"a3", "a1"}},
		{"overdue on 2026-02-01", Filter{Kind: "appeal", OverdueOn: "2026-02-01"}, []string{"a1"}},
		{"text folded Kyrgyz letters", Filter{Kind: "appeal", Text: "КӨЛ"}, []string{"a3"}},
		{"text typed without Kyrgyz letters", Filter{Kind: "appeal", Text: "кол озгон"}, []string{"a3"}},
		{"text no match", Filter{Kind: "appeal", Text: "кол дары"}, []string{}},
		{"events follow-ups due", Filter{Kind: "event", DueBy: "2026-03-15"}, []string{"e1"}},
		{"events follow-ups not yet due", Filter{Kind: "event", DueBy: "2026-03-09"}, []string{}},
		{"event kind", Filter{Kind: "event", Category: "hearing"}, []string{"e1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ix.Query(tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ids(got), tt.want) {
				t.Fatalf("got %v, want %v", ids(got), tt.want)
			}
		})
	}
	if n := ix.Len("appeal"); n != 4 {
		t.Fatalf("Len(appeal) = %d", n)
	}
	// Replacing a row moves it between filters.
	r := *rows()[0]
	r.Status = "closed"
	r.Deadline = ""
	ix.Put(&r)
	got, _ := ix.Query(Filter{Kind: "appeal", Status: "closed"})
	if !reflect.DeepEqual(ids(got), []string{"a2", "a1"}) {
		t.Fatalf("after update: %v", ids(got))
	}
}

func TestRowMarshalRoundTrip(t *testing.T) {
	for _, r := range rows() {
		r.Updated = 1234567
		b := r.Marshal()
		got, err := Unmarshal(r.Kind, r.ID, b)
		if err != nil {
			t.Fatal(err)
		}
		r.Search = "" // stored apart
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("round trip: %+v, want %+v", got, r)
		}
		for i := 0; i < len(b); i++ {
			Unmarshal(r.Kind, r.ID, b[:i]) // must not panic
		}
	}
}

func FuzzUnmarshalRow(f *testing.F) {
	f.Add(rows()[2].Marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Unmarshal("appeal", "x", b)
		if err == nil {
			if _, err := Unmarshal("appeal", "x", r.Marshal()); err != nil {
				t.Fatalf("re-encoding a decoded row failed: %v", err)
			}
		}
	})
}
