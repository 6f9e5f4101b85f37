package domain

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/refdata"
)

const (
	idA1   = "01939a4e-0000-7000-8000-000000000a01"
	idA2   = "01939a4e-0000-7000-8000-000000000a02"
	idA3   = "01939a4e-0000-7000-8000-000000000a03"
	idA4   = "01939a4e-0000-7000-8000-000000000a04"
	idA5   = "01939a4e-0000-7000-8000-000000000a05"
	idM1   = "01939a4e-0000-7000-8000-0000000000b1"
	idKeep = "01939a4e-0000-7000-8000-000000000c01"
)

func training() Event {
	return Event{ID: "e1", Council: "NRN-ATB", Kind: EventKindTraining, Title: "Кайрылуулар менен иштөө",
		Date: caldate.MustParse("2026-04-02"), Oblast: "KG-N"}
}

func TestTrainingValidate(t *testing.T) {
	cat := refdata.Default()
	a := func(id, name, gender, group string) Attendee {
		return Attendee{ID: id, Name: name, Gender: gender, Group: group}
	}
	tests := []struct {
		name  string
		edit  func(e *Event)
		fault []string // fields with a fault, in any order; none: valid
	}{
		{"a list", func(e *Event) {
			e.Attendees = []Attendee{a(idA1, "Асель Токтогулова", "female", "council_members"), a(idA2, "Бакыт Асанов", "", "citizens")}
			e.Attendees[0].Organisation, e.Attendees[0].Council = "Атбашы АӨ", "NRN-KOC"
			e.Materials = []MaterialUse{{ID: idM1}}
		}, nil},
		{"no list", func(e *Event) {}, nil},
		{"name and group missing", func(e *Event) { e.Attendees = []Attendee{a(idA1, " ", "male", "")} },
			[]string{"attendees/" + idA1 + ".name", "attendees/" + idA1 + ".group"}},
		{"unknown gender and group", func(e *Event) { e.Attendees = []Attendee{a(idA1, "Бакыт", "man", "students")} },
			[]string{"attendees/" + idA1 + ".gender", "attendees/" + idA1 + ".group"}},
		{"an id used twice", func(e *Event) {
			e.Attendees = []Attendee{a(idA1, "Бакыт", "male", "citizens"), a(idA1, "Асель", "female", "citizens")}
		}, []string{"attendees/" + idA1}},
		{"no id", func(e *Event) { e.Attendees = []Attendee{a("", "Бакыт", "male", "citizens")} }, []string{"attendees/"}},
		{"a bad council", func(e *Event) {
			e.Attendees = []Attendee{a(idA1, "Бакыт", "male", "citizens")}
			e.Attendees[0].Council = "atb x"
		}, []string{"attendees/" + idA1 + ".council"}},
		{"a name too long", func(e *Event) {
			e.Attendees = []Attendee{a(idA1, strings.Repeat("ы", MaxShort+1), "male", "citizens")}
		}, []string{"attendees/" + idA1 + ".name"}},
		{"a material twice", func(e *Event) { e.Materials = []MaterialUse{{ID: idM1}, {ID: idM1}} }, []string{"materials/" + idM1}},
		{"attendance of a hearing", func(e *Event) {
			e.Kind = "hearing"
			e.Attendees = []Attendee{a(idA1, "Бакыт", "male", "citizens")}
			e.Materials = []MaterialUse{{ID: idM1}}
		}, []string{"attendees", "materials"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := training()
			tt.edit(&e)
			err := e.Validate(cat, caldate.MustParse("2026-05-01"))
			var ve *ValidationError
			if len(tt.fault) == 0 {
				if err != nil {
					t.Fatalf("valid training refused: %v", err)
				}
				return
			}
			if !errors.As(err, &ve) {
				t.Fatalf("err = %v, want a ValidationError on %v", err, tt.fault)
			}
			var got []string
			for _, f := range ve.Fields {
				got = append(got, f.Field)
			}
			slices.Sort(got)
			want := slices.Sorted(slices.Values(tt.fault))
			if !slices.Equal(got, want) {
				t.Errorf("faults on %v, want %v (%v)", got, want, err)
			}
		})
	}
}

func TestCounted(t *testing.T) {
	e := training()
	e.Participants = map[string]GenderCount{"citizens": {Female: 40}}
	if got := e.Counted(); got["citizens"].Female != 40 {
		t.Errorf("a training with no list counts what was typed: %v", got)
	}
	e.Attendees = []Attendee{
		{ID: idA1, Name: "А", Gender: "female", Group: "council_members"},
		{ID: idA2, Name: "Б", Gender: "male", Group: "council_members"},
		{ID: idA3, Name: "В", Gender: "female", Group: "council_members"},
		{ID: idA4, Name: "Г", Group: "journalists"},
		{ID: idA5, Name: "Д", Gender: "unspecified", Group: "journalists"},
	}
	want := map[string]GenderCount{"council_members": {Female: 2, Male: 1}, "journalists": {Unspecified: 2}}
	got := e.Counted()
	if len(got) != len(want) || got["council_members"] != want["council_members"] || got["journalists"] != want["journalists"] {
		t.Errorf("Counted = %v, want %v (the list alone, the typed 40 left out)", got, want)
	}
	if tot := e.CountedTotal(); tot != (GenderCount{Female: 2, Male: 1, Unspecified: 2}) {
		t.Errorf("CountedTotal = %+v", tot)
	}
	h := e
	h.Kind = "hearing"
	if got := h.Counted(); got["citizens"].Female != 40 || len(got) != 1 {
		t.Errorf("a hearing counts what was typed: %v", got)
	}
}

func TestAttendeeNormalize(t *testing.T) {
	e := training()
	e.Attendees = []Attendee{{Name: "  Асель   Токтогулова ", Group: " citizens", Council: " nrn-koc "}, {ID: idKeep, Name: "Б", Group: "citizens"}}
	e.Normalize()
	a := e.Attendees[0]
	if a.Name != "Асель Токтогулова" || a.Group != "citizens" || a.Council != "NRN-KOC" || !ValidID(a.ID) {
		t.Errorf("normalized %+v", a)
	}
	if e.Attendees[1].ID != idKeep {
		t.Errorf("an attendee's id changed: %+v", e.Attendees[1])
	}
	if err := e.Validate(refdata.Default(), caldate.Date{}); err != nil {
		t.Error(err)
	}
	byName := e.AttendeesByName()
	if byName[0].Name != "Асель Токтогулова" || byName[1].Name != "Б" {
		t.Errorf("by name: %+v", byName)
	}
}

func TestAnonymiseTraining(t *testing.T) {
	e := training()
	e.Attendees = []Attendee{{ID: idA1, Name: "Асель Токтогулова", Gender: "female", Organisation: "Атбашы жаштар борбору", Group: "civil_society", Council: "NRN-KOC"}}
	e.Materials = []MaterialUse{{ID: idM1}}
	m, err := Anonymise(KindEvent, &e)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(m)
	got := string(b)
	for _, private := range []string{"Асель", "жаштар"} {
		if strings.Contains(got, private) {
			t.Errorf("anonymised training holds %q: %s", private, got)
		}
	}
	for _, want := range []string{`"gender":"female"`, `"group":"civil_society"`, `"council":"NRN-KOC"`, `"materials":[{"id":"` + idM1 + `"}]`} {
		if !strings.Contains(got, want) {
			t.Errorf("anonymised training lost %s: %s", want, got)
		}
	}
}
