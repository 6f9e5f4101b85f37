package ui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
	"github.com/kenesh/kenesh/shared/xlsform"
)

// A training's page (an event of kind training) has three more sections:
// its attendance list, with Add, Edit and Remove on the council's laptop;
// the programme's materials used at it; and what its tests before and
// after show (records.TrainingResults). Each attendee is saved as an item
// of its own (records.SaveAttendee), so a colleague's additions on
// another laptop are kept. The buttons are in the page's steps map
// ("attendee.edit.ID", "attendee.remove.ID", "material.unuse.ID") for
// tests.

// trainingPanels are the training's sections, or none for another event.
func trainingPanels(d *eventDetail, e *domain.Event) []fyne.CanvasObject {
	if !e.IsTraining() {
		return nil
	}
	editable := d.u.records && (e.Meta == nil || !e.Meta.Deleted)
	return []fyne.CanvasObject{attendancePanel(d, e, editable), materialsUsedPanel(d, e, editable), resultsPanel(d, e)}
}

func attendancePanel(d *eventDetail, e *domain.Event, editable bool) fyne.CanvasObject {
	u := d.u
	box := container.NewVBox()
	_, list, err := u.sess.Records().Attendance(context.Background(), e.ID)
	if errors.Is(err, records.ErrAttendanceHidden) {
		box.Add(bold(u.T("training.attendance", "n", len(e.Attendees))))
		box.Add(muted(u.T("training.attendance_hidden")))
		return box
	}
	if err != nil {
		box.Add(wrapped(u.problem(err)))
		return box
	}
	box.Add(bold(u.T("training.attendance", "n", len(list))))
	if len(list) == 0 {
		box.Add(muted(u.T("training.attendance_none")))
	} else {
		box.Add(muted(u.T("training.counted_from_list")))
	}
	for i, a := range list {
		line := wrapped(fmt.Sprintf("%d. %s", i+1, a.Name))
		about := muted(strings.Join(nonEmpty(a.Organisation, u.termName(refdata.ParticipantGroups, a.Group),
			genderName(u, a.Gender), councilOf(u, e, a.Council)), " · "))
		row := fyne.CanvasObject(container.NewVBox(line, about))
		if editable {
			edit := u.button(u.T("action.edit"), theme.DocumentCreateIcon(), func() { attendeeDialog(d, e.ID, &a) })
			remove := u.button(u.T("training.remove"), theme.DeleteIcon(), func() {
				u.confirm(u.T("training.remove_title"), u.T("training.remove_text", "name", a.Name), u.T("training.remove"), func() {
					if _, err := u.sess.Records().RemoveAttendee(context.Background(), e.ID, a.ID); err != nil {
						u.showError(err)
					}
					d.load()
				})
			})
			d.steps["attendee.edit."+a.ID], d.steps["attendee.remove."+a.ID] = edit, remove
			row = container.NewBorder(nil, nil, nil, container.NewHBox(edit, remove), row)
		}
		box.Add(row)
	}
	if editable {
		add := u.primary(u.T("training.add"), theme.ContentAddIcon(), func() { attendeeDialog(d, e.ID, nil) })
		d.steps["attendee.add"] = add
		box.Add(container.NewHBox(add))
	}
	return box
}

// councilOf names an attendee's council when it is not the training's.
func councilOf(u *UI, e *domain.Event, code string) string {
	if code == "" || code == e.Council {
		return ""
	}
	return u.councilName(code)
}

func genderName(u *UI, code string) string {
	if code == "" {
		return ""
	}
	return u.termName(refdata.Genders, code)
}

// attendeeDialog adds an attendee (a nil) or changes one. The dialog
// stays open with everything typed while the core refuses it.
func attendeeDialog(d *eventDetail, event string, a *domain.Attendee) {
	u := d.u
	fs := u.newFieldSet("attendee")
	name, org, council := u.newEntry(), u.newEntry(), u.newEntry()
	gender := u.termSelect(refdata.Genders, "", nil)
	group := u.termSelect(refdata.ParticipantGroups, "", nil)
	var cur domain.Attendee
	title := u.T("training.add")
	if a != nil {
		cur, title = *a, u.T("training.edit")
		name.SetText(a.Name)
		org.SetText(a.Organisation)
		council.SetText(a.Council)
		gender.SetCode(a.Gender)
		group.SetCode(a.Group)
	}
	box := container.NewVBox(
		fs.add("name", "field.name", name).box,
		fs.add("gender", "field.gender", gender).box,
		fs.add("group", "training.group", group).box,
		fs.add("organisation", "field.organisation", org).box,
		fs.add("council", "training.council", council).box,
	)
	u.showModal(title, fs, box, u.T("action.save"), func() error {
		next := cur
		next.Name, next.Organisation, next.Council = name.Text, org.Text, council.Text
		next.Gender, next.Group = gender.Code(), group.Code()
		_, _, err := u.sess.Records().SaveAttendee(context.Background(), event, next)
		if err == nil {
			d.load()
		}
		return attendeeFields(err)
	})
}

// attendeeFields names an attendee's faults ("attendees/ID.group") by
// the dialog's fields ("group").
func attendeeFields(err error) error {
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	out := &domain.ValidationError{Kind: ve.Kind}
	for _, fe := range ve.Fields {
		if _, field, ok := strings.Cut(fe.Field, "."); ok && strings.HasPrefix(fe.Field, "attendees/") {
			fe.Field = field
		}
		out.Fields = append(out.Fields, fe)
	}
	return out
}

func materialsUsedPanel(d *eventDetail, e *domain.Event, editable bool) fyne.CanvasObject {
	u := d.u
	box := container.NewVBox(bold(u.T("training.materials")))
	all, err := u.sess.Records().Materials(context.Background())
	if err != nil {
		box.Add(wrapped(u.problem(err)))
		return box
	}
	titles := map[string]string{}
	var codes, names []string
	for _, m := range all {
		titles[m.ID] = m.Title
		if !e.UsesMaterial(m.ID) && (m.Meta == nil || !m.Meta.Deleted) {
			codes, names = append(codes, m.ID), append(names, short(m.Title, 80))
		}
	}
	if len(e.Materials) == 0 {
		box.Add(muted(u.T("training.materials_none")))
	}
	for _, m := range e.Materials {
		t := titles[m.ID]
		if t == "" {
			t = u.T("training.material_missing", "id", m.ID)
		}
		line := fyne.CanvasObject(wrapped(t))
		if editable {
			id := m.ID
			b := u.button(u.T("training.unuse"), theme.ContentRemoveIcon(), func() { useMaterial(d, e.ID, id, false) })
			d.steps["material.unuse."+id] = b
			line = container.NewBorder(nil, nil, nil, b, line)
		}
		box.Add(line)
	}
	if editable && len(codes) > 0 {
		pick := u.newCodeSelect(codes, names, "", nil)
		use := u.button(u.T("training.use"), theme.ContentAddIcon(), func() {
			if pick.Code() != "" {
				useMaterial(d, e.ID, pick.Code(), true)
			}
		})
		d.steps["material.use"] = use
		u.name(pick, "training.material")
		box.Add(container.NewBorder(nil, nil, nil, use, pick))
	}
	return box
}

func useMaterial(d *eventDetail, event, material string, used bool) {
	if _, err := d.u.sess.Records().UseMaterial(context.Background(), event, material, used); err != nil {
		d.u.showError(err)
	}
	d.load()
}

// resultsPanel shows what the tests before and after show: per form, how
// many were taken, the mean score and each question's result.
func resultsPanel(d *eventDetail, e *domain.Event) fyne.CanvasObject {
	u := d.u
	ctx := context.Background()
	box := container.NewVBox(bold(u.T("training.results")))
	res, err := u.sess.Records().TrainingResults(ctx, e.ID)
	if err != nil {
		box.Add(wrapped(u.problem(err)))
		return box
	}
	if len(res) == 0 {
		box.Add(muted(u.T("training.results_none")))
	}
	for _, l := range res {
		title := l.FormID
		if q, _, err := u.sess.Records().Questionnaire(ctx, l.FormID, l.Version); err == nil && len(q.Title) > 0 {
			title = xlsform.Text(q.Title).In(u.Lang())
		}
		box.Add(strong(u.T("training.results_form", "title", title, "version", l.Version)))
		box.Add(wrapped(u.T("training.results_counts", "pre", l.Pre, "post", l.Post)))
		if l.Marked > 0 {
			box.Add(wrapped(u.T("training.score", "pre", percent(u, l.ScorePre), "post", percent(u, l.ScorePost))))
		}
		// Each question on a line of its own (a question is a sentence, too
		// long for a column), its result before and after under it.
		for _, q := range l.Questions {
			label := q.Name
			if q.Question != nil {
				if s := q.Question.Label.In(u.Lang()); s != "" {
					label = s
				}
			}
			value := func(s xlsform.Stat) string { return percent(u, s) }
			if q.Measure == xlsform.MeasureMean {
				label += " " + u.T("training.mean")
				value = func(s xlsform.Stat) string { return decimal(u, s) }
			}
			box.Add(wrapped(label))
			box.Add(muted(u.T("training.before_after", "pre", value(q.Pre), "post", value(q.Post))))
		}
	}
	return box
}

// percent writes a share as a whole percentage; a dash with nothing counted.
func percent(u *UI, s xlsform.Stat) string {
	if s.N == 0 {
		return "—"
	}
	return u.T("training.percent", "n", int(math.Round(s.Value*100)))
}

// decimal writes a mean with one decimal, in the language's way.
func decimal(u *UI, s xlsform.Stat) string {
	if s.N == 0 {
		return "—"
	}
	v := fmt.Sprintf("%.1f", s.Value)
	if u.Lang() != "en" {
		v = strings.Replace(v, ".", ",", 1)
	}
	return v
}
