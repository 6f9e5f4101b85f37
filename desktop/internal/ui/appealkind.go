package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

// How the interface shows citizens' appeals: this file describes them; the
// workflow's and publication's dialogs are in appealdialogs.go.

var appealFormSpec = formSpec[domain.Appeal]{
	kind:     domain.KindAppeal,
	newTitle: "appeal.new_title",
	title:    func(u *UI, a *domain.Appeal) string { return u.T("appeal.edit_title", "regno", a.RegNo) },
	sections: []formSection[domain.Appeal]{
		{title: "appeal.sec_received", fields: []fieldSpec[domain.Appeal]{
			councilField(func(a *domain.Appeal) *string { return &a.Council }),
			termField("channel", "field.channel", refdata.AppealChannels, "", func(a *domain.Appeal) *string { return &a.Channel }),
			dateField("received_on", "field.received_on", func(a *domain.Appeal) *caldate.Date { return &a.ReceivedOn }),
			dateField("registered_on", "field.registered_on", func(a *domain.Appeal) *caldate.Date { return &a.RegisteredOn }),
		}},
		{title: "appeal.sec_appellant", fields: []fieldSpec[domain.Appeal]{
			withAlso(checkField("anonymous", "field.appellant", "field.anonymous", []string{"appellant.name", "appellant.pin"},
				func(a *domain.Appeal) *bool { return &a.Anonymous }), "appellant"),
			textField("appellant.name", "field.appellant_name", 0, "", func(a *domain.Appeal) *string { return &appellant(a).Name }),
			textField("appellant.phone", "field.phone", 0, "+996 555 123 456", func(a *domain.Appeal) *string { return &appellant(a).Phone }),
			textField("appellant.email", "field.email", 0, "", func(a *domain.Appeal) *string { return &appellant(a).Email }),
			textField("appellant.address", "field.address", 0, "", func(a *domain.Appeal) *string { return &appellant(a).Address }),
			textField("appellant.pin", "field.pin", 0, "form.pin_placeholder", func(a *domain.Appeal) *string { return &appellant(a).PIN }),
			termField("gender", "field.gender", refdata.Genders, "form.not_stated", func(a *domain.Appeal) *string { return &a.Gender }),
			termField("age_group", "field.age_group", refdata.AgeGroups, "form.not_stated", func(a *domain.Appeal) *string { return &a.AgeGroup }),
		}},
		{title: "field.vulnerable_groups", layout: folded, open: func(a *domain.Appeal) bool { return len(a.VulnerableGroups) > 0 },
			fields: []fieldSpec[domain.Appeal]{
				termsField("vulnerable_groups", "field.vulnerable_groups", refdata.VulnerableGroups, 2,
					func(a *domain.Appeal) *[]string { return &a.VulnerableGroups }),
			}},
		{title: "appeal.sec_matter", fields: []fieldSpec[domain.Appeal]{
			termField("category", "field.category", refdata.RightCategories, "", func(a *domain.Appeal) *string { return &a.Category }),
			languageField(func(a *domain.Appeal) *string { return &a.Language }),
			termField("authority", "field.authority", refdata.Authorities, "form.not_stated", func(a *domain.Appeal) *string { return &a.Authority }),
			textField("authority_name", "field.authority_name", 0, "", func(a *domain.Appeal) *string { return &a.AuthorityName }),
			regionField(func(a *domain.Appeal) *string { return &a.Oblast }),
			districtField(func(a *domain.Appeal) *string { return &a.District }),
			textField("village", "field.village", 0, "", func(a *domain.Appeal) *string { return &a.Village }),
		}},
		{layout: wide, fields: []fieldSpec[domain.Appeal]{
			textField("summary", "field.summary", 0, "form.summary_placeholder", func(a *domain.Appeal) *string { return &a.Summary }),
			textField("description", "field.description", 4, "", func(a *domain.Appeal) *string { return &a.Description }),
		}},
		{title: "appeal.sec_extension", editOnly: true, fields: []fieldSpec[domain.Appeal]{
			numberField("extension_days", "field.extension_days", "", func(a *domain.Appeal) *int { return &a.ExtensionDays }),
			textField("extension_note", "field.extension_note", 0, "", func(a *domain.Appeal) *string { return &a.ExtensionNote }),
		}},
	},
	start: func(f *appealForm) {
		today := f.u.tr.DateInput(f.u.sess.Records().Today())
		f.preset(map[string]string{"received_on": today, "registered_on": today, "language": f.u.Lang()})
		f.presetCouncil()
	},
	extra: []string{"event_id"},
	finish: func(f *appealForm, a *domain.Appeal) {
		if f.rec == nil {
			a.EventID = f.extra["event_id"]
		}
		if a.Appellant != nil {
			if a.Anonymous {
				a.Appellant.Name, a.Appellant.PIN = "", ""
			}
			if *a.Appellant == (domain.Appellant{}) {
				a.Appellant = nil
			}
		}
	},
	create: func(ctx context.Context, svc *records.Service, a *domain.Appeal) (string, error) {
		saved, err := svc.CreateAppeal(ctx, *a)
		if err != nil {
			return "", err
		}
		return saved.ID, nil
	},
	change: func(ctx context.Context, svc *records.Service, id string, shown, edited *domain.Appeal, fields []string) error {
		_, err := svc.ChangeAppeal(ctx, id, shown, edited, fields)
		return err
	},
	id: func(a *domain.Appeal) string { return a.ID },
}

// The appeals list: the number, the dates and every status fit their
// columns in the language now in force (measured), the right takes a fixed
// share and the summary what is left.
var appealListSpec = listSpec{
	kind: domain.KindAppeal, title: "nav.appeals", searchHint: "list.search_appeal",
	status: true, category: refdata.RightCategories, anyCategory: "list.any_category",
	flag:    func(u *UI) string { return u.T("list.overdue_only") },
	flagged: func(f *records.Filter) { f.Overdue = true },
	count:   "list.count_appeals",
	columns: []listColumn{
		{title: "field.reg_no", width: func(*UI) float32 { return textWidthOf("NRN-ATB-2026-K7QH-0001") },
			cell: func(u *UI, s records.Summary) (string, widget.Importance) { return plain(s.RegNo) }},
		{title: "field.received_on", width: func(u *UI) float32 { return textWidthOf(u.tr.Date(sampleDate)) },
			cell: func(u *UI, s records.Summary) (string, widget.Importance) { return plain(u.tr.Date(s.Date)) }},
		{title: "field.status", width: func(u *UI) float32 {
			var names []string
			for _, st := range domain.Statuses {
				names = append(names, u.statusName(string(st)))
			}
			return textWidthOf(names...)
		}, cell: func(u *UI, s records.Summary) (string, widget.Importance) { return plain(u.statusName(s.Status)) }},
		{title: "field.category", width: func(*UI) float32 { return 170 },
			cell: func(u *UI, s records.Summary) (string, widget.Importance) {
				return plain(u.termName(refdata.RightCategories, s.Category))
			}},
		{title: "field.summary", cell: func(u *UI, s records.Summary) (string, widget.Importance) { return plain(s.Title) }},
		{title: "field.answer_by", width: func(u *UI) float32 {
			return textWidthOf(u.tr.Date(sampleDate), u.T("list.overdue_days", "n", 999))
		}, cell: func(u *UI, s records.Summary) (string, widget.Importance) {
			switch {
			case s.Overdue && s.AnswerBy != nil:
				return u.T("list.overdue_days", "n", s.AnswerBy.DaysUntil(u.sess.Records().Today())), widget.DangerImportance
			case s.AnswerBy != nil:
				return plain(u.tr.Date(*s.AnswerBy))
			}
			return plain("")
		}},
	},
	newLabel: "action.new_appeal",
}

// sampleDate is a date as wide as any, for measuring date columns.
var sampleDate = caldate.New(2026, 11, 25)

var appealDetailSpec = detailSpec[domain.Appeal]{
	kind: domain.KindAppeal,
	load: func(ctx context.Context, svc *records.Service, id string) (*domain.Appeal, error) {
		return svc.Appeal(ctx, id)
	},
	meta: func(a *domain.Appeal) *domain.Meta { return a.Meta },
	title: func(u *UI, a *domain.Appeal) string {
		if a == nil {
			return u.T("appeal.title")
		}
		return u.T("appeal.title") + " " + a.RegNo
	},
	head: func(d *appealDetail, a *domain.Appeal) []fyne.CanvasObject {
		status := strong(d.u.statusName(string(a.Status)))
		status.Importance = widget.HighImportance
		return []fyne.CanvasObject{container.NewHBox(strong(a.RegNo), status)}
	},
	more: func(d *appealDetail, a *domain.Appeal) []fyne.CanvasObject {
		u := d.u
		var out []fyne.CanvasObject
		if a.Overdue && a.Deadlines != nil {
			w := bold(u.T("appeal.overdue_banner", "date", a.Deadlines.AnswerBy, "days", a.Deadlines.AnswerBy.DaysUntil(u.sess.Records().Today())))
			w.Importance = widget.DangerImportance
			w.Wrapping = fyne.TextWrapWord
			out = append(out, w)
		}
		sum := wrapped(a.Summary)
		sum.TextStyle.Bold = true
		return append(out, sum)
	},
	// Only the steps the workflow allows from here.
	act: func(d *appealDetail, a *domain.Appeal) []fyne.CanvasObject {
		u := d.u
		var out []fyne.CanvasObject
		for _, next := range a.NextStatuses {
			b := u.button(u.T("workflow.to."+string(next)), theme.MailForwardIcon(), func() { appealStep(d, next) })
			if next == domain.StatusRejected {
				b.Importance = widget.WarningImportance
			} else {
				b.Importance = widget.HighImportance
			}
			d.steps[string(next)] = b
			out = append(out, b)
		}
		out = append(out, u.button(u.T("consult.action"), theme.ContentAddIcon(), func() { appealConsultation(d) }))
		pub := u.button(u.T("publication.action"), theme.VisibilityIcon(), func() { appealPublication(d) })
		if !domain.Publishable(a.Status) {
			pub.Disable()
		}
		return append(out, pub)
	},
	read: func(d *appealDetail, a *domain.Appeal) []fyne.CanvasObject {
		if !d.u.central {
			return nil // neither a council's laptop nor central staff's: nothing to do here
		}
		return []fyne.CanvasObject{d.u.primary(d.u.T("review.action"), theme.VisibilityIcon(), func() { appealReview(d) })}
	},
	facts: []fact[domain.Appeal]{
		{"field.council", func(u *UI, a *domain.Appeal) string { return u.councilName(a.Council) }},
		{"field.channel", func(u *UI, a *domain.Appeal) string { return u.termName(refdata.AppealChannels, a.Channel) }},
		{"field.received_on", func(u *UI, a *domain.Appeal) string { return u.tr.LongDate(a.ReceivedOn) }},
		{"field.registered_on", func(u *UI, a *domain.Appeal) string { return u.tr.LongDate(a.RegisteredOn) }},
		{"field.register_by", func(u *UI, a *domain.Appeal) string {
			if a.Deadlines == nil {
				return ""
			}
			return u.tr.LongDate(a.Deadlines.RegisterBy)
		}},
		{"field.answer_by", func(u *UI, a *domain.Appeal) string {
			if a.Deadlines == nil {
				return ""
			}
			return u.tr.LongDate(a.Deadlines.AnswerBy)
		}},
		{"field.max_answer_by", func(u *UI, a *domain.Appeal) string {
			if d := a.Deadlines; d != nil && d.MaxAnswerBy != d.AnswerBy {
				return u.tr.LongDate(d.MaxAnswerBy)
			}
			return ""
		}},
		{"field.appellant", func(u *UI, a *domain.Appeal) string {
			if a.Anonymous {
				return u.T("field.anonymous")
			}
			return ""
		}},
		{"field.appellant_name", func(_ *UI, a *domain.Appeal) string { return appellantOf(a).Name }},
		{"field.phone", func(_ *UI, a *domain.Appeal) string { return appellantOf(a).Phone }},
		{"field.email", func(_ *UI, a *domain.Appeal) string { return appellantOf(a).Email }},
		{"field.address", func(_ *UI, a *domain.Appeal) string { return appellantOf(a).Address }},
		{"field.pin", func(_ *UI, a *domain.Appeal) string { return appellantOf(a).PIN }},
		{"field.gender", func(u *UI, a *domain.Appeal) string { return u.termName(refdata.Genders, a.Gender) }},
		{"field.age_group", func(u *UI, a *domain.Appeal) string { return u.termName(refdata.AgeGroups, a.AgeGroup) }},
		{"field.vulnerable_groups", func(u *UI, a *domain.Appeal) string {
			var vg []string
			for _, g := range a.VulnerableGroups {
				vg = append(vg, u.termName(refdata.VulnerableGroups, g))
			}
			return strings.Join(vg, ", ")
		}},
		{"field.place", func(u *UI, a *domain.Appeal) string {
			place := u.regionName(a.Oblast)
			if a.District != "" {
				place += ", " + u.districtName(a.District)
			}
			if a.Village != "" {
				place += ", " + a.Village
			}
			return place
		}},
		{"field.category", func(u *UI, a *domain.Appeal) string { return u.termName(refdata.RightCategories, a.Category) }},
		{"field.authority", func(u *UI, a *domain.Appeal) string {
			return strings.TrimSpace(u.termName(refdata.Authorities, a.Authority) + " " + a.AuthorityName)
		}},
		{"field.description", func(_ *UI, a *domain.Appeal) string { return a.Description }},
		{"field.status_note", func(_ *UI, a *domain.Appeal) string { return a.StatusNote }},
		{"field.rejection_reason", func(_ *UI, a *domain.Appeal) string { return a.RejectionReason }},
		{"field.verified_on", func(u *UI, a *domain.Appeal) string { return u.longDate(a.VerifiedOn) }},
		{"field.referred_to", func(_ *UI, a *domain.Appeal) string { return a.ReferredTo }},
		{"field.referred_on", func(u *UI, a *domain.Appeal) string { return u.longDate(a.ReferredOn) }},
		{"field.answered_on", func(u *UI, a *domain.Appeal) string { return u.longDate(a.AnsweredOn) }},
		{"field.answer_summary", func(_ *UI, a *domain.Appeal) string { return a.AnswerSummary }},
		{"field.closed_on", func(u *UI, a *domain.Appeal) string { return u.longDate(a.ClosedOn) }},
		{"field.extension_days", func(u *UI, a *domain.Appeal) string {
			if a.ExtensionDays > 0 {
				return u.tr.Int(a.ExtensionDays)
			}
			return ""
		}},
		{"field.extension_note", func(_ *UI, a *domain.Appeal) string {
			if a.ExtensionDays > 0 {
				return a.ExtensionNote
			}
			return ""
		}},
		{"field.ready_for_publication", func(u *UI, a *domain.Appeal) string {
			if a.ReadyForPublication {
				return u.T("common.yes")
			}
			return ""
		}},
		{"field.published", func(u *UI, a *domain.Appeal) string {
			if a.Published {
				return u.tr.LongDate(a.PublishedOn)
			}
			return ""
		}},
		{"field.review_note", func(_ *UI, a *domain.Appeal) string { return a.ReviewNote }},
	},
	panels: func(d *appealDetail, a *domain.Appeal) []fyne.CanvasObject {
		u := d.u
		consults := container.NewVBox(bold(u.T("consult.title")))
		if len(a.Consultations) == 0 {
			consults.Add(muted(u.T("consult.none")))
		}
		for _, c := range a.Consultations {
			consults.Add(wrapped(u.tr.Date(c.On) + " · " + c.Consultant + " (" + u.statusName(string(c.AtStatus)) + ")\n" + c.Summary))
		}
		editable := u.records && (a.Meta == nil || !a.Meta.Deleted)
		return []fyne.CanvasObject{consults, u.attachmentsPanel(domain.KindAppeal, a.ID, a.Attachments, editable)}
	},
}

// appellant is a's appellant, made if it has none (the form fills it in;
// finish drops it again if nothing was typed).
func appellant(a *domain.Appeal) *domain.Appellant {
	if a.Appellant == nil {
		a.Appellant = &domain.Appellant{}
	}
	return a.Appellant
}

// appellantOf is a's appellant, or an empty one.
func appellantOf(a *domain.Appeal) domain.Appellant {
	if a.Appellant == nil {
		return domain.Appellant{}
	}
	return *a.Appellant
}

// textWidthOf is the width of the widest of texts on one line, in the
// units of controls.Columns.
func textWidthOf(texts ...string) float32 { return controls.TextWidth(fyne.TextStyle{}, texts...) }
