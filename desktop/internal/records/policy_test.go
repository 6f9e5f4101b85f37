package records_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// An enrolled laptop refuses, before saving, what the server would refuse,
// and says why; the refusal survives a restart (it is the enrollment's).
func TestEnrolledLaptopFollowsItsRoleBeforeSaving(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	svc, st := open(t, dir, func() time.Time { return fixedNow })
	for _, c := range []domain.Council{{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N", District: "KG-N-ATB"}, {Code: "OSH-NOO", Name: "Ноокат", Oblast: "KG-O"}} {
		if _, err := svc.AddCouncil(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	own, err := svc.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Enroll(ctx, records.Enrollment{Server: "https://kenesh.example.kg", Role: domain.RoleSecretary, Council: "NRN-ATB"}); err != nil {
		t.Fatal(err)
	}
	other := appeal()
	other.Council, other.Oblast, other.District = "OSH-NOO", "KG-O", ""
	seq := svc.Seq()
	cases := []struct {
		name string
		do   func() error
	}{
		{"an appeal of another council", func() error { _, err := svc.CreateAppeal(ctx, other); return err }},
		{"a council", func() error {
			_, err := svc.AddCouncil(ctx, domain.Council{Code: "TLS-BKR", Name: "Бакай-Ата", Oblast: "KG-T"})
			return err
		}},
		{"a review field", func() error {
			_, err := svc.EditAppeal(ctx, own.ID, json.RawMessage(`{"review_note":"Текшерилди"}`))
			return err
		}},
	}
	for _, c := range cases {
		if err := c.do(); !errors.Is(err, syncproto.ErrForbidden) {
			t.Errorf("secretary saving %s: %v, want a refusal", c.name, err)
		}
	}
	if svc.Seq() != seq {
		t.Fatalf("refused saves made operations: seq %d -> %d", seq, svc.Seq())
	}
	if _, err := svc.EditAppeal(ctx, own.ID, json.RawMessage(`{"summary":"Жер үлүшү кайтарылбады"}`)); err != nil {
		t.Fatalf("the council's own appeal: %v", err)
	}

	// Central staff, after a restart: review fields only.
	if err := svc.Enroll(ctx, records.Enrollment{Server: "https://kenesh.example.kg", Role: domain.RoleCentral}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	svc2, st2 := open(t, dir, func() time.Time { return fixedNow })
	defer st2.Close()
	if _, err := svc2.EditAppeal(ctx, own.ID, json.RawMessage(`{"summary":"Борбор өзгөрттү"}`)); !errors.Is(err, syncproto.ErrForbidden) {
		t.Errorf("central staff editing a council's text: %v", err)
	}
	if _, err := svc2.EditAppeal(ctx, own.ID, json.RawMessage(`{"review_note":"Фактылар текшерилди"}`)); err != nil {
		t.Errorf("central staff writing a review note: %v", err)
	}
}
