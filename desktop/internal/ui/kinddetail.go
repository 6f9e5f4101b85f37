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
)

// detailSpec describes the page of one record of type R: its heading, the
// actions a laptop may take on it, its fields and further panels; the
// record's history is beside them, as for every kind.
type detailSpec[R any] struct {
	kind  string
	load  func(ctx context.Context, svc *records.Service, id string) (*R, error)
	meta  func(r *R) *domain.Meta
	title func(u *UI, r *R) string // r is nil while the record cannot be read
	// head is the heading above the banners (deleted, unreadable fields);
	// more comes under them.
	head, more func(d *recordDetail[R], r *R) []fyne.CanvasObject
	// The actions: a laptop that records (a council's) may edit, take the
	// kind's own actions (act) and delete or restore; one that does not
	// may take the readers' own (read: central staff's review).
	edit      func(u *UI, r *R) page
	act, read func(d *recordDetail[R], r *R) []fyne.CanvasObject
	// facts are the record's fields, as label and value (an empty value
	// is not shown); panels the further cards (participants, consultations).
	facts  []fact[R]
	panels func(d *recordDetail[R], r *R) []fyne.CanvasObject
}

// fact is one line of a record's fields.
type fact[R any] struct {
	label string // translation key
	value func(u *UI, r *R) string
}

// recordDetail shows one record of a kind.
type recordDetail[R any] struct {
	u    *UI
	spec *detailSpec[R]
	id   string
	rec  *R
	err  error
	body *fyne.Container
	// steps holds a button per step the record's workflow allows from
	// here, by the status it leads to (tests look here).
	steps map[string]*widget.Button
	// The page's two scrolled panes and their divider, kept so that a
	// redraw (the record changed: a save, a sync, a file arriving) puts
	// the person back where they were reading instead of at the top.
	fields, history *container.Scroll
	split           *container.Split
	toTop           bool // the next draw starts both panes at the top (loadAtTop)
}

func newRecordDetail[R any](u *UI, spec *detailSpec[R], id string) *recordDetail[R] {
	d := &recordDetail[R]{u: u, spec: spec, id: id, body: container.NewStack()}
	d.load()
	return d
}

func (d *recordDetail[R]) title() string           { return d.spec.title(d.u, d.rec) }
func (d *recordDetail[R]) view() fyne.CanvasObject { return d.body }

func (d *recordDetail[R]) changed(c []records.Changed) {
	if records.TouchesRecord(c, d.spec.kind, d.id) {
		d.load()
		if d.u.shell != nil && d.u.shell.top() == page(d) {
			d.u.shell.header.SetText(d.title())
		}
	}
}

func (d *recordDetail[R]) load() {
	d.rec, d.err = d.spec.load(context.Background(), d.u.sess.Records(), d.id)
	d.draw()
}

// loadAtTop draws the record again with both panes at their top: after
// the person's own step of its workflow (or the centre's review), whose
// result is the status at the page's head and the newest entry at the
// history's; a change from elsewhere (load) keeps their place.
func (d *recordDetail[R]) loadAtTop() {
	d.toTop = true
	d.load()
}

func (d *recordDetail[R]) draw() {
	u := d.u
	if d.err != nil {
		d.body.Objects = []fyne.CanvasObject{wrapped(u.problem(d.err))}
		d.body.Refresh()
		return
	}
	r := d.rec
	meta := d.spec.meta(r)
	deleted := meta != nil && meta.Deleted

	head := container.NewVBox(d.spec.head(d, r)...)
	if deleted {
		w := bold(u.T("record.deleted"))
		w.Importance = widget.DangerImportance
		head.Add(w)
	}
	if meta != nil && len(meta.Unreadable) > 0 {
		head.Add(u.unreadableBanner(meta.Unreadable))
	}
	// The centre's refusals of changes this record holds: said at the
	// head, with the ways to settle them, and the fields marked below.
	var correct func()
	if u.records && !deleted && d.spec.edit != nil {
		correct = func() { u.shell.push(d.spec.edit(u, r)) }
	}
	banner, refused := u.refusalBanner(d.spec.kind, d.id, correct, d.load)
	if banner != nil {
		head.Add(banner)
	}
	if d.spec.more != nil {
		for _, o := range d.spec.more(d, r) {
			head.Add(o)
		}
	}

	actions := container.NewHBox()
	d.steps = map[string]*widget.Button{}
	switch {
	case !u.records:
		// Central staff and others who do not record: their own actions only.
		if d.spec.read != nil {
			actions.Objects = append(actions.Objects, d.spec.read(d, r)...)
		}
	case !deleted:
		actions.Add(u.button(u.T("action.edit"), theme.DocumentCreateIcon(), func() { u.shell.push(d.spec.edit(u, r)) }))
		if d.spec.act != nil {
			actions.Objects = append(actions.Objects, d.spec.act(d, r)...)
		}
		del := u.button(u.T("action.delete"), theme.DeleteIcon(), func() {
			u.confirm(u.T("record.delete_title"), u.T("record.delete_text"), u.T("action.delete"), func() {
				if err := u.sess.Records().Delete(context.Background(), d.spec.kind, d.id); err != nil {
					u.showError(err)
				}
				d.load()
			})
		})
		del.Importance = widget.DangerImportance
		actions.Add(del)
	default:
		actions.Add(u.button(u.T("action.restore"), theme.ContentUndoIcon(), func() {
			if err := u.sess.Records().Restore(context.Background(), d.spec.kind, d.id); err != nil {
				u.showError(err)
			}
			d.load()
		}))
	}

	grid := container.New(controls.Pairs{})
	for _, f := range d.spec.facts {
		n := grid.Objects
		kv(grid, u.T(f.label), f.value(u, r))
		if refused[strings.TrimPrefix(f.label, "field.")] && len(grid.Objects) > len(n) {
			for _, o := range grid.Objects[len(grid.Objects)-2:] {
				o.(*widget.Label).Importance = widget.DangerImportance
			}
		}
	}
	left := container.NewVBox(head, widget.NewCard("", "", grid))
	if d.spec.panels != nil {
		for _, p := range d.spec.panels(d, r) {
			left.Add(widget.NewCard("", "", p))
		}
	}
	right := container.NewVBox(bold(u.T("history.title")), u.historyView(d.spec.kind, d.id))
	fields, history := container.NewVScroll(left), container.NewVScroll(right)
	split := container.NewHSplit(fields, history)
	split.Offset = 0.62
	if d.split != nil {
		// The same record drawn again: the divider and both panes stay
		// where they were (a pane shorter now is clamped when laid out).
		split.Offset = d.split.Offset
		if !d.toTop {
			fields.Offset = d.fields.Offset
			history.Offset = d.history.Offset
		}
	}
	d.fields, d.history, d.split, d.toTop = fields, history, split, false
	d.body.Objects = []fyne.CanvasObject{container.NewBorder(container.NewVBox(container.NewHScroll(actions), widget.NewSeparator()), nil, nil, nil, split)}
	d.body.Refresh()
}

// filesMoved draws the page again while a file it lists is on its way.
func (d *recordDetail[R]) filesMoved() {
	if d.spec.kind != domain.KindAppeal && d.spec.kind != domain.KindEvent {
		return
	}
	ctx := context.Background()
	list, err := d.u.sess.Records().Attachments(ctx, d.spec.kind, d.id)
	if err != nil {
		return
	}
	for i := range list {
		if done, total, err := d.u.sess.Files().Local(ctx, &list[i]); err == nil && done < total {
			d.load()
			return
		}
	}
}

// dropTarget is a page that takes files dropped on the window: a record
// that has attachments, on a laptop that records, not deleted.
type dropTarget interface {
	dropTarget() (kind, id string, ok bool)
}

func (d *recordDetail[R]) dropTarget() (string, string, bool) {
	if d.rec == nil || !d.u.records || d.spec.kind != domain.KindAppeal && d.spec.kind != domain.KindEvent {
		return "", "", false
	}
	if m := d.spec.meta(d.rec); m != nil && m.Deleted {
		return "", "", false
	}
	return d.spec.kind, d.id, true
}

// kv is a label and a value in a details grid; an empty value is left out.
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

// longDate is a date in words, "" for none.
func (u *UI) longDate(d caldate.Date) string {
	if d.IsZero() {
		return ""
	}
	return u.tr.LongDate(d)
}
