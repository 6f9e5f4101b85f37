package export

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/reports"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/policy"
)

// Options say what to export.
type Options struct {
	// Format is one of domain.ExportFormats.
	Format string
	// Kinds are the record kinds to export (default: every kind of
	// Kinds). A PDF report counts every kind whatever this says.
	Kinds []string
	// Filter selects the records (by period, council, oblast) and, with
	// AsOf, exports them as they stood at the end of that day (see package
	// reports). Its By is ignored.
	Filter reports.Filter
	// Personal exports what an anonymised export leaves out
	// (domain.Anonymised): only for roles that may read it
	// (policy.MayExportPersonal).
	Personal bool
	// Language of the heads, names and words (default Kyrgyz).
	Language string
	// Progress, when set, is called as records are written: done of
	// total (total is 0 while unknown: an export as of a past day learns
	// it at the end).
	Progress func(done, total int)
}

// ErrPersonalNotAllowed: this laptop's role may not export personal data.
var ErrPersonalNotAllowed = errors.New("this laptop's role may not export personal data: export anonymised (without --with-personal-data)")

// OptionsError is an export asked for in a way that cannot be done (an
// unknown format or kind); the person asking must change it.
type OptionsError struct{ Msg string }

func (e *OptionsError) Error() string { return "export: " + e.Msg }

// Result says what an export wrote.
type Result struct {
	// Records counts the records written, of every kind; ByKind per kind.
	Records int
	ByKind  map[string]int
	// Report is the report the export holds (XLSX's summary, the PDF).
	Report *reports.Report
	// Point is the point of the log the export was made from: the
	// server cursor and the newest clock among the records written (or,
	// with a report, the report's).
	Point domain.LogPoint
}

// FileExt is the extension, without its dot, of the file o makes: its
// format's, and zip for CSV of several kinds (a CSV file each in a zip).
func (o Options) FileExt() string {
	if o.Format == domain.FormatCSV && o.tables() > 1 {
		return "zip"
	}
	return o.Format
}

// tables counts the tables (sheets, CSV files) of the kinds o asks for.
func (o Options) tables() int {
	kinds := o.Kinds
	if len(kinds) == 0 {
		for _, k := range Kinds { // every kind
			kinds = append(kinds, k.Name)
		}
	}
	return Tables(kinds)
}

// checkName refuses a file name whose extension says a format other than
// the one written (a zip named .csv opens in a spreadsheet as gibberish);
// a name with another extension, or none, is the writer's own choice.
func checkName(path string, o Options) error {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	want := o.FileExt()
	if ext == want || !slices.Contains(append(slices.Clone(domain.ExportFormats), "zip", "xls"), ext) {
		return nil
	}
	if want == "zip" {
		return &OptionsError{fmt.Sprintf("%s: CSV of several kinds, or of grants (with their milestones and disbursements), is a zip of one CSV file for each table: name the file .zip, or export one kind (appeal or event) to a .csv file", filepath.Base(path))}
	}
	return &OptionsError{fmt.Sprintf("%s: this export is %s: name the file .%s", filepath.Base(path), strings.ToUpper(o.Format), want)}
}

// check fills o's defaults and refuses what cannot be done.
func (o *Options) check(ctx context.Context, svc *records.Service) error {
	if !slices.Contains(domain.ExportFormats, o.Format) {
		return &OptionsError{fmt.Sprintf("format %q: use one of %v", o.Format, domain.ExportFormats)}
	}
	if len(o.Kinds) == 0 || o.Format == domain.FormatPDF {
		o.Kinds = nil
		for _, k := range Kinds {
			o.Kinds = append(o.Kinds, k.Name)
		}
	}
	for _, k := range o.Kinds {
		if _, ok := KindOf(k); !ok {
			var names []string
			for _, k := range Kinds {
				names = append(names, k.Name)
			}
			if k == domain.KindResponse {
				return &OptionsError{"responses are exported a questionnaire at a time, a column per question: keneshctl response export FORM-ID"}
			}
			return &OptionsError{fmt.Sprintf("kind %q: use one of %v", k, names)}
		}
	}
	if o.Language == "" {
		o.Language = l10n.Default
	}
	if !l10n.Valid(o.Language) {
		return &OptionsError{fmt.Sprintf("language %q: use ky, ru or en", o.Language)}
	}
	if err := reports.CheckFilter(ctx, svc, o.Filter); err != nil {
		return err
	}
	if o.Personal {
		if o.Format == domain.FormatPDF {
			return &OptionsError{"a PDF report holds figures, never personal data"}
		}
		if dev, enrolled := svc.Reader(); enrolled && !policy.MayExportPersonal(dev) {
			return ErrPersonalNotAllowed
		}
	}
	return nil
}

// Write writes the export o asks for to w. It records nothing: ToFile
// writes a file and records it.
func Write(ctx context.Context, svc *records.Service, w io.Writer, o Options) (*Result, error) {
	if err := o.check(ctx, svc); err != nil {
		return nil, err
	}
	councils, err := svc.Councils(ctx)
	if err != nil {
		return nil, err
	}
	words, err := reports.NewWords(o.Language, svc.Catalog(), councils)
	if err != nil {
		return nil, err
	}
	res := &Result{ByKind: map[string]int{}}
	if o.Format == domain.FormatPDF {
		return res, writePDF(ctx, svc, w, o, words, res)
	}
	var out sink
	switch o.Format {
	case domain.FormatXLSX:
		out = newXLSX(w, words)
	case domain.FormatCSV:
		out = newCSV(w, words, o.tables() > 1)
	case domain.FormatJSON:
		j := newJSON(w, len(o.Kinds) > 1)
		j.personal = o.Personal
		out = j
	}
	if o.Format == domain.FormatXLSX {
		var groups []*reports.Section
		if res.Report, groups, err = figures(ctx, svc, o.Filter, words, reports.ByOblast, reports.ByCouncil, reports.ByMonth); err != nil {
			return nil, err
		}
		if err := out.summary(res.Report, groups); err != nil {
			return nil, err
		}
	}
	if err := stream(ctx, svc, out, o, res); err != nil {
		return nil, err
	}
	if err := out.close(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if res.Report != nil {
		res.Point = res.Report.Point
	}
	return res, nil
}

// sink is a format: a summary of figures (XLSX), then each kind's records.
type sink interface {
	// summary writes the report's figures and, side by side, the tables
	// of its groups.
	summary(r *reports.Report, groups []*reports.Section) error
	begin(k *Kind, cols []Column) error
	// record writes one record: rec as the record type encodes it (what
	// keneshctl show prints), m as an object, anonymised unless the
	// export is personal.
	record(rec any, m map[string]any) error
	end() error
	close() error
}

// stream writes every kind's records, one at a time.
func stream(ctx context.Context, svc *records.Service, out sink, o Options, res *Result) error {
	dev, enrolled := svc.Reader()
	visible := func(kind, council string) bool { return !enrolled || policy.MayRead(dev, kind, council) }
	f := o.Filter
	total := 0
	if f.AsOf.IsZero() {
		for _, kind := range o.Kinds {
			err := svc.ScanFacts(filterOf(kind, f, visible), func(*records.FactRow) { total++ })
			if err != nil {
				return err
			}
		}
	}
	sync, err := svc.SyncState(ctx)
	if err != nil {
		return err
	}
	res.Point.Cursor = sync.Cursor
	var newest hlc.Timestamp
	done := 0
	for _, kind := range o.Kinds {
		k, _ := KindOf(kind)
		cols := k.ColumnsOf(svc.Catalog(), o.Personal)
		if err := out.begin(k, cols); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		rf := filterOf(kind, f, visible)
		rf.Where = func(r *records.FactRow) bool {
			newest = max(newest, r.Updated)
			return visible(kind, r.Council)
		}
		eachRec := func(fn func(rec any, m map[string]any) error) error {
			each := func(rec any) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				m, err := recordMap(kind, rec, o.Personal, domain.Anonymise)
				if err != nil {
					return err
				}
				return fn(rec, m)
			}
			var err error
			if f.AsOf.IsZero() {
				_, err = svc.EachRecord(ctx, rf, each)
			} else {
				_, _, err = svc.EachRecordAsOf(ctx, rf, reports.CutoffClock(f.AsOf), each)
			}
			return err
		}
		err := eachRec(func(rec any, m map[string]any) error {
			if err := out.record(rec, m); err != nil {
				return fmt.Errorf("export: %w", err)
			}
			done++
			res.ByKind[kind]++
			if o.Progress != nil && (done%500 == 0 || done == total) {
				o.Progress(done, total)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := out.end(); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if o.Format == domain.FormatJSON {
			continue // its records hold their items
		}
		// Each list's table: the records read again, rather than their
		// items kept meanwhile (a grant's are few, but nothing bounds
		// how many grants there are).
		for _, it := range k.Items {
			if err := out.begin(&Kind{Name: k.Name, Sheet: it.Sheet, File: it.File}, allowed(kind, it.Columns, o.Personal)); err != nil {
				return fmt.Errorf("export: %w", err)
			}
			err := eachRec(func(_ any, m map[string]any) error {
				return it.rows(m, func(row map[string]any) error {
					if err := out.record(nil, row); err != nil {
						return fmt.Errorf("export: %w", err)
					}
					return nil
				})
			})
			if err != nil {
				return err
			}
			if err := out.end(); err != nil {
				return fmt.Errorf("export: %w", err)
			}
		}
	}
	res.Records = done
	if o.Progress != nil {
		o.Progress(done, done)
	}
	res.Point.Clock = uint64(newest)
	if newest != 0 {
		res.Point.ClockAt = newest.Time()
	}
	return nil
}

// figures makes the report of f and the tables of its figures side by
// side by each of bys.
func figures(ctx context.Context, svc *records.Service, f reports.Filter, w reports.Words, bys ...string) (*reports.Report, []*reports.Section, error) {
	f.By = ""
	r, err := reports.Make(ctx, svc, f)
	if err != nil {
		return nil, nil, err
	}
	var groups []*reports.Section
	for _, by := range bys {
		f.By = by
		g, err := reports.Make(ctx, svc, f)
		if err != nil {
			return nil, nil, err
		}
		groups = append(groups, g.GroupTable(w))
	}
	return r, groups, nil
}

// programmeName is the programme's name in lang ("" if it cannot be read).
func programmeName(lang string) string {
	p, err := reports.DefaultProgramme()
	if err != nil {
		return ""
	}
	return p.Name.In(lang)
}

func filterOf(kind string, f reports.Filter, visible func(kind, council string) bool) records.Filter {
	return records.Filter{Kind: kind, Council: f.Council, Oblast: f.Oblast, From: f.From, To: f.To,
		Where: func(r *records.FactRow) bool { return visible(kind, r.Council) }}
}

// ToFile writes the export to a new file at path (never over an existing
// one, readable only by its owner: it may hold personal data) and records
// it in the store's history (domain.Export), which syncs to the centre.
// An export that fails, or that cannot be recorded, leaves no file.
func ToFile(ctx context.Context, svc *records.Service, path string, o Options) (*Result, *domain.Export, error) {
	if err := o.check(ctx, svc); err != nil {
		return nil, nil, err
	}
	if err := checkName(path, o); err != nil {
		return nil, nil, err
	}
	res, err := toNewFile(path, func(w io.Writer) (*Result, error) { return Write(ctx, svc, w, o) })
	if err != nil {
		return nil, nil, err
	}
	x, err := Record(ctx, svc, o, res, filepath.Base(path))
	if err != nil {
		os.Remove(path)
		return nil, nil, fmt.Errorf("the export could not be recorded in the history, so it was not kept: %w", err)
	}
	return res, x, nil
}

// toNewFile runs write into a new file at path, never over an existing
// one, readable only by its owner (it may hold personal data): it writes a
// hidden temporary file beside it, syncs it and links it to path, so a
// failed or interrupted export leaves nothing under path, and one that
// meets a file made meanwhile refuses rather than replacing it.
func toNewFile(path string, write func(io.Writer) (*Result, error)) (*Result, error) {
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("%s already exists: choose another file name (nothing is overwritten)", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.part")
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	fail := func(err error) (*Result, error) {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	if err := tmp.Chmod(0o600); err != nil {
		return fail(fmt.Errorf("export: %w", err))
	}
	bw := bufio.NewWriterSize(tmp, 256<<10)
	res, err := write(bw)
	if err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(fmt.Errorf("writing %s: %w", path, err))
	}
	if err := tmp.Sync(); err != nil {
		return fail(fmt.Errorf("writing %s: %w", path, err))
	}
	if err := tmp.Close(); err != nil {
		return fail(fmt.Errorf("writing %s: %w", path, err))
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("%s already exists: choose another file name (nothing is overwritten)", path)
		}
		return nil, fmt.Errorf("export: %w", err)
	}
	os.Remove(tmp.Name())
	return res, nil
}

// Record saves the record of an export in the store's history.
func Record(ctx context.Context, svc *records.Service, o Options, res *Result, file string) (*domain.Export, error) {
	x := domain.Export{Format: o.Format, Kinds: o.Kinds, Records: res.Records, PersonalData: o.Personal,
		Language: o.Language, File: file,
		Filter: domain.ExportFilter{From: o.Filter.From, To: o.Filter.To, Council: o.Filter.Council, Oblast: o.Filter.Oblast, District: o.Filter.District, AsOf: o.Filter.AsOf}}
	p := res.Point
	x.LogPoint = &p
	if res.Report != nil {
		x.Digest = res.Report.Digest
	}
	var out *domain.Export
	err := svc.Update(ctx, func(tx *records.Tx) error {
		var err error
		out, err = tx.RecordExport(x)
		return err
	})
	return out, err
}
