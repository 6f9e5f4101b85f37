package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

// Options say what to import.
type Options struct {
	Kind    string
	Mapping *Mapping
	// DryRun reads and checks every row, as an import would, and saves
	// nothing.
	DryRun bool
	// Progress, when set, is called as rows are saved.
	Progress func(done, total int)
}

// Duplicate is a row already imported: from this file or another (the
// same values, in any format), or twice in this file.
type Duplicate struct {
	Row int `json:"row"`
	// Of is the record imported from the same values earlier, or "row N"
	// of this file.
	Of string `json:"of"`
}

// Result says what an import did, or with DryRun would do.
type Result struct {
	File     string `json:"file"`
	Kind     string `json:"kind"`
	Encoding string `json:"encoding"`
	Sheet    string `json:"sheet,omitempty"`
	DryRun   bool   `json:"dry_run"`
	// Rows counts the rows read (not the head, not blank ones).
	Rows int `json:"rows"`
	// Imported counts the records saved (with DryRun, those that would
	// be).
	Imported   int         `json:"imported"`
	Duplicates []Duplicate `json:"duplicates"`
	Refused    []Refusal   `json:"refused"`
	// Columns says which column holds which field; Ignored lists the
	// heads no field was found for.
	Columns map[string]string `json:"columns"`
	Ignored []string          `json:"ignored_columns"`
}

// batch is how many rows one transaction saves: a store transaction holds
// a few megabytes at most.
const batch = 200

var errDryRun = errors.New("dry run")

// Run imports a legacy spreadsheet (CSV or XLSX) of o.Kind into svc. All
// or nothing: every row is read and checked first, as a save would check
// it (the record's rules, this laptop's role), and if any is refused
// nothing is saved. The records are then saved as ordinary operations,
// each remembering the file, its row and the row's digest (domain.
// Imported), in transactions of 200 rows; a row whose values were
// imported before is skipped, so an import cut short (a full disk, a
// crash) is finished by running it again.
func Run(ctx context.Context, svc *records.Service, name string, data []byte, o Options) (*Result, error) {
	councils, err := svc.Councils(ctx)
	if err != nil {
		return nil, err
	}
	p, err := parse(name, data, o.Kind, o.Mapping, svc.Catalog(), councils)
	if err != nil {
		return nil, err
	}
	res := &Result{File: p.file, Kind: o.Kind, Encoding: p.encoding, Sheet: p.sheet, DryRun: o.DryRun,
		Rows: len(p.rows) + len(p.refused), Refused: p.refused, Columns: map[string]string{}, Ignored: p.ignored, Duplicates: []Duplicate{}}
	for path, head := range p.columns {
		res.Columns[head] = path
	}
	if res.Refused == nil {
		res.Refused = []Refusal{}
	}
	if res.Ignored == nil {
		res.Ignored = []string{}
	}
	// What was imported before, by digest.
	seen := map[string]string{}
	_, err = svc.EachRecord(ctx, records.Filter{Kind: o.Kind, Deleted: true}, func(rec any) error {
		if im := importedOf(rec); im != nil {
			seen[im.Digest] = recordRef(rec)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var todo []row
	for _, r := range p.rows {
		if of, dup := seen[r.digest]; dup {
			res.Duplicates = append(res.Duplicates, Duplicate{Row: r.no, Of: of})
			continue
		}
		seen[r.digest] = fmt.Sprintf("row %d", r.no)
		todo = append(todo, r)
	}
	// Check every row as it would be saved, saving nothing.
	for start := 0; start < len(todo); start += batch {
		chunk := todo[start:min(start+batch, len(todo))]
		err := svc.Update(ctx, func(tx *records.Tx) error {
			for _, r := range chunk {
				if refusals := save(tx, p, r); refusals != nil {
					res.Refused = append(res.Refused, refusals...)
				}
			}
			return errDryRun
		})
		if !errors.Is(err, errDryRun) {
			return nil, err
		}
	}
	slices.SortStableFunc(res.Refused, func(a, b Refusal) int { return a.Row - b.Row })
	if o.DryRun || len(res.Refused) > 0 {
		if o.DryRun {
			res.Imported = len(todo) - refusedRows(res.Refused, todo)
		}
		return res, nil
	}
	for start := 0; start < len(todo); start += batch {
		chunk := todo[start:min(start+batch, len(todo))]
		err := svc.Update(ctx, func(tx *records.Tx) error {
			for _, r := range chunk {
				if refusals := save(tx, p, r); refusals != nil {
					return fmt.Errorf("row %d: %s", r.no, refusals[0].Problem)
				}
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("import stopped after %d of %d records (%w); run the same import again: the rows already imported are recognised and skipped", res.Imported, len(todo), err)
		}
		res.Imported += len(chunk)
		if o.Progress != nil {
			o.Progress(res.Imported, len(todo))
		}
	}
	return res, nil
}

func refusedRows(refused []Refusal, todo []row) int {
	rows := map[int]bool{}
	for _, r := range refused {
		rows[r.Row] = true
	}
	n := 0
	for _, r := range todo {
		if rows[r.no] {
			n++
		}
	}
	return n
}

func importedOf(rec any) *domain.Imported {
	switch r := rec.(type) {
	case *domain.Appeal:
		return r.Imported
	case *domain.Event:
		return r.Imported
	}
	return nil
}

func recordRef(rec any) string {
	switch r := rec.(type) {
	case *domain.Appeal:
		return r.RegNo
	case *domain.Event:
		return r.ID
	}
	return ""
}

// save saves one row in tx: the record, then for an appeal the workflow
// steps to its status. It returns the row's refusals, nil when saved.
func save(tx *records.Tx, p *parsed, r row) []Refusal {
	im := &domain.Imported{File: p.file, Row: r.no, Digest: r.digest, Ref: r.ref}
	b, err := json.Marshal(r.fields)
	if err != nil {
		return []Refusal{{Row: r.no, Problem: err.Error()}}
	}
	switch p.kind.Name {
	case domain.KindAppeal:
		var a domain.Appeal
		if err := json.Unmarshal(b, &a); err != nil {
			return []Refusal{{Row: r.no, Problem: err.Error()}}
		}
		if a.ReceivedOn.IsZero() {
			return []Refusal{{Row: r.no, Column: p.columns["received_on"], Field: "received_on", Problem: "the day the appeal was received is required"}}
		}
		a.Imported = im
		steps, ferr := stepsTo(r.flow, p.flowDefaults, &a)
		if ferr != nil {
			return []Refusal{{Row: r.no, Column: p.columns[ferr.field], Field: ferr.field, Problem: ferr.msg}}
		}
		saved, err := tx.CreateAppeal(a)
		if err != nil {
			return refusals(p, r.no, err)
		}
		for _, s := range steps {
			if _, err := tx.MoveAppeal(saved.ID, s); err != nil {
				return refusals(p, r.no, fmt.Errorf("to %s: %w", s.To, err))
			}
		}
	case domain.KindEvent:
		var e domain.Event
		if err := json.Unmarshal(b, &e); err != nil {
			return []Refusal{{Row: r.no, Problem: err.Error()}}
		}
		e.Imported = im
		if _, err := tx.CreateEvent(e); err != nil {
			return refusals(p, r.no, err)
		}
	}
	return nil
}

// refusals puts a save's error in the row's terms: a field at fault by
// its column.
func refusals(p *parsed, no int, err error) []Refusal {
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		out := make([]Refusal, 0, len(ve.Fields))
		for _, f := range ve.Fields {
			out = append(out, Refusal{Row: no, Column: p.columns[f.Field], Field: f.Field, Problem: f.Message})
		}
		return out
	}
	return []Refusal{{Row: no, Problem: err.Error()}}
}

// stepsTo lists the workflow steps that bring a new appeal to the status
// a row gives (or, without one, to the furthest its days say: closed,
// answered, rejected, referred), each on the day the row gives for it;
// a step's text the row lacks comes from defaults.
func stepsTo(flow, defaults map[string]any, a *domain.Appeal) ([]domain.Step, *fieldErr) {
	text := func(k string) string { s, _ := flow[k].(string); return s }
	need := func(k string) string {
		if s := text(k); s != "" {
			return s
		}
		s, _ := defaults[k].(string)
		return s
	}
	day := func(k string) caldate.Date {
		d, _ := caldate.Parse(text(k))
		return d
	}
	target := domain.Status(text("status"))
	if target == "" {
		switch {
		case text("closed_on") != "":
			target = domain.StatusClosed
		case text("answered_on") != "":
			target = domain.StatusAnswered
		case text("rejection_reason") != "":
			target = domain.StatusRejected
		case text("referred_on") != "":
			target = domain.StatusReferred
		default:
			target = domain.StatusReceived
		}
	}
	reg := a.RegisteredOn
	if reg.IsZero() {
		reg = a.ReceivedOn
	}
	verified := day("verified_on")
	if verified.IsZero() {
		verified = reg
	}
	referred := day("referred_on")
	if referred.IsZero() {
		referred = verified
	}
	answered := day("answered_on")
	rejected := text("rejection_reason") != "" || target == domain.StatusRejected
	var path []domain.Status
	switch target {
	case domain.StatusReceived:
	case domain.StatusUnderReview, domain.StatusFactChecking, domain.StatusVerified, domain.StatusReferred, domain.StatusAnswered:
		main := []domain.Status{domain.StatusUnderReview, domain.StatusFactChecking, domain.StatusVerified, domain.StatusReferred, domain.StatusAnswered}
		path = main[:slices.Index(main, target)+1]
	case domain.StatusRejected:
		path = []domain.Status{domain.StatusRejected}
	case domain.StatusClosed:
		switch {
		case rejected:
			path = []domain.Status{domain.StatusRejected, domain.StatusClosed}
		case !answered.IsZero():
			path = []domain.Status{domain.StatusUnderReview, domain.StatusFactChecking, domain.StatusVerified, domain.StatusReferred, domain.StatusAnswered, domain.StatusClosed}
		default: // settled at the council
			path = []domain.Status{domain.StatusUnderReview, domain.StatusFactChecking, domain.StatusVerified, domain.StatusClosed}
		}
	default:
		return nil, &fieldErr{"status", fmt.Sprintf("%q is not a status", target)}
	}
	var steps []domain.Step
	for _, to := range path {
		s := domain.Step{To: to, On: reg}
		switch to {
		case domain.StatusVerified:
			s.On = verified
		case domain.StatusRejected:
			s.Note = need("rejection_reason")
			if s.Note == "" {
				return nil, &fieldErr{"rejection_reason", "a rejected appeal needs the reason it was rejected (a column, or a default in the mapping file)"}
			}
		case domain.StatusReferred:
			s.On = referred
			s.Target = need("referred_to")
			if s.Target == "" && a.AuthorityName == "" {
				return nil, &fieldErr{"referred_to", "a referred appeal needs to whom it was referred (a column, or a default in the mapping file)"}
			}
		case domain.StatusAnswered:
			if answered.IsZero() {
				return nil, &fieldErr{"answered_on", "an answered appeal needs the day the answer came"}
			}
			s.On = answered
			s.Answer = need("answer_summary")
			if s.Answer == "" {
				return nil, &fieldErr{"answer_summary", "an answered appeal needs what the answer said (a column, or a default in the mapping file)"}
			}
		case domain.StatusClosed:
			// Closed on the day given, else on the last day the row gives.
			s.On = day("closed_on")
			if s.On.IsZero() {
				s.On = latest(reg, verified, referred, answered)
			}
		}
		steps = append(steps, s)
	}
	return steps, nil
}

func latest(days ...caldate.Date) caldate.Date {
	var m caldate.Date
	for _, d := range days {
		if d.After(m) {
			m = d
		}
	}
	return m
}
