package domain

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/deadline"
	"github.com/kenesh/kenesh/shared/refdata"
)

// everything is an appeal with every field filled, each with a value of
// its own that says what it is.
func everything() Appeal {
	return Appeal{
		ID: "01JDW8T1XG0000000000000000", RegNo: "NRN-ATB-2026-K7QH-0001", Council: "NRN-ATB",
		ReceivedOn: caldate.MustParse("2026-03-02"), RegisteredOn: caldate.MustParse("2026-03-03"), Channel: "phone",
		EventID: "event-id-secret", Language: "ky",
		Appellant: &Appellant{Name: "Токтогулов Эрмек", Phone: "+996 555 12 34 56", Email: "ermek@example.kg",
			Address: "Ленин көчөсү 5", PIN: "21234567890123"},
		Gender: "male", AgeGroup: "30_44", VulnerableGroups: []string{"disability"},
		Oblast: "KG-N", District: "KG-N-ATB", Village: "Кара-Суу айылы",
		Category: "police_justice", Authority: "police", AuthorityName: "Ат-Башы РОВД (authority name)",
		Summary: "internal summary of the appeal", Description: "internal description of the appeal",
		Status: StatusVerified, StatusNote: "workflow note", VerifiedOn: caldate.MustParse("2026-03-10"),
		RejectionReason: "rejection reason", ReferredTo: "referred to the prosecutor", AnswerSummary: "answer summary",
		ExtensionNote:          "extension note",
		PublishIdentityConsent: true, ReadyForPublication: true, PublicSummary: "Милиция арызды каттоодон баш тартты",
		Published: true, PublishedOn: caldate.MustParse("2026-03-20"), ReviewNote: "review note",
		Consultations: []Consultation{{ID: "c1", Consultant: "consultant name", Summary: "advice given"}},
		Attachments:   []Attachment{{ID: "a1", Name: "scan-of-passport.pdf", Caption: "passport caption"}},
	}
}

// publicText is every value of p, as text.
func publicText(p PublicAppeal) string {
	var b strings.Builder
	v := reflect.ValueOf(p)
	for i := range v.NumField() {
		fmt.Fprintf(&b, "%v\n", v.Field(i).Interface())
	}
	return b.String()
}

// TestPublicNeverShowsPrivateData: whatever the appeal holds, the public
// sees none of the appellant's contacts, address, PIN or village, nor the
// appeal's internal texts; the name only with consent, never when the
// appeal is anonymous.
func TestPublicNeverShowsPrivateData(t *testing.T) {
	private := []string{"+996 555", "ermek@example.kg", "Ленин көчөсү", "21234567890123", "Кара-Суу",
		"internal summary", "internal description", "workflow note", "rejection reason", "referred to the prosecutor",
		"answer summary", "extension note", "review note", "consultant name", "advice given", "scan-of-passport",
		"passport caption", "authority name", "event-id-secret", "disability", "30_44"}
	tests := []struct {
		name      string
		change    func(*Appeal)
		wantNamed bool
	}{
		{"with consent", func(*Appeal) {}, true},
		{"without consent", func(a *Appeal) { a.PublishIdentityConsent = false }, false},
		{"anonymous with consent", func(a *Appeal) { a.Anonymous = true }, false},
		{"consent but no appellant", func(a *Appeal) { a.Appellant = nil }, false},
		{"consent but no name", func(a *Appeal) { a.Appellant.Name = "" }, false},
		{"not yet published", func(a *Appeal) { a.Published, a.ReadyForPublication = false, false }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := everything()
			tt.change(&a)
			p := a.Public()
			text := publicText(p)
			for _, s := range private {
				if strings.Contains(text, s) {
					t.Errorf("the public sees %q:\n%s", s, text)
				}
			}
			if got := strings.Contains(text, "Токтогулов"); got != tt.wantNamed || p.Named != tt.wantNamed {
				t.Errorf("named %v (the name shows: %v), want %v", p.Named, got, tt.wantNamed)
			}
			if !p.Named && p.Appellant != "" {
				t.Errorf("not named, but Appellant is %q", p.Appellant)
			}
			want := PublicAppeal{RegNo: a.RegNo, ReceivedOn: a.ReceivedOn, RegisteredOn: a.RegisteredOn, PublishedOn: a.PublishedOn, Oblast: "KG-N", District: "KG-N-ATB",
				Category: "police_justice", Authority: "police", Status: StatusVerified, Named: p.Named, Appellant: p.Appellant,
				Summary: "Милиция арызды каттоодон баш тартты"}
			if p != want {
				t.Errorf("public view\n%+v\nwant\n%+v", p, want)
			}
		})
	}
}

// TestPublicIsBuiltFieldByField: PublicAppeal has only the fields the
// register shows, so a field added to Appeal cannot leak by being copied.
func TestPublicIsBuiltFieldByField(t *testing.T) {
	want := []string{"RegNo", "ReceivedOn", "RegisteredOn", "AnsweredOn", "ClosedOn", "AnswerBy", "PublishedOn", "Oblast", "District", "Category", "Authority", "Status", "Named", "Appellant", "Summary"}
	typ := reflect.TypeFor[PublicAppeal]()
	var got []string
	for i := range typ.NumField() {
		got = append(got, typ.Field(i).Name)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("PublicAppeal has %v; a new public field needs a decision under Law No. 58 and this test updated", got)
	}
}

func TestPublishable(t *testing.T) {
	want := map[Status]bool{StatusReceived: false, StatusUnderReview: false, StatusFactChecking: false,
		StatusVerified: true, StatusRejected: false, StatusReferred: true, StatusAnswered: true, StatusClosed: true, "lost": false}
	if len(want) != len(Statuses)+1 {
		t.Fatalf("the table has %d statuses, the workflow %d: decide the new one's publication", len(want)-1, len(Statuses))
	}
	for s, ok := range want {
		if got := Publishable(s); got != ok {
			t.Errorf("Publishable(%s) = %v, want %v", s, got, ok)
		}
		// Validation follows the same rule.
		a := everything()
		a.Status = s
		err := a.Validate(refdata.Default(), caldate.MustParse("2026-12-01"))
		refused := err != nil && strings.Contains(err.Error(), "ready_for_publication")
		if refused == ok {
			t.Errorf("status %s: ready for publication refused %v, Publishable %v (%v)", s, refused, ok, err)
		}
	}
}

// TestInRegister: the register shows an appeal only while every condition
// of publication holds, whichever of them changes afterwards.
func TestInRegister(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Appeal)
		want   bool
	}{
		{"published", func(*Appeal) {}, true},
		{"answered and closed", func(a *Appeal) { a.Status = StatusClosed }, true},
		{"not published", func(a *Appeal) { a.Published = false }, false},
		{"unpublished by central staff after the council's readiness", func(a *Appeal) { a.Published = false; a.ReadyForPublication = true }, false},
		{"readiness withdrawn by the council", func(a *Appeal) { a.ReadyForPublication = false }, false},
		{"no public summary", func(a *Appeal) { a.PublicSummary = "" }, false},
		{"reopened for review", func(a *Appeal) { a.Status = StatusUnderReview }, false},
		{"rejected", func(a *Appeal) { a.Status = StatusRejected }, false},
		{"deleted", func(a *Appeal) { a.Meta = &Meta{Deleted: true} }, false},
		{"with a meta, not deleted", func(a *Appeal) { a.Meta = &Meta{} }, true},
	} {
		a := everything()
		tc.change(&a)
		if got := a.InRegister(); got != tc.want {
			t.Errorf("%s: InRegister %v, want %v", tc.name, got, tc.want)
		}
	}
}

// The deadline and the dates of the steps travel to the public: whether
// the answer came in time is what the register is for.
func TestPublicDates(t *testing.T) {
	a := everything()
	a.Status, a.AnsweredOn, a.ClosedOn = StatusClosed, caldate.MustParse("2026-03-25"), caldate.MustParse("2026-03-26")
	if p := a.Public(); !p.AnswerBy.IsZero() || p.AnsweredOn != a.AnsweredOn || p.ClosedOn != a.ClosedOn {
		t.Fatalf("without derived deadlines: %+v", p)
	}
	a.Deadlines = &deadline.Deadlines{AnswerBy: caldate.MustParse("2026-03-17")}
	if p := a.Public(); p.AnswerBy != caldate.MustParse("2026-03-17") {
		t.Fatalf("answer by %s, want 2026-03-17", p.AnswerBy)
	}
}

// TestPublicSummaryLength: what the register shows of an appeal is
// bounded on its own (its page must stay under 30 KB), far below the
// other texts' limit, with a reason that says how long it is.
func TestPublicSummaryLength(t *testing.T) {
	for _, tc := range []struct {
		n  int
		ok bool
	}{{MaxPublicSummary, true}, {MaxPublicSummary + 1, false}, {MaxLong, false}} {
		a := everything()
		a.PublicSummary = strings.Repeat("ө", tc.n)
		var ve *ValidationError
		var got []FieldError
		if err := a.Validate(refdata.Default(), caldate.MustParse("2026-12-01")); errors.As(err, &ve) {
			for _, f := range ve.Fields {
				if f.Field == "public_summary" {
					got = append(got, f)
				}
			}
		}
		want := fmt.Sprintf("is %d characters long, at most %d allowed", tc.n, MaxPublicSummary)
		if tc.ok && len(got) > 0 || !tc.ok && (len(got) != 1 || got[0].Code != CodeTooLong || got[0].Message != want) {
			t.Errorf("%d characters: %+v", tc.n, got)
		}
	}
}
