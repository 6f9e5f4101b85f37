package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/xlsform"
)

// The Questionnaires page: the questionnaires central staff published
// (needs assessments, tests before and after a training, feedback), each
// with the responses this laptop may read; a council's laptop fills a new
// response in a form drawn from the definition, which asks a question only
// when its relevance holds, offers the choices its filter leaves, and
// checks the answers as the definition says (shared/xlsform, as keneshctl
// and the server check them).

type questionnairesPage struct {
	u    *UI
	body *fyne.Container
	// forms are the newest version of each questionnaire, newest first;
	// sel is the one shown.
	forms []domain.Questionnaire
	sel   int
	// show is a questionnaire to show at the next load (one just
	// published), whatever was shown before.
	show string
	// buttons and links by name, for tests.
	buttons map[string]*widget.Button
}

func newQuestionnairesPage(u *UI) *questionnairesPage {
	p := &questionnairesPage{u: u, body: container.NewStack()}
	p.load()
	return p
}

func (p *questionnairesPage) title() string           { return p.u.T("quest.title") }
func (p *questionnairesPage) view() fyne.CanvasObject { return p.body }

func (p *questionnairesPage) changed(c []records.Changed) {
	if records.Touches(c, domain.KindQuestionnaire, domain.KindResponse) {
		p.load()
	}
}

// questTitle is a questionnaire's title in the interface's language.
func (u *UI) questTitle(q *domain.Questionnaire) string {
	t := xlsform.Text{}
	for l, s := range q.Title {
		t[l] = s
	}
	if s := t.In(u.tr.Lang); s != "" {
		return s
	}
	return q.FormID
}

func (p *questionnairesPage) load() {
	all, err := p.u.sess.Records().Questionnaires(context.Background())
	if err != nil {
		p.body.Objects = []fyne.CanvasObject{wrapped(p.u.problem(err))}
		p.body.Refresh()
		return
	}
	seen := map[string]bool{}
	var cur string
	if p.sel < len(p.forms) {
		cur = p.forms[p.sel].FormID
	}
	if p.show != "" {
		cur, p.show = p.show, ""
	}
	p.forms, p.sel = nil, 0
	for _, q := range all {
		if !seen[q.FormID] {
			seen[q.FormID] = true
			if q.FormID == cur {
				p.sel = len(p.forms)
			}
			p.forms = append(p.forms, q)
		}
	}
	p.draw()
}

func (p *questionnairesPage) draw() {
	u := p.u
	p.buttons = map[string]*widget.Button{}
	top := container.NewVBox(wrapped(u.T("quest.text")))
	if u.sess.Role() == domain.RoleCentral {
		pub := u.primary(u.T("quest.publish"), theme.UploadIcon(), func() { u.pickFile(p.publishFile, ".xlsx") })
		p.buttons["publish"] = pub
		top.Add(container.NewHBox(pub))
	}
	if len(p.forms) == 0 {
		if u.sess.Role() == domain.RoleCentral {
			top.Add(muted(u.T("quest.none_central")))
		} else {
			top.Add(muted(u.T("quest.none")))
		}
		p.body.Objects = []fyne.CanvasObject{top}
		p.body.Refresh()
		return
	}
	var names []string
	for i := range p.forms {
		names = append(names, u.questTitle(&p.forms[i])+" · "+u.T("quest.version", "v", p.forms[i].Version))
	}
	pick := widget.NewSelect(names, nil)
	pick.SetSelectedIndex(p.sel)
	pick.OnChanged = func(string) {
		if i := pick.SelectedIndex(); i >= 0 && i != p.sel {
			p.sel = i
			p.draw()
		}
	}
	q := p.forms[p.sel]
	row := container.NewBorder(nil, nil, strong(u.T("quest.form")), nil, pick)
	top.Add(row)
	if u.records {
		add := u.primary(u.T("quest.new"), theme.ContentAddIcon(), func() { u.openResponse(q.FormID, "") })
		p.buttons["new"] = add
		top.Add(container.NewHBox(add))
	}
	list, err := u.sess.Records().Responses(context.Background(), q.FormID)
	items := container.NewVBox(bold(u.T("quest.responses", "n", u.tr.Int(len(list)))))
	if err != nil {
		items.Add(wrapped(u.problem(err)))
	}
	if len(list) == 0 {
		items.Add(muted(u.T("quest.no_responses")))
	}
	councils := councilNames(u)
	for i := range list {
		r := list[i]
		line := u.tr.DateInput(r.FilledOn) + " · " + nameOr(councils, r.Council) + " · " + u.T("quest.version", "v", r.Version) + " · " + u.T("quest.answered", "n", u.tr.Int(len(r.Answers)))
		b := u.button(line, theme.DocumentIcon(), func() { u.openResponse(r.FormID, r.ID) })
		b.Alignment = widget.ButtonAlignLeading
		b.Importance = widget.LowImportance
		p.buttons["response:"+r.ID] = b
		items.Add(b)
	}
	p.body.Objects = []fyne.CanvasObject{container.NewBorder(top, nil, nil, nil, container.NewVScroll(items))}
	p.body.Refresh()
}

// maxFormFile bounds the workbook read for publishing: an XLSForm of
// hundreds of questions is well under a megabyte; a larger file is most
// likely the wrong one, and is not read into memory whole.
const maxFormFile = 20 << 20

// publishFile reads the XLSForm workbook at path and checks it whole
// (shared/xlsform, as keneshctl form publish and every laptop and the
// server check it), asks before publishing, since a published version is
// never changed, and publishes it for every council: it reaches their
// laptops at the next sync. A workbook refused says why, with the sheet,
// row and column of each fault; nothing is published then.
func (p *questionnairesPage) publishFile(path string) {
	u := p.u
	name := filepath.Base(path)
	data, err := readUpTo(path, maxFormFile)
	if err != nil {
		u.showMessage(u.T("quest.publish_bad_title"), u.T("quest.publish_unreadable", "file", name)+"\n\n"+err.Error())
		return
	}
	f, err := xlsform.Read(data)
	if err != nil {
		u.showMessage(u.T("quest.publish_bad_title"), u.T("quest.publish_bad", "file", name)+"\n\n"+err.Error())
		return
	}
	title := f.Title.In(u.tr.Lang)
	if title == "" {
		title = f.ID
	}
	u.confirm(u.T("quest.publish"), u.T("quest.publish_confirm", "title", title, "version", f.Version, "file", name), u.T("quest.publish_ok"), func() {
		q, err := u.sess.Records().PublishQuestionnaire(context.Background(), f, name)
		if errors.Is(err, records.ErrPublished) {
			u.showMessage(u.T("quest.publish_bad_title"), u.T("quest.published_already", "title", title, "version", f.Version))
			return
		}
		if err != nil {
			u.showError(err)
			return
		}
		p.show = q.FormID
		p.load()
		u.showMessage(u.T("quest.published_title"), u.T("quest.published", "title", title, "version", q.Version))
	})
}

// readUpTo reads the file at path, refusing one larger than limit bytes.
func readUpTo(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("the file is larger than %d MB", limit>>20)
	}
	return data, nil
}

// openResponse shows the form of a new response to formID (id "") or of
// response id, in the version it was filled with.
func (u *UI) openResponse(formID, id string) {
	ctx := context.Background()
	svc := u.sess.Records()
	var resp *domain.Response
	version := ""
	if id != "" {
		var err error
		if resp, err = svc.Response(ctx, id); err != nil {
			u.showError(err)
			return
		}
		version = resp.Version
	}
	q, f, err := svc.Questionnaire(ctx, formID, version)
	if err != nil {
		u.showError(err)
		return
	}
	u.shell.push(newResponseForm(u, q, f, resp))
}

// responseForm is a questionnaire drawn as a form.
type responseForm struct {
	u    *UI
	q    *domain.Questionnaire
	f    *xlsform.Form
	id   string
	body fyne.CanvasObject
	// rows are each question's and group's part of the form, shown while
	// it is asked; inputs the questions' controls; errs their messages.
	rows    map[string]fyne.CanvasObject
	inputs  map[string]*questInput
	errs    map[string]*widget.Label
	problem *widget.Label
	save    *widget.Button
	busy    bool // while the form redraws itself, changes are not the person's
	edited  bool
}

// questInput is one question's control: get reads its answer (ok false
// when what is typed is not of the question's type), set shows one, offer
// the choices a select offers now.
type questInput struct {
	q     *xlsform.Question
	obj   fyne.CanvasObject
	get   func() (json.RawMessage, bool)
	offer func([]*xlsform.Choice)
}

func newResponseForm(u *UI, q *domain.Questionnaire, f *xlsform.Form, resp *domain.Response) *responseForm {
	rf := &responseForm{u: u, q: q, f: f, rows: map[string]fyne.CanvasObject{}, inputs: map[string]*questInput{}, errs: map[string]*widget.Label{}}
	var given map[string]json.RawMessage
	if resp != nil {
		rf.id, given = resp.ID, resp.AnswerMap()
	}
	rf.busy = true
	content := container.NewVBox()
	content.Add(muted(u.T("quest.version", "v", q.Version)))
	var add func(c *fyne.Container, qs []*xlsform.Question)
	add = func(c *fyne.Container, qs []*xlsform.Question) {
		for _, qq := range qs {
			if qq.Type == xlsform.TypeGroup {
				inner := container.NewVBox()
				if l := qq.Label.In(u.tr.Lang); l != "" {
					inner.Add(heading(l))
				}
				add(inner, qq.Children)
				row := container.NewVBox(widget.NewSeparator(), inner)
				rf.rows[qq.Name] = row
				c.Add(row)
				continue
			}
			c.Add(rf.question(qq, given[qq.Name]))
		}
	}
	add(content, f.Questions)
	rf.problem = wrapped("")
	rf.problem.Importance = widget.DangerImportance
	rf.problem.Hide()
	rf.save = u.primary(u.T("quest.save"), theme.DocumentSaveIcon(), rf.submit)
	content.Add(rf.problem)
	content.Add(container.NewHBox(rf.save))
	rf.body = container.NewVScroll(container.NewPadded(content))
	rf.busy = false
	rf.refresh()
	return rf
}

func (rf *responseForm) title() string {
	return rf.u.questTitle(rf.q)
}

func (rf *responseForm) view() fyne.CanvasObject   { return rf.body }
func (rf *responseForm) changed([]records.Changed) {}
func (rf *responseForm) dirty() bool               { return rf.edited }

// question makes one question's row: its label (with a mark when it must
// be answered), its hint, its control and the place for its message.
func (rf *responseForm) question(q *xlsform.Question, given json.RawMessage) fyne.CanvasObject {
	u := rf.u
	label := q.Label.In(u.tr.Lang)
	if q.Type == xlsform.TypeNote {
		row := wrapped(label)
		rf.rows[q.Name] = row
		return row
	}
	if q.Required != "" {
		label += " *" // required, or required when its expression holds
	}
	head := bold(label)
	head.Wrapping = fyne.TextWrapWord
	box := container.NewVBox(head)
	if h := q.Hint.In(u.tr.Lang); h != "" {
		box.Add(hint(h))
	}
	in := rf.control(q, given)
	rf.inputs[q.Name] = in
	box.Add(in.obj)
	e := wrapped("")
	e.Importance = widget.DangerImportance
	e.Hide()
	rf.errs[q.Name] = e
	box.Add(e)
	rf.rows[q.Name] = box
	return box
}

func (rf *responseForm) onChange() {
	if rf.busy {
		return
	}
	rf.edited = true
	rf.refresh()
}

func (rf *responseForm) control(q *xlsform.Question, given json.RawMessage) *questInput {
	u := rf.u
	in := &questInput{q: q}
	str := func(s string) (json.RawMessage, bool) {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, true
		}
		b, _ := json.Marshal(s)
		return b, true
	}
	switch q.Type {
	case xlsform.TypeText, xlsform.TypeInteger, xlsform.TypeDecimal, xlsform.TypeDate:
		e := u.newEntry()
		if q.Type == xlsform.TypeText && strings.Contains(q.Appearance, "multiline") {
			e.MultiLine, e.Wrapping = true, fyne.TextWrapWord
		}
		if q.Type == xlsform.TypeDate {
			e.SetPlaceHolder(u.T("form.date_placeholder"))
		}
		if len(given) > 0 {
			switch q.Type {
			case xlsform.TypeText:
				var s string
				json.Unmarshal(given, &s)
				e.SetText(s)
			case xlsform.TypeDate:
				var s string
				json.Unmarshal(given, &s)
				if d, err := caldate.Parse(s); err == nil {
					e.SetText(u.tr.DateInput(d))
				}
			default:
				e.SetText(string(given))
			}
		}
		e.OnChanged = func(string) { rf.onChange() }
		u.name(e, "quest."+q.Name)
		in.obj = e
		in.get = func() (json.RawMessage, bool) {
			s := strings.TrimSpace(e.Text)
			if s == "" {
				return nil, true
			}
			switch q.Type {
			case xlsform.TypeInteger:
				n, err := strconv.ParseInt(strings.ReplaceAll(s, " ", ""), 10, 64)
				if err != nil {
					return nil, false
				}
				return json.RawMessage(strconv.FormatInt(n, 10)), true
			case xlsform.TypeDecimal:
				x, err := strconv.ParseFloat(strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), ",", "."), 64)
				if err != nil {
					return nil, false
				}
				return json.RawMessage(strconv.FormatFloat(x, 'f', -1, 64)), true
			case xlsform.TypeDate:
				d, err := u.tr.ParseDate(s)
				if err != nil {
					return nil, false
				}
				return str(d.String())
			}
			return str(e.Text)
		}
	case xlsform.TypeSelectOne:
		var names []string
		g := widget.NewRadioGroup(nil, func(string) { rf.onChange() })
		in.offer = func(cs []*xlsform.Choice) {
			cur := g.Selected
			labels, keep := choiceLabels(u, cs, &names, cur)
			g.Options = labels
			if !keep {
				g.Selected = ""
			}
			g.Refresh()
		}
		in.offer(rf.f.Choices[q.List])
		if len(given) > 0 {
			var s string
			json.Unmarshal(given, &s)
			if c := rf.f.Choice(q.List, s); c != nil {
				g.SetSelected(choiceLabel(u, c))
			}
		}
		in.obj = g
		in.get = func() (json.RawMessage, bool) {
			for i, l := range g.Options {
				if l == g.Selected && i < len(names) {
					return str(names[i])
				}
			}
			return nil, true
		}
	case xlsform.TypeSelectMultiple:
		var names []string
		g := widget.NewCheckGroup(nil, func([]string) { rf.onChange() })
		in.offer = func(cs []*xlsform.Choice) {
			labels, _ := choiceLabels(u, cs, &names, "")
			var kept []string
			for _, s := range g.Selected {
				for _, l := range labels {
					if l == s {
						kept = append(kept, s)
					}
				}
			}
			g.Options, g.Selected = labels, kept
			g.Refresh()
		}
		in.offer(rf.f.Choices[q.List])
		if len(given) > 0 {
			var chosen []string
			json.Unmarshal(given, &chosen)
			var sel []string
			for _, s := range chosen {
				if c := rf.f.Choice(q.List, s); c != nil {
					sel = append(sel, choiceLabel(u, c))
				}
			}
			g.SetSelected(sel)
		}
		in.obj = g
		in.get = func() (json.RawMessage, bool) {
			var out []string
			for i, l := range g.Options {
				for _, s := range g.Selected {
					if s == l && i < len(names) {
						out = append(out, names[i])
					}
				}
			}
			if len(out) == 0 {
				return nil, true
			}
			b, _ := json.Marshal(out)
			return b, true
		}
	}
	return in
}

func choiceLabel(u *UI, c *xlsform.Choice) string {
	if l := c.Label.In(u.tr.Lang); l != "" {
		return l
	}
	return c.Name
}

// choiceLabels are the labels of cs, with their names in *names; keep
// says whether cur is among them.
func choiceLabels(u *UI, cs []*xlsform.Choice, names *[]string, cur string) ([]string, bool) {
	*names = (*names)[:0]
	var labels []string
	keep := false
	for _, c := range cs {
		l := choiceLabel(u, c)
		labels = append(labels, l)
		*names = append(*names, c.Name)
		keep = keep || l == cur
	}
	return labels, keep
}

// answers reads every control; bad names those whose text is not of
// their question's type.
func (rf *responseForm) answers() (xlsform.Answers, []string) {
	a := xlsform.Answers{}
	var bad []string
	for _, q := range rf.f.Fields() {
		in := rf.inputs[q.Name]
		if in == nil {
			continue
		}
		v, ok := in.get()
		if !ok {
			bad = append(bad, q.Name)
			continue
		}
		if v != nil {
			a[q.Name] = v
		}
	}
	return a, bad
}

// refresh shows the questions asked with the answers given so far and
// offers each select the choices its filter leaves.
func (rf *responseForm) refresh() {
	rf.busy = true
	defer func() { rf.busy = false }()
	a, _ := rf.answers()
	st := rf.f.Evaluate(a, rf.u.sess.Records().Today())
	moved := false
	for _, q := range rf.f.All() {
		row := rf.rows[q.Name]
		if row == nil {
			continue
		}
		if show := st.Relevant(q.Name); show != row.Visible() {
			moved = true
			if show {
				row.Show()
			} else {
				row.Hide()
			}
		}
		if in := rf.inputs[q.Name]; in != nil && in.offer != nil && q.ChoiceFilter != "" {
			in.offer(st.Offered(q))
			moved = true // the choices offered may be more or fewer
		}
	}
	if moved && rf.body != nil {
		// A question shown or hidden changes the form's height: the
		// scroll is told, so that the wheel reaches the new end.
		rf.body.Refresh()
	}
}

// submit checks and saves the response; each question at fault shows why
// under it, in the interface's language (the form's own message first).
func (rf *responseForm) submit() {
	u := rf.u
	for _, e := range rf.errs {
		e.Hide()
	}
	rf.problem.Hide()
	a, bad := rf.answers()
	for _, name := range bad {
		key := "err.format.number"
		if q := rf.f.Question(name); q != nil && q.Type == xlsform.TypeDate {
			key = "err.format.date"
		}
		rf.showErr(name, u.T(key))
	}
	if len(bad) > 0 {
		rf.problem.SetText(u.T("quest.fix"))
		rf.problem.Show()
		rf.revealFirstError()
		return
	}
	today := u.sess.Records().Today()
	a = rf.f.Prune(a, today)
	r := domain.Response{ID: rf.id, FormID: rf.q.FormID, Version: rf.q.Version}
	for _, q := range rf.f.Fields() {
		if v, ok := a[q.Name]; ok {
			r.Answers = append(r.Answers, domain.Answer{ID: q.Name, Value: v})
		}
	}
	saved, err := u.sess.Records().SaveResponse(context.Background(), r)
	if err != nil {
		var ve *domain.ValidationError
		if errors.As(err, &ve) {
			shown := false
			for _, fe := range ve.Fields {
				if rf.errs[fe.Field] != nil {
					rf.showErr(fe.Field, rf.message(fe))
					shown = true
				}
			}
			if shown {
				rf.problem.SetText(u.T("quest.fix"))
				rf.problem.Show()
				rf.revealFirstError()
				return
			}
		}
		rf.problem.SetText(u.problem(err))
		rf.problem.Show()
		return
	}
	rf.id, rf.edited = saved.ID, false
	u.shell.popNow()
	u.shell.top().changed([]records.Changed{{Kind: domain.KindResponse, ID: saved.ID}})
}

// revealFirstError scrolls the form to the first question at fault: the
// Save button is at the end of a long form, and a fault at its top would
// otherwise stay out of sight with only "fix the marked questions" shown.
func (rf *responseForm) revealFirstError() {
	scroll, ok := rf.body.(*container.Scroll)
	if !ok {
		return
	}
	for _, q := range rf.f.All() {
		e, row := rf.errs[q.Name], rf.rows[q.Name]
		if e == nil || row == nil || !e.Visible() || !row.Visible() {
			continue
		}
		drv := fyne.CurrentApp().Driver()
		y := drv.AbsolutePositionForObject(row).Y - drv.AbsolutePositionForObject(scroll.Content).Y
		scroll.ScrollToOffset(fyne.NewPos(0, max(0, y-theme.Padding())))
		return
	}
}

func (rf *responseForm) showErr(name, msg string) {
	if e := rf.errs[name]; e != nil {
		e.SetText(msg)
		e.Show()
	}
}

// message is a question's fault in words: the form's own message for a
// broken constraint or a missing answer, in the interface's language,
// else the app's.
func (rf *responseForm) message(fe domain.FieldError) string {
	if q := rf.f.Question(fe.Field); q != nil {
		var t xlsform.Text
		switch fe.Code {
		case domain.CodeRange:
			t = q.ConstraintMessage
		case domain.CodeRequired:
			t = q.RequiredMessage
		}
		if s := t.In(rf.u.tr.Lang); s != "" {
			return s
		}
	}
	return rf.u.T("err." + fe.Code)
}
