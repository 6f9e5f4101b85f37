package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"github.com/kenesh/kenesh/shared/domain"
)

// The dialogs of an appeal's page: its workflow's steps, a legal
// consultation, its publication, and central staff's review.

// appealStep asks what a workflow step needs and applies it.
func appealStep(p *appealDetail, to domain.Status) {
	u := p.u
	fs := u.newFieldSet(domain.KindAppeal)
	// One line: Enter applies the step (a long answer has its own field).
	note := u.newEntry()
	on := u.newEntry()
	on.SetText(u.tr.DateInput(u.sess.Records().Today()))
	target := u.newEntry()
	target.SetText(p.rec.AuthorityName)
	answer := u.newMultiEntry(3)
	box := container.NewVBox(wrapped(u.T("workflow.explain." + string(to))))
	if to == domain.StatusReferred {
		box.Add(fs.add("target", "field.referred_to", target).box)
	}
	if to == domain.StatusAnswered {
		box.Add(fs.add("answer", "field.answer_summary", answer).box)
	}
	noteLabel := "field.status_note"
	if to == domain.StatusRejected {
		noteLabel = "field.rejection_reason"
	}
	box.Add(fs.add("note", noteLabel, note).box)
	box.Add(fs.add("on", "field.step_on", on).box)
	u.showModal(u.T("workflow.to."+string(to)), fs, box, u.T("workflow.apply"), func() error {
		d, err := u.tr.ParseDate(on.Text)
		if err != nil {
			fs.localError("on", u.T("err.format.date"))
			return errSilent
		}
		_, err = u.sess.Records().MoveAppeal(context.Background(), p.id, domain.Step{To: to, Note: strings.TrimSpace(note.Text),
			On: d, Target: strings.TrimSpace(target.Text), Answer: strings.TrimSpace(answer.Text)})
		if err == nil {
			p.loadAtTop()
		}
		return err
	})
}

// appealConsultation logs a free legal consultation.
func appealConsultation(p *appealDetail) {
	u := p.u
	fs := u.newFieldSet(domain.KindAppeal)
	on := u.newEntry()
	on.SetText(u.tr.DateInput(u.sess.Records().Today()))
	by := u.newEntry()
	summary := u.newMultiEntry(4)
	box := container.NewVBox(
		fs.add("consultations.consultant", "field.consultant", by).box,
		fs.add("consultations.on", "field.consult_on", on).box,
		fs.add("consultations.summary", "field.consult_summary", summary).box,
	)
	// The core names consultation fields "consultations[N].x".
	fs.fields["consultations"] = fs.fields["consultations.summary"]
	u.showModal(u.T("consult.action"), fs, box, u.T("action.save"), func() error {
		d, err := u.tr.ParseDate(on.Text)
		if err != nil {
			fs.localError("consultations.on", u.T("err.format.date"))
			return errSilent
		}
		_, err = u.sess.Records().AddConsultation(context.Background(), p.id, domain.Consultation{On: d,
			Consultant: strings.TrimSpace(by.Text), Summary: strings.TrimSpace(summary.Text)})
		if err == nil {
			p.load()
		}
		return err
	})
}

// appealPublication edits the public summary and consent, marks the appeal
// ready for publication, and previews what the public will see.
func appealPublication(p *appealDetail) {
	u := p.u
	a := *p.rec
	fs := u.newFieldSet(domain.KindAppeal)
	summary := u.newMultiEntry(4)
	summary.SetText(a.PublicSummary)
	consent := widget.NewCheck(u.T("field.publish_identity_consent"), nil)
	consent.SetChecked(a.PublishIdentityConsent)
	ready := widget.NewCheck(u.T("field.ready_for_publication"), nil)
	ready.SetChecked(a.ReadyForPublication)
	preview := container.New(controls.Pairs{})
	draw := func() {
		v := a
		v.PublicSummary = strings.TrimSpace(summary.Text)
		v.PublishIdentityConsent = consent.Checked
		preview.Objects = nil
		for _, l := range u.publicView(&v) {
			kv(preview, l.label, l.value)
		}
		preview.Refresh()
	}
	summary.OnChanged = func(string) { draw() }
	consent.OnChanged = func(bool) { u.touch(); draw() }
	draw()
	box := container.NewVBox(
		wrapped(u.T("publication.explain")),
		fs.add("public_summary", "field.public_summary", summary).box,
		fs.add("publish_identity_consent", "field.consent", consent).box,
		fs.add("ready_for_publication", "field.publication", ready).box,
		bold(u.T("publication.preview")),
		widget.NewCard("", "", preview),
	)
	u.showModal(u.T("publication.action"), fs, container.NewVScroll(box), u.T("action.save"), func() error {
		edited := a
		edited.PublicSummary, edited.PublishIdentityConsent, edited.ReadyForPublication = strings.TrimSpace(summary.Text), consent.Checked, ready.Checked
		_, err := u.sess.Records().ChangeAppeal(context.Background(), p.id, &a, &edited,
			[]string{"public_summary", "publish_identity_consent", "ready_for_publication"})
		if err == nil {
			p.load()
		}
		return err
	})
}

// appealReview is central staff's review: publish an appeal the council
// marked ready, with a note back to the council. Only the review fields
// change, which is all a central laptop may write.
func appealReview(p *appealDetail) {
	u := p.u
	a := *p.rec
	fs := u.newFieldSet(domain.KindAppeal)
	published := widget.NewCheck(u.T("field.published"), func(bool) { u.touch() })
	published.SetChecked(a.Published)
	note := u.newMultiEntry(3)
	note.SetText(a.ReviewNote)
	box := container.NewVBox(wrapped(u.T("review.explain")))
	if !a.ReadyForPublication && !a.Published {
		published.Disable()
		w := wrapped(u.T("review.not_ready"))
		w.Importance = widget.WarningImportance
		box.Add(w)
	}
	box.Add(fs.add("published", "field.publication", published).box)
	box.Add(fs.add("review_note", "field.review_note", note).box)
	preview := container.New(controls.Pairs{})
	for _, l := range u.publicView(&a) {
		kv(preview, l.label, l.value)
	}
	box.Add(bold(u.T("publication.preview")))
	box.Add(widget.NewCard("", "", preview))
	u.showModal(u.T("review.action"), fs, container.NewVScroll(box), u.T("action.save"), func() error {
		edited := a
		edited.Published, edited.ReviewNote = published.Checked, strings.TrimSpace(note.Text)
		if published.Checked && !a.Published {
			edited.PublishedOn = u.sess.Records().Today()
		}
		_, err := u.sess.Records().ChangeAppeal(context.Background(), p.id, &a, &edited, []string{"published", "published_on", "review_note"})
		if err == nil {
			p.loadAtTop()
		}
		return err
	})
}
