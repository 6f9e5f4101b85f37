package domain

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/refdata"
)

func formSubmission() Submission {
	return Submission{Council: "NRN-ATB", Language: "ky", Oblast: "KG-N", District: "KG-N-ATB", Category: "police_justice",
		Text:      "Милиция арызымды кабыл алган жок.\nЭки жолу бардым.",
		Appellant: &Appellant{Name: "Асанова Айгүл", Phone: "+996 555 12 34 56"}}
}

func TestSubmissionForm(t *testing.T) {
	cat := refdata.Default()
	for _, tc := range []struct {
		name   string
		change func(*Submission)
		fields []string // the fields at fault, in order; none: valid
	}{
		{"a named appeal with a phone", func(*Submission) {}, nil},
		{"anonymous", func(s *Submission) { s.Anonymous, s.Appellant = true, nil }, nil},
		{"no council or oblast chosen", func(s *Submission) { s.Council, s.Oblast, s.District = "", "", "" }, []string{"council"}},
		{"no text", func(s *Submission) { s.Text = " \n " }, []string{"text"}},
		{"too long a text", func(s *Submission) { s.Text = strings.Repeat("ө", MaxSubmissionText+1) }, []string{"text"}},
		{"no name", func(s *Submission) { s.Appellant.Name = "" }, []string{"appellant.name"}},
		{"no way to answer", func(s *Submission) { s.Appellant.Phone = "" }, []string{"appellant.contact"}},
		{"anonymous with a name", func(s *Submission) { s.Anonymous = true }, []string{"anonymous"}},
		{"anonymous and consent to be named", func(s *Submission) { s.Anonymous, s.Appellant, s.PublishIdentityConsent = true, nil, true }, []string{"publish_identity_consent"}},
		{"a bad phone and e-mail", func(s *Submission) { s.Appellant.Phone, s.Appellant.Email = "call me", "me-at-home" }, []string{"appellant.phone", "appellant.email"}},
		{"a PIN", func(s *Submission) { s.Appellant.PIN = "21234567890123" }, []string{"appellant.pin"}},
		{"an unknown right", func(s *Submission) { s.Category = "everything" }, []string{"category"}},
		{"a district of another oblast", func(s *Submission) { s.Oblast = "KG-O" }, []string{"district"}},
		{"no language", func(s *Submission) { s.Language = "" }, []string{"language"}},
		{"a long name", func(s *Submission) { s.Appellant.Name = strings.Repeat("a", MaxSubmissionLine+1) }, []string{"appellant.name"}},
	} {
		s := formSubmission()
		tc.change(&s)
		err := s.ValidateForm(cat)
		var got []string
		var ve *ValidationError
		if errors.As(err, &ve) {
			for _, f := range ve.Fields {
				got = append(got, f.Field)
			}
		} else if err != nil {
			t.Errorf("%s: %v is not a ValidationError", tc.name, err)
		}
		if strings.Join(got, ",") != strings.Join(tc.fields, ",") {
			t.Errorf("%s: fields at fault %v, want %v (%v)", tc.name, got, tc.fields, err)
		}
	}
}

func TestSubmissionHandling(t *testing.T) {
	cat := refdata.Default()
	base := formSubmission()
	base.ID, base.ReceivedAt, base.ReceivedOn, base.Status = NewID(), time.Now(), caldate.MustParse("2026-12-01"), SubmissionWaiting
	for _, tc := range []struct {
		name   string
		change func(*Submission)
		ok     bool
	}{
		{"waiting", func(*Submission) {}, true},
		{"registered", func(s *Submission) {
			s.Status, s.Appeal, s.HandledOn = SubmissionRegistered, NewID(), caldate.MustParse("2026-12-01")
		}, true},
		{"registered without its appeal", func(s *Submission) { s.Status, s.HandledOn = SubmissionRegistered, caldate.MustParse("2026-12-01") }, false},
		{"merged", func(s *Submission) {
			s.Status, s.Appeal, s.HandledOn = SubmissionMerged, NewID(), caldate.MustParse("2026-12-01")
		}, true},
		{"refused as spam", func(s *Submission) {
			s.Status, s.Refusal, s.HandledOn = SubmissionRefused, RefusalSpam, caldate.MustParse("2026-12-01")
		}, true},
		{"refused without a reason", func(s *Submission) { s.Status, s.HandledOn = SubmissionRefused, caldate.MustParse("2026-12-01") }, false},
		{"handled without a day", func(s *Submission) { s.Status, s.Refusal = SubmissionRefused, RefusalSpam }, false},
		{"an unknown status", func(s *Submission) { s.Status = "lost" }, false},
		{"no receipt", func(s *Submission) { s.ReceivedAt = time.Time{} }, false},
	} {
		s := base
		tc.change(&s)
		if err := s.Validate(cat); (err == nil) != tc.ok {
			t.Errorf("%s: %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

// The appeal registered from a web submission keeps the day it was
// received (the legal clock) and what the person sent, in its language.
func TestSubmissionAsAppeal(t *testing.T) {
	s := formSubmission()
	s.ReceivedOn, s.PublishIdentityConsent = caldate.MustParse("2026-11-27"), true
	a := s.AsAppeal()
	if a.ReceivedOn != s.ReceivedOn || a.Channel != "electronic" || a.Language != "ky" || a.Council != "NRN-ATB" ||
		a.Summary != "Милиция арызымды кабыл алган жок." || a.Description != s.Text || a.Appellant.Name != "Асанова Айгүл" ||
		!a.PublishIdentityConsent || a.Category != "police_justice" || a.District != "KG-N-ATB" {
		t.Fatalf("%+v", a)
	}
	a.Appellant.Name = "changed"
	if s.Appellant.Name != "Асанова Айгүл" {
		t.Fatal("the appeal shares the submission's appellant")
	}
	s.Text = strings.Repeat("сөз ", 200)
	if got := s.AsAppeal().Summary; len([]rune(got)) > MaxTitle || !strings.HasSuffix(got, "…") {
		t.Fatalf("a long first line gives the summary %q", got)
	}
	s.Anonymous, s.Appellant = true, nil
	if a := s.AsAppeal(); a.Appellant != nil || a.PublishIdentityConsent {
		t.Fatalf("anonymous: %+v", a)
	}
}
