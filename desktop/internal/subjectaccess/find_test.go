package subjectaccess

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

// openCore opens a real store (Badger in a temporary directory) with the
// client core over it.
func openCore(t *testing.T) *records.Service {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), []byte("0123456789abcdef0123456789abcdef"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := records.Init(ctx, st, "Ат-Башы ноутбугу"); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 5, 8, 30, 0, 0, time.UTC)
	svc, err := records.Open(ctx, st, records.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close(); st.Close() })
	return svc
}

// must returns v, and panics (failing the test) on an error.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestFind(t *testing.T) {
	ctx := context.Background()
	svc := openCore(t)
	for _, c := range []domain.Council{
		{Code: "NRN-ATB", Name: "Ат-Башы коомдук кеңеши", Oblast: "KG-N", District: "KG-N-ATB"},
		{Code: "OSH-ARV", Name: "Араван коомдук кеңеши", Oblast: "KG-O"},
	} {
		must(svc.AddCouncil(ctx, c))
	}
	appeal := func(council, name, phone string) domain.Appeal {
		oblast := "KG-N"
		if council == "OSH-ARV" {
			oblast = "KG-O"
		}
		return domain.Appeal{Council: council, Channel: "in_person", Oblast: oblast, Appellant: &domain.Appellant{Name: name, Phone: phone},
			Gender: "female", Category: "land_property", Summary: "Жер үлүшү тартылып алынды",
			ReceivedOn: caldate.MustParse("2026-02-02"), RegisteredOn: caldate.MustParse("2026-02-02")}
	}
	ev := must(svc.CreateEvent(ctx, domain.Event{Council: "NRN-ATB", Kind: "hearing", Title: "Коомдук угуу: жер", Date: caldate.MustParse("2026-02-01"),
		Oblast: "KG-N", Speakers: []domain.Speaker{{Name: "Гүлнара Асанова", Role: "Активист"}, {Name: "Бакыт Осмонов"}}}))
	a1v := appeal("NRN-ATB", "Асанова Гүлнара", "+996 555 12 34 56")
	a1v.EventID = ev.ID
	a1 := must(svc.CreateAppeal(ctx, a1v))
	must(svc.EditAppeal(ctx, a1.ID, json.RawMessage(`{"appellant":{"name":"Асанова Гүлнара","phone":"+996 700 65 43 21"}}`)))
	must(svc.EditAppeal(ctx, a1.ID, json.RawMessage(`{"summary":"Жер үлүшү мыйзамсыз тартылып алынды"}`)))
	must(svc.AddConsultation(ctx, a1.ID, domain.Consultation{Consultant: "юрист Н. Исакова", Summary: "Сотко арыз жазууга жардам"}))
	a2 := must(svc.CreateAppeal(ctx, appeal("OSH-ARV", "Асанова Гүлнара", "")))
	must(svc.CreateAppeal(ctx, appeal("NRN-ATB", "Токтогулов Эрмек", "")))
	a4 := must(svc.CreateAppeal(ctx, appeal("NRN-ATB", "Г. Асанова", "")))
	if err := svc.SetHomeCouncil(ctx, "NRN-ATB"); err != nil {
		t.Fatal(err)
	}
	if err := svc.Delete(ctx, domain.KindAppeal, a4.ID); err != nil {
		t.Fatal(err)
	}

	ids := func(f *Found) map[string]bool {
		out := map[string]bool{}
		for _, a := range f.Appeals {
			out[a.ID] = true
		}
		return out
	}
	tests := []struct {
		name     string
		enroll   *records.Enrollment
		query    string
		appeals  []string
		events   int
		withheld int
		holder   Holder
	}{
		{"not enrolled: everything recorded here", nil, "асанова", []string{a1.ID, a2.ID, a4.ID}, 1, 0,
			Holder{Device: "Ат-Башы ноутбугу", Council: "NRN-ATB"}},
		{"by the new phone number", nil, "0700 654 321", []string{a1.ID}, 0, 0, Holder{Device: "Ат-Башы ноутбугу", Council: "NRN-ATB"}},
		{"a secretary: their council only", &records.Enrollment{Role: domain.RoleSecretary, Council: "NRN-ATB", Name: "Ат-Башы №1"},
			"асанова", []string{a1.ID, a4.ID}, 1, 1, Holder{Device: "Ат-Башы №1", Role: "secretary", Council: "NRN-ATB"}},
		{"a secretary of another council", &records.Enrollment{Role: domain.RoleSecretary, Council: "OSH-ARV", Name: "Араван"},
			"асанова", []string{a2.ID}, 0, 3, Holder{Device: "Араван", Role: "secretary", Council: "OSH-ARV"}},
		{"central staff: every council", &records.Enrollment{Role: domain.RoleCentral, Name: "Борбор"},
			"асанова", []string{a1.ID, a2.ID, a4.ID}, 1, 0, Holder{Device: "Борбор", Role: "central"}},
	}
	for _, tt := range tests {
		if tt.enroll != nil {
			tt.enroll.Server, tt.enroll.Token = "http://127.0.0.1:1", "token"
			if err := svc.Enroll(ctx, *tt.enroll); err != nil {
				t.Fatal(err)
			}
		}
		f, err := Find(ctx, svc, tt.query)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		got := ids(f)
		if len(got) != len(tt.appeals) {
			t.Errorf("%s: %d appeals, want %d", tt.name, len(got), len(tt.appeals))
		}
		for _, id := range tt.appeals {
			if !got[id] {
				t.Errorf("%s: appeal %s not found", tt.name, id)
			}
		}
		if len(f.Events) != tt.events || f.Withheld != tt.withheld {
			t.Errorf("%s: %d events, %d withheld; want %d, %d", tt.name, len(f.Events), f.Withheld, tt.events, tt.withheld)
		}
		if f.Holder != tt.holder {
			t.Errorf("%s: holder %+v, want %+v", tt.name, f.Holder, tt.holder)
		}
		if _, err := Build(f, Options{Language: "ky"}); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}

	// What the last search found, in detail.
	f := must(Find(ctx, svc, "Асанова"))
	hist := f.History[a1.ID]
	if len(hist) != 2 {
		t.Fatalf("%d history entries with personal data, want 2 (created, phone changed; not the summary's edit nor the consultation)", len(hist))
	}
	d := must(Build(f, Options{Language: "en"}))
	var first Appeal
	for _, a := range d.Appeals {
		if a.ID == a1.ID {
			first = a
		}
	}
	if got := field(t, first.History[0].Fields, "appellant.phone").Text; got != "+996 555 12 34 56" {
		t.Errorf("the earlier phone: %q", got)
	}
	if got := field(t, first.Fields, "appellant.phone").Text; got != "+996 700 65 43 21" {
		t.Errorf("the phone now: %q", got)
	}
	if len(first.Consultations) != 1 || field(t, first.Fields, "event_id").Text != "Коомдук угуу: жер (1 February 2026)" {
		t.Errorf("consultations %v, event %+v", first.Consultations, field(t, first.Fields, "event_id"))
	}
	if e := d.Events[0]; len(e.Named) != 1 || field(t, e.Named[0].Fields, "speakers.name").Text != "Гүлнара Асанова" {
		t.Errorf("named at the event: %+v", e.Named)
	}
	for _, a := range d.Appeals {
		if a.ID == a4.ID && !a.Deleted {
			t.Error("the deleted appeal is not marked deleted")
		}
	}

	if _, err := Find(ctx, svc, "ас"); err == nil {
		t.Error("a two-letter search was accepted")
	}
}
