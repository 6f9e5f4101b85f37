package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

// The inbox: appeals citizens sent through the public form, waiting for
// the council's laptop to register them (within one working day of
// receipt). A council's home screen shows the section while any wait,
// the most late first; a line opens the submission, to register it as an
// appeal, join it to one, or refuse it.

// inbox is what the home screen shows of the inbox.
type inbox struct {
	rows []records.Summary // the most late first, at most homeShown
	n    int
	late bool // one is past its registration deadline
}

func loadInbox(u *UI) inbox {
	if !u.records || u.central {
		return inbox{}
	}
	rows, _ := u.sess.Records().List(records.Filter{Kind: domain.KindSubmission, Status: string(domain.SubmissionWaiting)})
	rows = lateFirst(rows)
	in := inbox{n: len(rows)}
	for _, r := range rows {
		in.late = in.late || r.Overdue
	}
	in.rows = rows[:min(len(rows), homeShown)]
	return in
}

// inboxCard is the home screen's section; nil when nothing waits.
func (p *homePage) inboxCard() fyne.CanvasObject {
	u := p.u
	if p.inbox.n == 0 {
		return nil
	}
	list := container.NewVBox(wrapped(u.T("inbox.text")))
	for _, s := range p.inbox.rows {
		id := s.ID
		by := ""
		if s.AnswerBy != nil {
			by = u.tr.Date(*s.AnswerBy)
		}
		list.Add(u.newLink(u.T("inbox.line", "date", u.tr.Date(s.Date), "by", by)+" · "+s.Title, func() { u.openSubmission(id) }))
	}
	return p.panel(u.T("inbox.title", "n", p.inbox.n), p.inbox.late, list, layout.NewSpacer())
}

// openSubmission shows a web submission: what the citizen wrote and how
// to reach them, the right to register it under, and the three ways to
// handle it.
func (u *UI) openSubmission(id string) {
	ctx := context.Background()
	svc := u.sess.Records()
	sub, err := svc.Submission(ctx, id)
	if err != nil {
		u.showError(err)
		return
	}
	by := ""
	if sub.RegisterBy != nil {
		by = u.tr.Date(*sub.RegisterBy)
	}
	contact := u.T("inbox.anonymous")
	if p := sub.Appellant; p != nil && !sub.Anonymous {
		var parts []string
		for _, v := range []string{p.Name, p.Phone, p.Email, p.Address} {
			if v != "" {
				parts = append(parts, v)
			}
		}
		contact = strings.Join(parts, " · ")
	}
	received := strong(u.T("inbox.received", "date", u.tr.Date(sub.ReceivedOn), "by", by))
	if sub.Due {
		received.Importance = widget.DangerImportance
	}
	fs := u.newFieldSet(domain.KindAppeal)
	category := u.termSelect(refdata.RightCategories, "", nil)
	category.SetCode(sub.Category)
	fs.add("category", "field.category", category)
	var m *modal
	merge := u.button(u.T("inbox.merge"), theme.ContentCopyIcon(), func() { m.d.Hide(); u.mergeSubmission(id) })
	refuse := u.button(u.T("inbox.refuse"), theme.CancelIcon(), func() { m.d.Hide(); u.refuseSubmission(id) })
	body := container.NewVBox(received, wrapped(sub.Text), bold(u.T("inbox.contact")), wrapped(contact),
		fs.fields["category"].box, container.NewHBox(merge, refuse))
	m = u.showModal(u.T("inbox.dialog"), fs, container.NewVScroll(body), u.T("inbox.register"), func() error {
		var patch []byte
		if c := category.Code(); c != "" {
			patch = []byte(`{"category":"` + c + `"}`)
		}
		a, _, err := svc.RegisterSubmission(ctx, id, patch)
		if err != nil {
			return err
		}
		u.shell.push(newAppealDetail(u, a.ID))
		return nil
	})
}

// mergeSubmission joins a web submission to an appeal the council holds,
// named by its number.
func (u *UI) mergeSubmission(id string) {
	fs := u.newFieldSet(domain.KindSubmission)
	regNo := u.newEntry()
	fs.add("appeal", "inbox.merge_into", regNo)
	u.showModal(u.T("inbox.merge"), fs, fs.fields["appeal"].box, u.T("inbox.merge"), func() error {
		_, err := u.sess.Records().MergeSubmission(context.Background(), id, strings.TrimSpace(regNo.Text))
		return err
	})
}

// refuseSubmission refuses a web submission as spam or out of scope.
func (u *UI) refuseSubmission(id string) {
	fs := u.newFieldSet(domain.KindSubmission)
	var names []string
	for _, r := range domain.SubmissionRefusals {
		names = append(names, u.T("inbox.reason."+r))
	}
	reason := u.newCodeSelect(domain.SubmissionRefusals, names, "", nil)
	reason.SetCode(domain.RefusalSpam)
	note := u.newEntry()
	fs.add("refusal", "inbox.reason", reason)
	fs.add("note", "inbox.note", note)
	u.showModal(u.T("inbox.refuse"), fs, container.NewVBox(fs.fields["refusal"].box, fs.fields["note"].box), u.T("inbox.refuse"), func() error {
		_, err := u.sess.Records().RefuseSubmission(context.Background(), id, reason.Code(), note.Text)
		return err
	})
}
