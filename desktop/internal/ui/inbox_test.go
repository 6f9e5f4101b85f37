package ui

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
)

// A web submission pulled from the server shows on a council's home
// screen, late when its day to register has passed; opened, it is
// registered as an appeal with the right the secretary chose.
func TestInboxOnHome(t *testing.T) {
	h := unlocked(t, "en", 0, 0, 0)
	ctx := context.Background()
	c := h.firstCouncil()
	sub := domain.Submission{ID: domain.NewID(), Council: c.Code, ReceivedAt: time.Date(2026, 11, 20, 5, 0, 0, 0, time.UTC),
		ReceivedOn: caldate.MustParse("2026-11-20"), Language: "ky", Oblast: c.Oblast, District: c.District,
		Text: "Мектептин чатыры агып жатат\nБалдар суук класста окушат", Anonymous: true, Status: domain.SubmissionWaiting}
	fields, err := changeset.Schema{}.ToFields(sub, domain.SubmissionNotFields...)
	if err != nil {
		t.Fatal(err)
	}
	changes := map[string]changeset.Change{}
	for k, v := range fields {
		changes[k] = changeset.Change{Value: v}
	}
	op := &changeset.Op{Device: domain.NewID(), Seq: 1, HLC: hlc.New(time.Date(2026, 11, 20, 5, 0, 0, 0, time.UTC).UnixMilli(), 0),
		Kind: domain.KindSubmission, Record: sub.ID, Council: c.Code, Action: changeset.ActionCreate, Author: "kenesh-syncserver", Fields: changes}
	if _, err := h.u.sess.Records().ApplyRemote(ctx, []*changeset.Op{op}, 1); err != nil {
		t.Fatal(err)
	}
	if n, err := h.u.sess.Records().Count(recordsFilterWaiting()); n != 1 {
		all, _ := h.u.sess.Records().List(records.Filter{Kind: domain.KindSubmission})
		t.Fatalf("waiting after the pull: %d, %v; all %+v", n, err, all)
	}
	h.waitFor("the inbox on the home screen", func() bool { return h.shows(h.T("inbox.title", "n", 1)) })
	home := h.u.shell.root(secHome).(*homePage)
	if r := home.inbox.rows; len(r) != 1 || r[0].Title != "Мектептин чатыры агып жатат" || r[0].AnswerBy == nil || *r[0].AnswerBy != caldate.MustParse("2026-11-23") || !home.inbox.late {
		t.Fatalf("the home screen's inbox: %+v", home.inbox)
	}
	h.u.openSubmission(sub.ID)
	h.drain()
	h.mustShow("Мектептин чатыры агып жатат\nБалдар суук класста окушат")
	h.mustShow(h.T("inbox.anonymous"))
	// Without a right, the appeal cannot be registered: the form says so.
	h.tap(h.T("inbox.register"))
	if n, _ := h.u.sess.Records().Count(recordsFilterWaiting()); n != 1 {
		t.Fatalf("registered without a right: %d waiting", n)
	}
	m := h.u.lastModal
	if m == nil {
		t.Fatal("the dialog closed")
	}
	sel := findSelect(t, m.content, "appeal.category")
	sel.SetCode("education")
	h.tap(h.T("inbox.register"))
	h.drain()
	if n, _ := h.u.sess.Records().Count(recordsFilterWaiting()); n != 0 {
		t.Fatalf("still %d waiting after registering", n)
	}
	s, err := h.u.sess.Records().Submission(ctx, sub.ID)
	if err != nil || s.Status != domain.SubmissionRegistered {
		t.Fatalf("%+v %v", s, err)
	}
	a, err := h.u.sess.Records().Appeal(ctx, s.Appeal)
	if err != nil || a.Category != "education" || a.ReceivedOn != sub.ReceivedOn || a.Language != "ky" {
		t.Fatalf("the appeal: %+v %v", a, err)
	}
	h.mustShow(a.RegNo)
}

func recordsFilterWaiting() records.Filter {
	return records.Filter{Kind: domain.KindSubmission, Status: string(domain.SubmissionWaiting)}
}

// findSelect is the one drop-down inside o.
func findSelect(t *testing.T, o fyne.CanvasObject, what string) *controls.CodeSelect {
	t.Helper()
	var found *controls.CodeSelect
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *controls.CodeSelect:
			found = x
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		case *container.Scroll:
			walk(x.Content)
		}
	}
	walk(o)
	if found == nil {
		t.Fatalf("no drop-down for %s", what)
	}
	return found
}
