package syncer

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/syncproto/synctest"
)

// A change the server refuses for fields of the record (here a review
// field, written on a laptop before it was enrolled as a council's: what
// the laptop refuses itself once enrolled) is
// kept with the fields the server named and their codes, for the person
// to read in their language (keneshctl status; a user interface
// translates them as it does a form's), and the rest is sent.
func TestRefusalKeepsItsFields(t *testing.T) {
	ctx := context.Background()
	srv := startFake(t, synctest.Options{})
	srv.addCouncil("NRN-ATB", "Ат-Башы коомдук кеңеши", "KG-N")
	l := newLaptop(t, "early-laptop")
	if _, err := l.svc.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы коомдук кеңеши", Oblast: "KG-N"}); err != nil {
		t.Fatal(err)
	}
	today := caldate.Today(records.Bishkek)
	a, err := l.svc.CreateAppeal(ctx, domain.Appeal{Council: "NRN-ATB", Channel: "phone", Oblast: "KG-N", Category: "health",
		Anonymous: true, Summary: "Дары жок", ReceivedOn: today, RegisteredOn: today})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.svc.EditAppeal(ctx, a.ID, json.RawMessage(`{"review_note":"written before enrollment"}`)); err != nil {
		t.Fatal(err)
	}
	l.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.URL)
	st, err := l.svc.SyncState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Two refusals: the council this laptop added for itself (a
	// secretary's laptop writes none; no field is at fault), and the note.
	if st.Pending != 0 || len(st.Refused) != 2 || len(st.Refused[0].Fields) != 0 {
		t.Fatalf("sync state %+v, want everything acknowledged and two refusals", st)
	}
	r := st.Refused[1]
	if r.Seq != 3 || r.Code != string(syncproto.CodeForbidden) || len(r.Fields) != 1 ||
		r.Fields[0].Field != "review_note" || r.Fields[0].Code != domain.CodeForbidden || r.Fields[0].Message == "" {
		t.Fatalf("refusal %+v, want seq 3 forbidden for the field review_note (%s)", r, domain.CodeForbidden)
	}
	// The appeal itself reached the centre.
	if srv.Acked(l.svc.Device().ID) != 3 || len(srv.Ops()) != 2 { // the server's council and the appeal
		t.Fatalf("the server holds %d operations, acknowledged %d", len(srv.Ops()), srv.Acked(l.svc.Device().ID))
	}
}
