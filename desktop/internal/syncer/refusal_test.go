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

// A creation the centre refused for a field this laptop's role may not
// write (a review note written before enrollment), corrected, is sent
// again without that field: the centre takes it, nothing else is
// refused, another laptop of the council reads the record whole, and
// the note stays on this laptop alone, shown as kept here (records'
// leaveOut, by policy.CheckWrite, the server's own rule). Against the
// fake server and the real one.
func TestRefusedCreationCorrectedIsTaken(t *testing.T) {
	for _, real := range []bool{false, true} {
		name := "fake"
		if real {
			name = "real"
		}
		t.Run(name, func(t *testing.T) {
			var srv server
			if real {
				srv = startServer(t)
			} else {
				srv = startFake(t, synctest.Options{})
			}
			refusedCreationCorrected(t, srv)
		})
	}
}

func refusedCreationCorrected(t *testing.T, srv server) {
	ctx := context.Background()
	srv.addCouncil("NRN-ATB", "Ат-Башы коомдук кеңеши", "KG-N")
	l := newLaptop(t, "early-laptop")
	if _, err := l.svc.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы коомдук кеңеши", Oblast: "KG-N"}); err != nil {
		t.Fatal(err)
	}
	today := caldate.Today(records.Bishkek)
	const note, fixed = "Каралды: ң ө ү", "Мектептин чатыры агат: ң ө ү"
	a, err := l.svc.CreateAppeal(ctx, domain.Appeal{Council: "NRN-ATB", Channel: "phone", Oblast: "KG-N", Category: "health",
		Anonymous: true, Summary: "Дары жок", ReceivedOn: today, RegisteredOn: today, ReviewNote: note})
	if err != nil {
		t.Fatal(err)
	}
	l.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.baseURL())
	l.sync.syncOK(t)
	st, err := l.svc.SyncState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The council this laptop added for itself (a secretary's laptop
	// writes none), and the appeal's creation, for the note.
	if st.Pending != 0 || len(st.Refused) != 2 || st.Refused[1].Seq != 2 || len(st.Refused[1].Fields) != 1 || st.Refused[1].Fields[0].Field != "review_note" {
		t.Fatalf("sync state %+v, want the creation refused for the review note", st)
	}
	list, err := l.svc.RefusalsOf(ctx, domain.KindAppeal, a.ID)
	if err != nil || len(list) != 1 || !list[0].Created {
		t.Fatalf("refusals %+v (%v): want the creation, to correct", list, err)
	}

	if _, err := l.svc.EditAppeal(ctx, a.ID, json.RawMessage(`{"summary":"`+fixed+`"}`)); err != nil {
		t.Fatalf("the correction: %v", err)
	}
	l.sync.syncOK(t)
	st, err = l.svc.SyncState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != 0 || len(st.Refused) != 2 || st.LastError != "" {
		t.Fatalf("after the correction: %+v, want it sent and nothing more refused", st)
	}
	list, err = l.svc.RefusalsOf(ctx, domain.KindAppeal, a.ID)
	if err != nil || len(list) != 1 || list[0].Created || !list[0].KeptOnly() {
		t.Fatalf("refusals %+v (%v): want the note alone, kept here", list, err)
	}
	if got, _ := l.svc.Appeal(ctx, a.ID); got.ReviewNote != note || got.Summary != fixed {
		t.Fatalf("here: note %q, summary %q", got.ReviewNote, got.Summary)
	}

	// The centre holds the record whole: another laptop of the council reads it.
	m := newLaptop(t, "other-laptop")
	m.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.baseURL())
	m.sync.syncOK(t)
	got, err := m.svc.Appeal(ctx, a.ID)
	if err != nil {
		t.Fatalf("the other laptop: %v", err)
	}
	if got.Summary != fixed || got.RegNo != a.RegNo || got.Category != "health" || got.Channel != "phone" || !got.Anonymous ||
		got.ReceivedOn != today || got.ReviewNote != "" {
		t.Fatalf("the centre's record, as another laptop reads it: %+v", got)
	}
}
