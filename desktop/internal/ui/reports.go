package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"gonum.org/v1/plot/vg"

	"github.com/kenesh/kenesh/desktop/internal/charts"
	"github.com/kenesh/kenesh/desktop/internal/export"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/reports"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/policy"
)

// reportsPage shows the figures of a report (package reports) for a
// period, oblast, district and council, side by side if asked, as of today or of a
// past day, with charts; a number opens the list of the records behind it,
// and the report or the records are saved as XLSX, CSV or PDF (package
// export), every export recorded in the history.
type reportsPage struct {
	u *UI

	preset   *controls.CodeSelect
	from, to *controls.Entry
	oblast   *controls.CodeSelect
	district *controls.CodeSelect // the chosen oblast's
	council  *controls.CodeSelect
	by       *controls.CodeSelect
	asOf     *controls.Entry
	problem  *widget.Label
	state    *widget.Label
	personal *widget.Check
	body     *fyne.Container
	box      fyne.CanvasObject

	gen    int // of the computation shown; a newer one replaces it
	report *reports.Report
	filter reports.Filter
	ready  bool // the controls are all made: their changes count
	// stale: records changed since the figures shown were counted;
	// changes counts the notifications, so that only the last one of a
	// burst counts again.
	stale   bool
	changes int
	// onShown, if set, is called when a report is on the page (the
	// screenshot tour waits for it).
	onShown func()
}

// Preset periods of a report.
var reportPresets = []string{"quarter", "last_quarter", "year", "last_year"}

// presetRange is the period a preset names, on day today.
func presetRange(p string, today caldate.Date) (from, to caldate.Date) {
	q := (int(today.Month())-1)/3*3 + 1 // the first month of this quarter
	start := caldate.New(today.Year(), time.Month(q), 1)
	switch p {
	case "quarter":
		return start, start.AddDays(100).AddDays(-start.AddDays(100).Day())
	case "last_quarter":
		prev := start.AddDays(-1)
		pq := (int(prev.Month())-1)/3*3 + 1
		return caldate.New(prev.Year(), time.Month(pq), 1), prev
	case "year":
		return caldate.New(today.Year(), 1, 1), caldate.New(today.Year(), 12, 31)
	case "last_year":
		return caldate.New(today.Year()-1, 1, 1), caldate.New(today.Year()-1, 12, 31)
	}
	return caldate.Date{}, caldate.Date{}
}

func newReportsPage(u *UI) *reportsPage {
	p := &reportsPage{u: u}
	changed := func(string) { p.load() }
	p.from, p.to, p.asOf = u.newEntry(), u.newEntry(), u.newEntry()
	names := make([]string, len(reportPresets))
	for i, c := range reportPresets {
		names[i] = u.T("report.preset." + c)
	}
	p.preset = u.newCodeSelect(reportPresets, names, u.T("report.period_all"), func(code string) {
		from, to := presetRange(code, u.sess.Records().Today())
		p.from.SetText(u.tr.DateInput(from))
		p.to.SetText(u.tr.DateInput(to))
		p.load()
	})
	p.preset.SetCode("quarter")
	from, to := presetRange("quarter", u.sess.Records().Today())
	p.from.SetText(u.tr.DateInput(from))
	p.to.SetText(u.tr.DateInput(to))
	p.asOf.SetPlaceHolder(u.T("report.today"))
	for _, e := range []*controls.Entry{p.from, p.to, p.asOf} {
		e.OnSubmitted = func(string) { p.load() }
	}
	rc, rn := u.regionChoices()
	p.oblast = u.newCodeSelect(rc, rn, u.T("list.any_oblast"), func(code string) {
		dc, dn := u.districtChoices(code)
		p.district.SetOptions(dc, dn, u.T("list.any_district")) // and none chosen
		p.fillCouncils()
		p.load()
	})
	p.district = u.newCodeSelect(nil, nil, u.T("list.any_district"), func(string) {
		p.fillCouncils()
		p.load()
	})
	p.council = u.newCodeSelect(nil, nil, u.T("list.any_council"), changed)
	p.fillCouncils()
	var byNames []string
	for _, b := range reports.Bys {
		byNames = append(byNames, u.T("report.by."+b))
	}
	p.by = u.newCodeSelect(reports.Bys, byNames, u.T("report.by_none"), changed)
	p.problem = errorText()
	p.state = hint("")
	p.personal = widget.NewCheck(u.T("report.with_personal"), nil)
	if dev, enrolled := u.sess.Records().Reader(); enrolled && !policy.MayExportPersonal(dev) {
		p.personal.Hide()
	}
	u.name(p.preset, "reports.preset")
	u.name(p.from, "reports.from")
	u.name(p.to, "reports.to")
	u.name(p.oblast, "reports.oblast")
	u.name(p.district, "reports.district")
	u.name(p.council, "reports.council")
	u.name(p.by, "reports.by")
	u.name(p.asOf, "reports.as_of")
	u.name(p.personal, "reports.personal")

	show := u.button(u.T("report.show"), theme.ViewRefreshIcon(), p.load)
	saveXLSX := u.button(u.T("report.save_xlsx"), theme.DocumentSaveIcon(), func() { p.save(domain.FormatXLSX) })
	savePDF := u.primary(u.T("report.save_pdf"), theme.DocumentSaveIcon(), func() { p.save(domain.FormatPDF) })
	saveCSV := u.button(u.T("report.save_csv"), theme.DocumentSaveIcon(), func() { p.save(domain.FormatCSV) })
	u.name(saveXLSX, "reports.save_xlsx")
	u.name(savePDF, "reports.save_pdf")
	u.name(saveCSV, "reports.save_csv")
	label := func(key string, o fyne.CanvasObject) fyne.CanvasObject {
		return container.NewBorder(nil, nil, widget.NewLabel(u.T(key)), nil, o)
	}
	filters := container.NewGridWithColumns(4,
		controls.Narrow(p.preset, 120), label("report.from", controls.Narrow(p.from, 90)), label("report.to", controls.Narrow(p.to, 90)),
		label("report.as_of", controls.Narrow(p.asOf, 90)),
		controls.Narrow(p.oblast, 120), controls.Narrow(p.district, 120), controls.Narrow(p.council, 120), controls.Narrow(p.by, 120))
	saves := container.NewHBox(saveXLSX, saveCSV, savePDF, p.personal)
	// Show beside what the figures are (the grid is full with the
	// district, and the save buttons' row is as wide as 1366 pixels at
	// 130% allow).
	top := container.NewVBox(filters, saves, container.NewBorder(nil, nil, show, nil, p.state), p.problem, widget.NewSeparator())
	p.body = container.NewVBox()
	p.box = container.NewBorder(top, nil, nil, nil, container.NewVScroll(p.body))
	p.ready = true
	p.load()
	return p
}

func (p *reportsPage) title() string { return p.u.T("nav.reports") }

// view shows the page, counting again first if records changed while it
// was not shown.
func (p *reportsPage) view() fyne.CanvasObject {
	if p.stale {
		p.stale = false
		p.load()
	}
	return p.box
}

// changed counts again after saves and pulls (today's figures only: a
// report as of a past day does not move): a few seconds after the last
// change while the page is shown (a sync pulling thousands of records
// notifies several times a second), when it is shown next otherwise.
func (p *reportsPage) changed([]records.Changed) {
	if !p.filter.AsOf.IsZero() {
		return
	}
	p.stale = true
	p.changes++
	n := p.changes
	time.AfterFunc(2*time.Second, func() {
		p.u.do(func() {
			if n != p.changes || !p.stale || p.u.shell == nil || p.u.shell.top() != page(p) {
				return
			}
			p.stale = false
			p.load()
		})
	})
}

// fillCouncils offers the councils of the chosen oblast and district that
// this laptop reports on (a secretary's: its own).
func (p *reportsPage) fillCouncils() {
	u := p.u
	cs, _ := u.sess.Records().Councils(context.Background())
	dev, enrolled := u.sess.Records().Reader()
	var codes, names []string
	for _, c := range cs {
		if enrolled && !policy.MayRead(dev, domain.KindAppeal, c.Code) {
			continue
		}
		if o, d := p.oblast.Code(), p.district.Code(); (o == "" || c.Oblast == o) && (d == "" || c.District == d) {
			codes = append(codes, c.Code)
			names = append(names, c.Name)
		}
	}
	p.council.SetOptions(codes, names, u.T("list.any_council"))
}

// readFilter reads the filter from the controls, or says what is wrong.
func (p *reportsPage) readFilter() (reports.Filter, error) {
	u := p.u
	var f reports.Filter
	var err error
	if f.From, err = u.tr.ParseDate(p.from.Text); err != nil {
		return f, fmt.Errorf("%s: %s", u.T("report.from"), u.T("report.bad_date"))
	}
	if f.To, err = u.tr.ParseDate(p.to.Text); err != nil {
		return f, fmt.Errorf("%s: %s", u.T("report.to"), u.T("report.bad_date"))
	}
	if f.AsOf, err = u.tr.ParseDate(p.asOf.Text); err != nil {
		return f, fmt.Errorf("%s: %s", u.T("report.as_of"), u.T("report.bad_date"))
	}
	f.Oblast, f.District, f.Council, f.By = p.oblast.Code(), p.district.Code(), p.council.Code(), p.by.Code()
	return f, nil
}

// result is a report computed away from the UI goroutine, with its charts.
type reportResult struct {
	r      *reports.Report
	charts []chartImage
	err    error
}

type chartImage struct {
	id  string
	png []byte
}

// load computes the report for the filter shown, in the background (a
// report as of a past day replays the log, which takes seconds), and shows
// it when done unless a newer one was asked for meanwhile.
func (p *reportsPage) load() {
	if !p.ready {
		return
	}
	u := p.u
	f, err := p.readFilter()
	if err != nil {
		setError(p.problem, err.Error())
		return
	}
	setError(p.problem, "")
	p.gen++
	gen := p.gen
	p.state.SetText(u.T("report.computing"))
	svc := u.sess.Records()
	words, werr := p.words()
	scale := u.win.Canvas().Scale()
	go func() {
		res := computeReport(svc, f, words, werr, scale)
		u.do(func() {
			if gen != p.gen {
				return
			}
			p.show(f, res)
		})
	}()
}

func (p *reportsPage) words() (reports.Words, error) {
	cs, err := p.u.sess.Records().Councils(context.Background())
	if err != nil {
		return reports.Words{}, err
	}
	return reports.NewWords(p.u.Lang(), p.u.catalog(), cs)
}

// chartSize is a chart's size on the page, in points.
const chartW, chartH = 390, 215

func computeReport(svc *records.Service, f reports.Filter, w reports.Words, werr error, scale float32) reportResult {
	if werr != nil {
		return reportResult{err: werr}
	}
	ctx := context.Background()
	r, err := reports.Make(ctx, svc, f)
	if err != nil {
		return reportResult{err: err}
	}
	res := reportResult{r: r}
	// The charts of the period: by oblast and by month need reports of
	// their own (from the index, a few milliseconds; as of a past day,
	// the log again).
	byOblast, byMonth := f, f
	byOblast.By, byMonth.By = reports.ByOblast, reports.ByMonth
	ro, err := reports.Make(ctx, svc, byOblast)
	if err != nil {
		return reportResult{err: err}
	}
	rm, err := reports.Make(ctx, svc, byMonth)
	if err != nil {
		return reportResult{err: err}
	}
	dpi := int(96 * max(1, scale))
	for _, c := range charts.ForReport(r, ro, rm, w) {
		b, err := c.PNG(chartW*vg.Points(1), chartH*vg.Points(1), dpi)
		if err != nil {
			return reportResult{err: err}
		}
		res.charts = append(res.charts, chartImage{id: c.ID, png: b})
	}
	return res
}

// show puts a computed report on the page.
func (p *reportsPage) show(f reports.Filter, res reportResult) {
	u := p.u
	if res.err != nil {
		p.state.SetText("")
		var fe *reports.FilterError
		if errors.As(res.err, &fe) {
			setError(p.problem, fe.Msg)
		} else {
			setError(p.problem, u.problem(res.err))
		}
		return
	}
	p.report, p.filter = res.r, f
	r := res.r
	words, err := p.words()
	if err != nil {
		u.showError(err)
		return
	}
	p.state.SetText(u.T("report.state", "day", r.Day, "digest", r.Digest[:12]))
	var objs []fyne.CanvasObject
	// What the figures were computed from, two to a line.
	head := r.Heading(words, "")
	var lines []fyne.CanvasObject
	for _, l := range head.Lines {
		lines = append(lines, wrapped(l.Label+": "+l.Value))
	}
	objs = append(objs, container.NewGridWithColumns(2, lines...))
	if r.Replay != nil {
		objs = append(objs, wrapped(u.T("report.as_of_note", "later", r.Replay.Later)))
	}
	// The figures: tables of one number three to a row, in the report's
	// order, then the tables of several columns across.
	var narrow, wide []fyne.CanvasObject
	for _, s := range r.Sections(words, "") {
		card := p.section(&s, r)
		if len(s.Columns) > 2 {
			wide = append(wide, card)
			continue
		}
		narrow = append(narrow, card)
	}
	objs = append(objs, container.NewGridWithColumns(3, narrow...))
	objs = append(objs, wide...)
	if g := r.GroupTable(words); g != nil {
		objs = append(objs, p.section(g, r))
	}
	// The charts, two a row.
	var imgs []fyne.CanvasObject
	for _, c := range res.charts {
		img := canvas.NewImageFromResource(fyne.NewStaticResource(c.id+".png", c.png))
		img.FillMode = canvas.ImageFillContain
		img.SetMinSize(fyne.NewSize(chartW, chartH)) // drawn larger, shown to fit
		u.name(img, "reports.chart."+c.id)
		imgs = append(imgs, img)
	}
	if len(imgs) > 0 {
		objs = append(objs, bold(u.T("report.charts")), container.NewGridWithColumns(2, imgs...))
	}
	p.body.Objects = objs
	p.body.Refresh()
	if p.onShown != nil {
		p.onShown()
	}
}

// section shows a table of figures: a line per row, a number per column,
// each number that has records behind it a link to their list.
func (p *reportsPage) section(s *reports.Section, r *reports.Report) fyne.CanvasObject {
	// Each column as wide as its head or its widest number (heads wrap
	// only at spaces).
	widths := []float32{0}
	for i, c := range s.Columns {
		w := float32(64)
		for _, word := range strings.Fields(c) {
			w = max(w, controls.TextWidth(fyne.TextStyle{Bold: true}, word))
		}
		for _, row := range s.Rows {
			if i < len(row.Cells) {
				w = max(w, controls.TextWidth(fyne.TextStyle{}, row.Cells[i].Text))
			}
		}
		widths = append(widths, w)
	}
	cols := controls.Columns{Widths: widths}
	rows := container.NewVBox(bold(s.Title))
	if len(s.Columns) > 1 {
		heads := []fyne.CanvasObject{widget.NewLabel("")}
		for _, c := range s.Columns {
			heads = append(heads, columnTitle(c))
		}
		rows.Add(container.New(cols, heads...))
	}
	for _, row := range s.Rows {
		label := wrapped(row.Label)
		if row.Total {
			label.TextStyle.Bold = true
		}
		objs := []fyne.CanvasObject{label}
		for i, c := range row.Cells {
			objs = append(objs, p.number(s, row, i, c, r))
		}
		rows.Add(container.New(cols, objs...))
	}
	return widget.NewCard("", "", rows)
}

// number is one number of a report: a link to the records behind it when
// a list can show them (today's figures), else a text.
func (p *reportsPage) number(s *reports.Section, row reports.Row, i int, c reports.Cell, r *reports.Report) fyne.CanvasObject {
	u := p.u
	if c.Sel.Measure == "" || !r.Filter.AsOf.IsZero() || !c.Valid || c.Value == 0 {
		l := widget.NewLabel(c.Text)
		l.Alignment = fyne.TextAlignTrailing
		if row.Total {
			l.TextStyle.Bold = true
		}
		return l
	}
	sel := c.Sel
	what := s.Title + ": " + row.Label
	if len(s.Columns) > 1 {
		what += " — " + s.Columns[i]
	}
	l := u.newLink(c.Text, func() { p.open(sel, what, c.Text) })
	l.Alignment = fyne.TextAlignTrailing
	name := "reports.n." + sel.Measure
	if sel.Group != "" {
		name += "." + sel.Group
	}
	if sel.Key != "" {
		name += "." + sel.Key
	}
	u.name(l, name)
	return l
}

// open lists the records behind a number.
func (p *reportsPage) open(sel reports.Selection, what, n string) {
	u := p.u
	f, err := sel.Records(p.report.Day.String())
	if err != nil {
		u.showError(err)
		return
	}
	spec := &appealListSpec
	if sel.Kind() == domain.KindEvent {
		spec = &eventListSpec
	}
	u.shell.push(newSelectionList(u, spec, f, what+" ("+n+")"))
}

// save asks where to, then exports the report (PDF), or the report and
// the records (XLSX, CSV), with the filter shown; personal data only after
// a confirmation.
func (p *reportsPage) save(format string) {
	u := p.u
	f, err := p.readFilter()
	if err != nil {
		setError(p.problem, err.Error())
		return
	}
	f.By = ""
	personal := p.personal.Checked && p.personal.Visible() && format != domain.FormatPDF
	o := export.Options{Format: format, Filter: f, Personal: personal, Language: u.Lang()}
	ext := o.FileExt() // CSV of both kinds: a CSV file each, in a zip
	name := "kenesh-" + u.tr.DateInput(u.sess.Records().Today()) + "." + ext
	run := func() {
		u.chooseSaveFile(name, ext, func(w fyne.URIWriteCloser) {
			if w == nil {
				return // cancelled
			}
			path := w.URI().Path()
			// The file dialog made the file (and asked before replacing
			// one); the export writes it anew, readable by its owner.
			w.Close()
			if w.URI().Scheme() != "file" {
				u.showMessage(u.T("dialog.error"), u.T("report.local_only"))
				return
			}
			os.Remove(path)
			p.export(path, o)
		})
	}
	if personal {
		u.confirm(u.T("report.personal_title"), u.T("report.personal_text"), u.T("report.personal_yes"), run)
		return
	}
	run()
}

// export writes the file in the background, with a progress bar.
func (p *reportsPage) export(path string, o export.Options) {
	u := p.u
	bar := widget.NewProgressBar()
	msg := widget.NewLabel(u.T("report.exporting"))
	d := dialog.NewCustomWithoutButtons(u.T("report.export_title"), container.NewVBox(msg, bar), u.win)
	d.Resize(fyne.NewSize(420, d.MinSize().Height))
	d.Show()
	o.Progress = func(done, total int) {
		u.do(func() {
			if total > 0 {
				bar.SetValue(float64(done) / float64(total))
			}
			msg.SetText(u.T("report.exported_n", "n", done))
		})
	}
	svc := u.sess.Records()
	go func() {
		res, x, err := export.ToFile(context.Background(), svc, path, o)
		u.do(func() {
			d.Hide()
			if err != nil {
				u.showError(err)
				return
			}
			text := u.T("report.saved", "file", path, "n", res.Records)
			if x.PersonalData {
				text += "\n" + u.T("report.saved_personal")
			}
			u.showMessage(u.T("report.export_title"), text)
		})
	}()
}

// selectionList lists the records behind a number of a report: the same
// lines as the kind's list, narrowed to exactly what the number counts.
type selectionList struct {
	rl      *recordList
	f       records.Filter
	caption string
	count   *widget.Label
	box     fyne.CanvasObject
}

func newSelectionList(u *UI, spec *listSpec, f records.Filter, title string) *selectionList {
	rl := &recordList{u: u, spec: spec, pg: &pager{u: u}}
	for _, c := range spec.columns {
		w := float32(0)
		if c.width != nil {
			w = c.width(u)
		}
		rl.cols.Widths = append(rl.cols.Widths, w)
	}
	p := &selectionList{rl: rl, f: f, caption: title, count: strong("")}
	rl.list = widget.NewList(func() int { return rl.pg.total }, func() fyne.CanvasObject {
		r := rl.newRow()
		u.probeRow(rl.list, r)
		return r
	}, rl.updateRow)
	u.name(rl.list, "reports.records")
	u.name(p.count, "reports.records.count")
	rl.list.OnSelected = func(id widget.ListItemID) {
		u.touch()
		if s, ok := rl.pg.at(id); ok {
			u.shell.push(spec.open(u, s.ID))
		}
		rl.list.UnselectAll()
	}
	var hdr []fyne.CanvasObject
	for _, c := range spec.columns {
		hdr = append(hdr, columnTitle(u.T(c.title)))
	}
	top := container.NewVBox(p.count, widget.NewSeparator(), container.New(rl.cols, hdr...))
	p.box = container.NewBorder(top, nil, nil, nil, rl.list)
	p.reload()
	return p
}

// title says which number the list shows.
func (p *selectionList) title() string { return p.caption }

func (p *selectionList) reload() {
	p.rl.pg.reset(p.f)
	p.count.SetText(p.rl.u.T(p.rl.spec.count, "n", p.rl.pg.total))
	p.rl.list.Refresh()
}

func (p *selectionList) view() fyne.CanvasObject   { return p.box }
func (p *selectionList) changed([]records.Changed) { p.reload() }
