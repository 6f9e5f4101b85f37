package ui

import (
	"context"
	"encoding/json"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

// appealDetail shows one appeal with its deadlines, workflow steps,
// consultations, publication and history.
type appealDetail struct {
	u    *UI
	id   string
	a    *domain.Appeal
	err  error
	body *fyne.Container
	// workflow holds one button per allowed next status (tests look here).
	workflow map[domain.Status]*widget.Button
}

func newAppealDetail(u *UI, id string) *appealDetail {
	p := &appealDetail{u: u, id: id, body: container.NewStack()}
	p.load()
	return p
}

func (p *appealDetail) title() string {
	if p.a == nil {
		return p.u.T("appeal.title")
	}
	return p.u.T("appeal.title") + " " + p.a.RegNo
}

func (p *appealDetail) view() fyne.CanvasObject { return p.body }

func (p *appealDetail) changed(c []records.Changed) {
	for _, x := range c {
		if x == records.Overflow || (x.Kind == domain.KindAppeal && x.ID == p.id) {
			p.load()
			if p.u.shell != nil && p.u.shell.top() == page(p) {
				p.u.shell.header.SetText(p.title())
			}
			return
		}
	}
}

func (p *appealDetail) load() {
	p.a, p.err = p.u.sess.Records().Appeal(context.Background(), p.id)
	p.draw()
}

// kv is a label and a value in a details grid.
func kv(grid *fyne.Container, label, value string) {
	if strings.TrimSpace(value) == "" {
		return
	}
	l := strong(label)
	v := widget.NewLabel(value)
	v.Wrapping = fyne.TextWrapWord
	grid.Add(l)
	grid.Add(v)
}

func (p *appealDetail) draw() {
	u := p.u
	if p.err != nil {
		p.body.Objects = []fyne.CanvasObject{wrapped(u.problem(p.err))}
		p.body.Refresh()
		return
	}
	a := p.a
	deleted := a.Meta != nil && a.Meta.Deleted

	status := strong(u.statusName(string(a.Status)))
	status.Importance = widget.HighImportance
	head := container.NewVBox(container.NewHBox(strong(a.RegNo), status))
	if deleted {
		w := bold(u.T("record.deleted"))
		w.Importance = widget.DangerImportance
		head.Add(w)
	}
	if a.Meta != nil && len(a.Meta.Unreadable) > 0 {
		head.Add(u.unreadableBanner(a.Meta.Unreadable))
	}
	if a.Overdue && a.Deadlines != nil {
		w := bold(u.T("appeal.overdue_banner", "date", a.Deadlines.AnswerBy, "days", a.Deadlines.AnswerBy.DaysUntil(u.sess.Records().Today())))
		w.Importance = widget.DangerImportance
		w.Wrapping = fyne.TextWrapWord
		head.Add(w)
	}
	sum := wrapped(a.Summary)
	sum.TextStyle.Bold = true
	head.Add(sum)

	// Actions: only the steps the workflow allows from here.
	actions := container.NewHBox()
	p.workflow = map[domain.Status]*widget.Button{}
	if u.central {
		actions.Add(u.primary(u.T("review.action"), theme.VisibilityIcon(), p.reviewDialog))
	} else if !u.records {
		// Neither a council's laptop nor central staff's: nothing to do here.
	} else if !deleted {
		actions.Add(u.button(u.T("action.edit"), theme.DocumentCreateIcon(), func() { u.shell.push(newAppealForm(u, a)) }))
		for _, next := range a.NextStatuses {
			next := next
			b := u.button(u.T("workflow.to."+string(next)), theme.MailForwardIcon(), func() { p.stepDialog(next) })
			if next == domain.StatusRejected {
				b.Importance = widget.WarningImportance
			} else {
				b.Importance = widget.HighImportance
			}
			p.workflow[next] = b
			actions.Add(b)
		}
		actions.Add(u.button(u.T("consult.action"), theme.ContentAddIcon(), p.consultDialog))
		pub := u.button(u.T("publication.action"), theme.VisibilityIcon(), p.publicationDialog)
		if !domain.Publishable(a.Status) {
			pub.Disable()
		}
		actions.Add(pub)
		del := u.button(u.T("action.delete"), theme.DeleteIcon(), func() {
			u.confirm(u.T("record.delete_title"), u.T("record.delete_text"), u.T("action.delete"), func() {
				if err := u.sess.Records().Delete(context.Background(), domain.KindAppeal, a.ID); err != nil {
					u.showError(err)
				}
				p.load()
			})
		})
		del.Importance = widget.DangerImportance
		actions.Add(del)
	} else {
		actions.Add(u.button(u.T("action.restore"), theme.ContentUndoIcon(), func() {
			if err := u.sess.Records().Restore(context.Background(), domain.KindAppeal, a.ID); err != nil {
				u.showError(err)
			}
			p.load()
		}))
	}

	grid := container.New(controls.Pairs{})
	kv(grid, u.T("field.council"), u.councilName(a.Council))
	kv(grid, u.T("field.channel"), u.termName(refdata.AppealChannels, a.Channel))
	kv(grid, u.T("field.received_on"), u.tr.LongDate(a.ReceivedOn))
	kv(grid, u.T("field.registered_on"), u.tr.LongDate(a.RegisteredOn))
	if d := a.Deadlines; d != nil {
		kv(grid, u.T("field.register_by"), u.tr.LongDate(d.RegisterBy))
		kv(grid, u.T("field.answer_by"), u.tr.LongDate(d.AnswerBy))
		if d.MaxAnswerBy != d.AnswerBy {
			kv(grid, u.T("field.max_answer_by"), u.tr.LongDate(d.MaxAnswerBy))
		}
	}
	if a.Anonymous {
		kv(grid, u.T("field.appellant"), u.T("field.anonymous"))
	}
	if ap := a.Appellant; ap != nil {
		kv(grid, u.T("field.appellant_name"), ap.Name)
		kv(grid, u.T("field.phone"), ap.Phone)
		kv(grid, u.T("field.email"), ap.Email)
		kv(grid, u.T("field.address"), ap.Address)
		kv(grid, u.T("field.pin"), ap.PIN)
	}
	kv(grid, u.T("field.gender"), u.termName(refdata.Genders, a.Gender))
	kv(grid, u.T("field.age_group"), u.termName(refdata.AgeGroups, a.AgeGroup))
	var vg []string
	for _, g := range a.VulnerableGroups {
		vg = append(vg, u.termName(refdata.VulnerableGroups, g))
	}
	kv(grid, u.T("field.vulnerable_groups"), strings.Join(vg, ", "))
	place := u.regionName(a.Oblast)
	if a.District != "" {
		place += ", " + u.districtName(a.District)
	}
	if a.Village != "" {
		place += ", " + a.Village
	}
	kv(grid, u.T("field.place"), place)
	kv(grid, u.T("field.category"), u.termName(refdata.RightCategories, a.Category))
	kv(grid, u.T("field.authority"), strings.TrimSpace(u.termName(refdata.Authorities, a.Authority)+" "+a.AuthorityName))
	kv(grid, u.T("field.description"), a.Description)
	kv(grid, u.T("field.status_note"), a.StatusNote)
	kv(grid, u.T("field.rejection_reason"), a.RejectionReason)
	if !a.VerifiedOn.IsZero() {
		kv(grid, u.T("field.verified_on"), u.tr.LongDate(a.VerifiedOn))
	}
	kv(grid, u.T("field.referred_to"), a.ReferredTo)
	if !a.ReferredOn.IsZero() {
		kv(grid, u.T("field.referred_on"), u.tr.LongDate(a.ReferredOn))
	}
	if !a.AnsweredOn.IsZero() {
		kv(grid, u.T("field.answered_on"), u.tr.LongDate(a.AnsweredOn))
	}
	kv(grid, u.T("field.answer_summary"), a.AnswerSummary)
	if !a.ClosedOn.IsZero() {
		kv(grid, u.T("field.closed_on"), u.tr.LongDate(a.ClosedOn))
	}
	if a.ExtensionDays > 0 {
		kv(grid, u.T("field.extension_days"), u.tr.Int(a.ExtensionDays))
		kv(grid, u.T("field.extension_note"), a.ExtensionNote)
	}
	if a.ReadyForPublication {
		kv(grid, u.T("field.ready_for_publication"), u.T("common.yes"))
	}
	if a.Published {
		kv(grid, u.T("field.published"), u.tr.LongDate(a.PublishedOn))
	}
	kv(grid, u.T("field.review_note"), a.ReviewNote)

	consults := container.NewVBox(bold(u.T("consult.title")))
	if len(a.Consultations) == 0 {
		consults.Add(muted(u.T("consult.none")))
	}
	for _, c := range a.Consultations {
		l := wrapped(u.tr.Date(c.On) + " · " + c.Consultant + " (" + u.statusName(string(c.AtStatus)) + ")\n" + c.Summary)
		consults.Add(l)
	}

	left := container.NewVBox(head, widget.NewCard("", "", grid), widget.NewCard("", "", consults))
	right := container.NewVBox(bold(u.T("history.title")), u.historyView(domain.KindAppeal, a.ID))
	split := container.NewHSplit(container.NewVScroll(left), container.NewVScroll(right))
	split.Offset = 0.62
	p.body.Objects = []fyne.CanvasObject{container.NewBorder(container.NewVBox(container.NewHScroll(actions), widget.NewSeparator()), nil, nil, nil, split)}
	p.body.Refresh()
}

// stepDialog asks what a workflow step needs and applies it.
func (p *appealDetail) stepDialog(to domain.Status) {
	u := p.u
	fs := u.newFieldSet(domain.KindAppeal)
	// One line: Enter applies the step (a long answer has its own field).
	note := u.newEntry()
	on := u.newEntry()
	on.SetText(u.tr.DateInput(u.sess.Records().Today()))
	target := u.newEntry()
	target.SetText(p.a.AuthorityName)
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
			p.load()
		}
		return err
	})
}

// consultDialog logs a free legal consultation.
func (p *appealDetail) consultDialog() {
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

// publicationDialog edits the public summary and consent, marks the appeal
// ready for publication, and previews what the public will see.
func (p *appealDetail) publicationDialog() {
	u := p.u
	a := *p.a
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
		patch, _ := json.Marshal(map[string]any{"public_summary": strings.TrimSpace(summary.Text),
			"publish_identity_consent": consent.Checked, "ready_for_publication": ready.Checked})
		_, err := u.sess.Records().EditAppeal(context.Background(), p.id, patch)
		if err == nil {
			p.load()
		}
		return err
	})
}

// reviewDialog is central staff's review: publish an appeal the council
// marked ready, with a note back to the council. Only the review fields
// change, which is all a central laptop may write.
func (p *appealDetail) reviewDialog() {
	u := p.u
	a := *p.a
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
		change := map[string]any{"published": published.Checked, "review_note": strings.TrimSpace(note.Text)}
		if published.Checked && !a.Published {
			change["published_on"] = u.sess.Records().Today()
		}
		patch, _ := json.Marshal(change)
		_, err := u.sess.Records().EditAppeal(context.Background(), p.id, patch)
		if err == nil {
			p.load()
		}
		return err
	})
}
