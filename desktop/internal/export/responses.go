package export

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/policy"
	"github.com/kenesh/kenesh/shared/xlsform"
)

// Responses to a questionnaire, as Kobo users expect them: one row per
// response, one column per question (named as in the survey sheet), a
// select_multiple answer as its choices' names separated by spaces and,
// after it, a column per choice holding 1 or 0; then the response's own
// columns (_id, _council, _filled_on, _version, _submitted_by,
// _submission_time). With Labels, heads and choices are written in
// words, in Language.

// ResponsesOptions say which responses to export and how.
type ResponsesOptions struct {
	FormID string
	// Version, when set, exports only the responses to that version.
	Version string
	// Format is xlsx or csv.
	Format string
	// Language of the labels (default Kyrgyz); Labels writes heads and
	// choices as labels rather than names.
	Language string
	Labels   bool
}

// respCol is one column of a responses export.
type respCol struct {
	head   string
	q      *xlsform.Question // nil: a response's own column
	choice string            // a select_multiple's choice: 1 or 0
	own    func(r *domain.Response) string
}

// WriteResponses writes the export to w.
func WriteResponses(ctx context.Context, svc *records.Service, w io.Writer, o ResponsesOptions) (*Result, error) {
	if err := o.check(svc); err != nil {
		return nil, err
	}
	list, err := svc.Responses(ctx, o.FormID)
	if err != nil {
		return nil, err
	}
	if o.Version != "" {
		list = slices.DeleteFunc(list, func(r domain.Response) bool { return r.Version != o.Version })
	}
	// Columns: the newest version's questions in its order, then those
	// of older versions it no longer has.
	qs, err := svc.Questionnaires(ctx)
	if err != nil {
		return nil, err
	}
	forms := map[string]*xlsform.Form{}
	var cols []respCol
	seen := map[string]bool{}
	for _, q := range qs {
		if q.FormID != o.FormID || (o.Version != "" && q.Version != o.Version) {
			continue
		}
		_, f, err := svc.Questionnaire(ctx, q.FormID, q.Version)
		if err != nil {
			return nil, err
		}
		forms[q.Version] = f
		for _, fq := range f.Fields() {
			if seen[fq.Name] {
				continue
			}
			seen[fq.Name] = true
			cols = append(cols, respCol{head: o.head(fq.Name, fq.Label), q: fq})
			if fq.Type == xlsform.TypeSelectMultiple {
				for _, c := range f.Choices[fq.List] {
					cols = append(cols, respCol{head: fq.Name + "/" + c.Name, q: fq, choice: c.Name})
				}
			}
		}
	}
	if len(forms) == 0 {
		return nil, fmt.Errorf("questionnaire %s: %w", o.FormID, domain.ErrNotFound)
	}
	for _, c := range []struct {
		head string
		f    func(r *domain.Response) string
	}{
		{"_id", func(r *domain.Response) string { return r.ID }},
		{"_council", func(r *domain.Response) string { return r.Council }},
		{"_filled_on", func(r *domain.Response) string { return r.FilledOn.String() }},
		{"_version", func(r *domain.Response) string { return r.Version }},
		{"_submitted_by", func(r *domain.Response) string {
			if r.Meta != nil {
				return r.Meta.CreatedBy
			}
			return ""
		}},
		{"_submission_time", func(r *domain.Response) string {
			if r.Meta != nil {
				return r.Meta.CreatedAt.In(records.Bishkek).Format("2006-01-02T15:04:05-07:00")
			}
			return ""
		}},
	} {
		cols = append(cols, respCol{head: c.head, own: c.f})
	}
	out, err := newRespSink(w, o.Format, o.FormID)
	if err != nil {
		return nil, err
	}
	heads := make([]any, len(cols))
	for i, c := range cols {
		heads[i] = c.head
	}
	if err := out.row(heads); err != nil {
		return nil, err
	}
	res := &Result{ByKind: map[string]int{}}
	for i := range list {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r := &list[i]
		f := forms[r.Version]
		answers := r.AnswerMap()
		cells := make([]any, len(cols))
		for j, c := range cols {
			switch {
			case c.own != nil:
				cells[j] = c.own(r)
			case c.choice != "":
				cells[j] = ""
				if raw, ok := answers[c.q.Name]; ok {
					var names []string
					json.Unmarshal(raw, &names)
					cells[j] = 0
					if slices.Contains(names, c.choice) {
						cells[j] = 1
					}
				}
			default:
				cells[j] = o.cell(f, c.q, answers[c.q.Name])
			}
		}
		if err := out.row(cells); err != nil {
			return nil, err
		}
		res.Records++
		res.ByKind[domain.KindResponse]++
	}
	if err := out.close(); err != nil {
		return nil, err
	}
	return res, nil
}

func (o *ResponsesOptions) check(svc *records.Service) error {
	if o.Format != domain.FormatXLSX && o.Format != domain.FormatCSV {
		return &OptionsError{fmt.Sprintf("format %q: responses are exported as xlsx or csv", o.Format)}
	}
	if o.Language == "" {
		o.Language = l10n.Default
	}
	if !l10n.Valid(o.Language) {
		return &OptionsError{fmt.Sprintf("language %q: use ky, ru or en", o.Language)}
	}
	// Answers may name people (a respondent's name, a phone): whoever may
	// export personal data exports them, and the export says it did.
	if dev, enrolled := svc.Reader(); enrolled && !policy.MayExportPersonal(dev) {
		return ErrPersonalNotAllowed
	}
	return nil
}

func (o *ResponsesOptions) head(name string, label xlsform.Text) string {
	if o.Labels {
		if s := label.In(o.Language); s != "" {
			return s
		}
	}
	return name
}

// cell is an answer as a cell: a number as a number, a choice by its name
// (or label), a select_multiple's choices separated by spaces (or "; "
// between labels); a question this version lacks is empty.
func (o *ResponsesOptions) cell(f *xlsform.Form, q *xlsform.Question, raw json.RawMessage) any {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	label := func(name string) string {
		if o.Labels && f != nil {
			if c := f.Choice(q.List, name); c != nil {
				if s := c.Label.In(o.Language); s != "" {
					return s
				}
			}
		}
		return name
	}
	switch q.Type {
	case xlsform.TypeInteger, xlsform.TypeDecimal:
		if n, err := strconv.ParseFloat(string(raw), 64); err == nil {
			return n
		}
	case xlsform.TypeSelectMultiple:
		var names []string
		if json.Unmarshal(raw, &names) == nil {
			for i, n := range names {
				names[i] = label(n)
			}
			sep := " "
			if o.Labels {
				sep = "; "
			}
			return strings.Join(names, sep)
		}
	default:
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if q.Type == xlsform.TypeSelectOne {
				return label(s)
			}
			return s
		}
	}
	return string(raw)
}

// respSink writes rows to an XLSX sheet or a CSV file.
type respSink struct {
	w  io.Writer
	cw *csv.Writer
	f  *excelize.File
	sw *excelize.StreamWriter
	n  int
}

func newRespSink(w io.Writer, format, sheet string) (*respSink, error) {
	s := &respSink{w: w}
	if format == domain.FormatCSV {
		if _, err := io.WriteString(w, bom); err != nil {
			return nil, err
		}
		s.cw = csv.NewWriter(w)
		s.cw.UseCRLF = true
		return s, nil
	}
	s.f = excelize.NewFile()
	name := sheetName(s.f, sheet)
	if err := s.f.SetSheetName("Sheet1", name); err != nil {
		return nil, err
	}
	sw, err := s.f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	s.sw = sw
	return s, nil
}

func (s *respSink) row(cells []any) error {
	s.n++
	if s.cw != nil {
		rec := make([]string, len(cells))
		for i, c := range cells {
			switch v := c.(type) {
			case string:
				rec[i] = csvText(v)
			case float64:
				rec[i] = strconv.FormatFloat(v, 'f', -1, 64)
			default:
				rec[i] = fmt.Sprint(v)
			}
		}
		return s.cw.Write(rec)
	}
	cell, _ := excelize.CoordinatesToCellName(1, s.n)
	return s.sw.SetRow(cell, cells)
}

func (s *respSink) close() error {
	if s.cw != nil {
		s.cw.Flush()
		return s.cw.Error()
	}
	if err := s.sw.Flush(); err != nil {
		return err
	}
	if _, err := s.f.WriteTo(s.w); err != nil {
		return err
	}
	return s.f.Close()
}

// ResponsesToFile writes the export to a new file at path (never over an
// existing one, readable only by its owner) and records it in the
// history, as ToFile does.
func ResponsesToFile(ctx context.Context, svc *records.Service, path string, o ResponsesOptions) (*Result, *domain.Export, error) {
	if err := o.check(svc); err != nil {
		return nil, nil, err
	}
	res, err := toNewFile(path, func(w io.Writer) (*Result, error) { return WriteResponses(ctx, svc, w, o) })
	if err != nil {
		return nil, nil, err
	}
	x, err := Record(ctx, svc, Options{Format: o.Format, Kinds: []string{domain.KindResponse}, Personal: true, Language: o.Language}, res, filepath.Base(path))
	if err != nil {
		os.Remove(path)
		return nil, nil, fmt.Errorf("the export could not be recorded in the history, so it was not kept: %w", err)
	}
	return res, x, nil
}
