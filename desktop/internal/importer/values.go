package importer

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/export"
	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

// words turns the words a person wrote in a cell into codes: terms,
// regions, districts, councils, statuses and languages by their names in
// any of the three languages or by their codes, and the extra words of a
// mapping file.
type words struct {
	cat      *refdata.Catalog
	terms    map[refdata.List]map[string]string // folded name or code → code
	regions  map[string]string
	district map[string][]refdata.District // folded name or code → districts (names repeat across oblasts)
	councils map[string]string
	statuses map[string]string
	langs    map[string]string
	yes, no  map[string]bool
	extra    map[string]map[string]string // path → folded word → code
}

func newWords(cat *refdata.Catalog, councils []domain.Council, extra map[string]map[string]string) (*words, error) {
	msgs, err := l10n.Load()
	if err != nil {
		return nil, err
	}
	w := &words{cat: cat, terms: map[refdata.List]map[string]string{}, regions: map[string]string{}, district: map[string][]refdata.District{},
		councils: map[string]string{}, statuses: map[string]string{}, langs: map[string]string{},
		yes:   map[string]bool{"yes": true, "y": true, "да": true, "ооба": true, "1": true, "true": true, "+": true, "x": true, "✓": true},
		no:    map[string]bool{"no": true, "n": true, "нет": true, "жок": true, "0": true, "false": true, "-": true, "—": true},
		extra: map[string]map[string]string{}}
	names := func(n refdata.Names) []string { return []string{n.KY, n.RU, n.EN} }
	for _, l := range []refdata.List{refdata.EventKinds, refdata.RightCategories, refdata.AppealChannels, refdata.Genders,
		refdata.AgeGroups, refdata.VulnerableGroups, refdata.Authorities} {
		m := map[string]string{}
		for _, t := range cat.Terms(l) {
			m[fold(t.Code)] = t.Code
			for _, n := range names(t.Names) {
				m[fold(n)] = t.Code
			}
		}
		w.terms[l] = m
	}
	// Short forms people write for gender.
	for word, code := range map[string]string{"ж": "female", "жен": "female", "жен.": "female", "женский": "female", "f": "female",
		"а": "female", "аял": "female", "м": "male", "муж": "male", "муж.": "male", "мужской": "male", "э": "male", "эркек": "male"} {
		if _, taken := w.terms[refdata.Genders][word]; !taken {
			w.terms[refdata.Genders][word] = code
		}
	}
	for _, r := range cat.Regions() {
		w.regions[fold(r.Code)] = r.Code
		for _, n := range names(r.Names) {
			w.regions[fold(n)] = r.Code
			// "Нарын облусу", "Нарынская область": also "Нарын".
			if first, _, ok := strings.Cut(n, " "); ok {
				if _, taken := w.regions[fold(first)]; !taken {
					w.regions[fold(first)] = r.Code
				}
			}
		}
		for _, d := range r.Districts {
			w.district[fold(d.Code)] = append(w.district[fold(d.Code)], d)
			for _, n := range names(d.Names) {
				w.district[fold(n)] = append(w.district[fold(n)], d)
			}
		}
	}
	for _, c := range councils {
		w.councils[fold(c.Code)] = c.Code
		w.councils[fold(c.Name)] = c.Code
	}
	for _, lang := range l10n.Languages {
		tr := msgs.In(lang)
		for _, s := range domain.Statuses {
			w.statuses[fold(tr.T("status."+string(s)))] = string(s)
		}
		for _, code := range l10n.Languages {
			w.langs[fold(tr.T("person.doc.lang_"+code))] = code
		}
		w.yes[fold(tr.T("common.yes"))] = true
		w.no[fold(tr.T("common.no"))] = true
	}
	for _, s := range domain.Statuses {
		w.statuses[fold(string(s))] = string(s)
	}
	for _, code := range l10n.Languages {
		w.langs[code] = code
	}
	for path, m := range extra {
		w.extra[path] = map[string]string{}
		for word, code := range m {
			w.extra[path][fold(word)] = code
		}
	}
	return w, nil
}

// cellError is a cell that cannot be read, in plain words.
type cellError struct{ msg string }

func (e *cellError) Error() string { return e.msg }

func bad(format string, a ...any) error { return &cellError{fmt.Sprintf(format, a...)} }

// value reads one cell of a field into what the record's JSON holds
// there; xlsx says the cell comes from an XLSX file, where a date may be
// its serial number. An empty cell is nil.
func (w *words) value(f field, text string, xlsx bool) (any, error) {
	text = strings.TrimSpace(text)
	if f.Type == export.Text || f.Type == export.Joined {
		text = unguard(text)
	}
	if text == "" {
		return nil, nil
	}
	if m := w.extra[f.Path]; m != nil {
		if code, ok := m[fold(text)]; ok {
			text = code
		}
	}
	switch f.Type {
	case export.Date:
		d, err := parseDay(text, xlsx)
		if err != nil {
			return nil, err
		}
		return d.String(), nil
	case export.Number:
		n, err := strconv.ParseFloat(strings.ReplaceAll(strings.ReplaceAll(text, " ", ""), ",", "."), 64)
		if err != nil || n != math.Trunc(n) || n < 0 || n > 1e6 {
			return nil, bad("%q is not a whole number", text)
		}
		return int(n), nil
	case export.Bool:
		switch t := fold(text); {
		case w.yes[t]:
			return true, nil
		case w.no[t]:
			return false, nil
		}
		return nil, bad("%q is neither yes nor no (write да/нет, ооба/жок or yes/no)", text)
	case export.Term:
		return w.term(f.List, text)
	case export.Terms:
		var out []any
		for _, part := range splitList(text) {
			code, err := w.term(f.List, part)
			if err != nil {
				return nil, err
			}
			out = append(out, code)
		}
		return out, nil
	case export.Region:
		if code, ok := w.regions[fold(text)]; ok {
			return code, nil
		}
		return nil, bad("%q is not an oblast: write its name (Нарын облусу, Нарынская область, Naryn) or its code (KG-N)", text)
	case export.District:
		ds := w.district[fold(text)]
		if len(ds) == 0 {
			return nil, bad("%q is not a district: write its name or its code (KG-N-ATB)", text)
		}
		c := districts{}
		for _, d := range ds {
			c = append(c, d.Code)
		}
		return c, nil // the oblast decides between namesakes (row.record)
	case export.Status:
		if code, ok := w.statuses[fold(text)]; ok {
			return code, nil
		}
		return nil, bad("%q is not a status (one of: %v)", text, domain.Statuses)
	case export.Language:
		if code, ok := w.langs[fold(text)]; ok {
			return code, nil
		}
		return nil, bad("%q is not a language: write ky, ru or en, or its name", text)
	case export.Joined:
		var out []any
		for _, l := range strings.Split(text, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
		return out, nil
	}
	if f.Path == "council" {
		if code, ok := w.councils[fold(text)]; ok {
			return code, nil
		}
		return nil, bad("%q is not a council of this installation: write its code or its name (keneshctl council list)", text)
	}
	return text, nil
}

func (w *words) term(l refdata.List, text string) (string, error) {
	if code, ok := w.terms[l][fold(text)]; ok {
		return code, nil
	}
	var names []string
	for _, t := range w.cat.Terms(l) {
		names = append(names, t.Names.RU)
	}
	return "", bad("%q is not known here (one of: %s; or a mapping file's values)", text, strings.Join(names, ", "))
}

// districts are the codes of the districts a name may be: the oblast of
// the row chooses (row.record).
type districts []string

// splitList splits a cell listing several values: by line, ';' or ','.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ';' || r == ',' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// unguard drops the apostrophe an export puts before a text a
// spreadsheet would run as a formula.
func unguard(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@", rune(s[1])) {
		return s[1:]
	}
	return s
}

// parseDay reads a day as councils write it: 05.03.2026, 5.3.2026,
// 05/03/2026 (day first), 05-03-2026, 05.03.26, 2026-03-05, a time after
// it, or, in an XLSX file, a date's serial number (days since 1899-12-30).
func parseDay(text string, xlsx bool) (caldate.Date, error) {
	if xlsx {
		if n, err := strconv.ParseFloat(text, 64); err == nil && n >= 1 && n < 2958466 {
			t := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).Add(time.Duration(math.Floor(n)) * 24 * time.Hour)
			return caldate.New(t.Year(), t.Month(), t.Day()), nil
		}
	}
	s := text
	if i := strings.IndexAny(s, " T"); i > 0 {
		s = s[:i] // a time after the day
	}
	if d, err := caldate.Parse(s); err == nil {
		return d, nil
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '/' || r == '-' })
	if len(parts) == 3 {
		day, e1 := strconv.Atoi(parts[0])
		mon, e2 := strconv.Atoi(parts[1])
		yr, e3 := strconv.Atoi(parts[2])
		if len(parts[2]) == 2 && e3 == nil {
			yr += 2000
		}
		if e1 == nil && e2 == nil && e3 == nil && yr >= 1990 && yr <= 2100 && mon >= 1 && mon <= 12 && day >= 1 && day <= 31 {
			d := caldate.New(yr, time.Month(mon), day)
			if d.Day() == day {
				return d, nil
			}
		}
	}
	return caldate.Date{}, bad("%q is not a day: write it as 05.03.2026 (day, month, year) or 2026-03-05", text)
}
