package records

import "testing"

func TestTouches(t *testing.T) {
	grant := Changed{Kind: "grant", ID: "g1"}
	other := Changed{Kind: "grant", ID: "g2"}
	appeal := Changed{Kind: "appeal", ID: "a1"}
	for _, tc := range []struct {
		name       string
		batch      []Changed
		kinds      []string
		kind, id   string
		wantKinds  bool
		wantRecord bool
	}{
		{"empty batch", nil, []string{"grant"}, "grant", "g1", false, false},
		{"the record itself", []Changed{grant}, []string{"grant"}, "grant", "g1", true, true},
		{"another record of the kind", []Changed{other}, []string{"grant"}, "grant", "g1", true, false},
		{"another kind only", []Changed{appeal}, []string{"grant", "council"}, "grant", "g1", false, false},
		{"one of several kinds", []Changed{appeal}, []string{"grant", "appeal"}, "appeal", "a2", true, false},
		{"overflow means anything", []Changed{Overflow}, []string{"grant"}, "grant", "g1", true, true},
		{"same id, other kind", []Changed{{Kind: "appeal", ID: "g1"}}, []string{"grant"}, "grant", "g1", false, false},
		{"no kinds asked", []Changed{grant}, nil, "grant", "g1", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Touches(tc.batch, tc.kinds...); got != tc.wantKinds {
				t.Errorf("Touches(%v, %v) = %v, want %v", tc.batch, tc.kinds, got, tc.wantKinds)
			}
			if got := TouchesRecord(tc.batch, tc.kind, tc.id); got != tc.wantRecord {
				t.Errorf("TouchesRecord(%v, %s, %s) = %v, want %v", tc.batch, tc.kind, tc.id, got, tc.wantRecord)
			}
		})
	}
}
