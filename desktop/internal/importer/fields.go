package importer

import (
	"slices"
	"strings"
	"unicode"

	"github.com/kenesh/kenesh/desktop/internal/export"
	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/reports"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

// Ref is the path of the column that holds a row's number in the register
// it comes from ("№ 15/2019"): kept as the record's imported.ref.
const Ref = "imported.ref"

// Kind says what an import reads of one record kind: the fields a legacy
// spreadsheet may hold, by the same paths and types as the exports'
// columns (so a file Kenesh exported with personal data imports back),
// the fields a row must have, and the words legacy spreadsheets head them
// with beyond the interface's own labels. A kind of issue 17 plugs in
// with a Kind here.
type Kind struct {
	Name string
	// Paths of the export's columns an import reads.
	Paths []string
	// Required paths: a file without such a column (and no default in
	// the mapping) is refused whole.
	Required []string
	// Synonyms are further heads, by path, lower case.
	Synonyms map[string][]string
}

// workflow are the paths of an appeal's workflow: not saved with the new
// record but reached by workflow steps after it (see steps).
var workflow = []string{"status", "verified_on", "rejection_reason", "referred_to", "referred_on", "answered_on", "answer_summary", "closed_on"}

var appealKind = &Kind{Name: domain.KindAppeal,
	Paths: []string{"council", "received_on", "registered_on", "channel", "language", "anonymous",
		"appellant.name", "appellant.phone", "appellant.email", "appellant.address", "appellant.pin",
		"gender", "age_group", "vulnerable_groups", "oblast", "district", "village", "category", "authority", "authority_name",
		"summary", "description", "status", "verified_on", "rejection_reason", "referred_to", "referred_on", "answered_on",
		"answer_summary", "closed_on", "extension_days", "extension_note"},
	Required: []string{"received_on", "channel", "category", "summary"},
	Synonyms: map[string][]string{
		Ref:                 {"№", "no", "no.", "номер", "рег. номер", "рег.номер", "регистрационный номер", "катт. номери", "каттоо номери", "reg. number", "number", "reg_no", "№ п/п"},
		"received_on":       {"дата", "дата поступления", "дата обращения", "күнү", "кайрылган күнү", "date", "date received"},
		"registered_on":     {"дата регистрации", "катталган күнү", "date registered"},
		"channel":           {"способ обращения", "форма обращения", "канал", "кайрылуунун түрү"},
		"appellant.name":    {"фио", "ф.и.о.", "ф. и. о.", "фио заявителя", "заявитель", "аты-жөнү", "кайрылуучу", "кайрылуучунун аты-жөнү", "name", "appellant", "appellant's name", "appellant name"},
		"anonymous":         {"аноним", "анонимно", "анонимное", "анонимдүү", "anonymous"},
		"referred_to":       {"кому направлено", "куда направлено", "направлено", "кимге жөнөтүлдү", "referred to"},
		"appellant.phone":   {"телефон", "тел.", "тел", "телефон номери", "phone", "contact"},
		"appellant.address": {"адрес", "адрес заявителя", "дареги", "дарек", "address"},
		"appellant.pin":     {"инн", "пин", "персональный номер", "жеке номер", "pin"},
		"gender":            {"пол", "жынысы", "sex", "gender"},
		"age_group":         {"возраст", "курагы", "age"},
		"oblast":            {"область", "облус", "region", "oblast"},
		"district":          {"район", "district"},
		"village":           {"село", "айыл", "айыл/шаар", "населенный пункт", "village"},
		"category":          {"категория", "право", "тема", "категориясы", "укук", "category", "right"},
		"authority_name":    {"орган", "ответственный орган", "жооптуу орган", "authority"},
		"summary":           {"суть обращения", "краткое содержание", "содержание", "кыскача мазмуну", "мазмуну", "summary", "subject"},
		"description":       {"описание", "подробно", "баяндама", "description"},
		"status":            {"статус", "состояние", "абалы", "status"},
		"answered_on":       {"дата ответа", "жооп берилген күнү", "answered on"},
		"answer_summary":    {"ответ", "жооп", "answer"},
		"closed_on":         {"дата закрытия", "жабылган күнү", "closed on"},
	},
}

var eventKind = &Kind{Name: domain.KindEvent,
	Paths: []string{"council", "kind", "title", "topic", "agenda", "date", "start_time", "duration_minutes", "oblast", "district",
		"village", "venue", "language", "decisions", "media_links", "notes"},
	Required: []string{"kind", "title", "date"},
	Synonyms: map[string][]string{
		Ref:        {"№", "no", "no.", "номер", "№ п/п"},
		"kind":     {"вид", "вид мероприятия", "тип", "иш-чаранын түрү", "түрү", "type", "kind"},
		"title":    {"название", "наименование", "тема", "аталышы", "темасы", "title"},
		"date":     {"дата", "дата проведения", "күнү", "өткөн күнү", "date"},
		"oblast":   {"область", "облус", "region"},
		"district": {"район"},
		"village":  {"село", "айыл", "населенный пункт"},
		"venue":    {"место", "место проведения", "өткөн жери", "жери", "venue", "place"},
		"notes":    {"примечание", "эскертүү", "notes", "comment"},
	},
}

// Kinds lists the kinds an import reads.
var Kinds = []*Kind{appealKind, eventKind}

// KindOf returns the description of a record kind.
func KindOf(name string) (*Kind, bool) {
	i := slices.IndexFunc(Kinds, func(k *Kind) bool { return k.Name == name })
	if i < 0 {
		return nil, false
	}
	return Kinds[i], true
}

// field is one importable field: its path and how its values read.
type field struct {
	Path string
	Type export.Type
	List refdata.List
}

// fields lists k's importable fields with their types, from the export's
// columns, and the heads each is known by (folded), in every language.
func (k *Kind) fields(cat *refdata.Catalog) (map[string]field, map[string]string, error) {
	ek, ok := export.KindOf(k.Name)
	if !ok {
		return nil, nil, errUnknownKind(k.Name)
	}
	msgs, err := l10n.Load()
	if err != nil {
		return nil, nil, err
	}
	byPath := map[string]field{Ref: {Path: Ref}}
	heads := map[string]string{}
	add := func(head, path string) {
		h := fold(head)
		if _, taken := heads[h]; !taken && h != "" {
			heads[h] = path
		}
	}
	cols := ek.Columns(cat)
	for _, c := range cols {
		if !k.imports(c.Path) {
			continue
		}
		byPath[c.Path] = field{Path: c.Path, Type: c.Type, List: c.List}
	}
	// Heads in the order: the path itself, the interface's labels (the
	// export's heads) in each language, then the synonyms.
	for p := range byPath {
		add(p, p)
	}
	for _, lang := range l10n.Languages {
		w := reports.Words{Tr: msgs.In(lang), Cat: cat}
		for _, c := range cols {
			if _, ok := byPath[c.Path]; ok {
				add(c.Head(w), c.Path)
			}
		}
	}
	for p, syn := range k.Synonyms {
		for _, s := range syn {
			add(s, p)
		}
	}
	return byPath, heads, nil
}

// imports reports whether k reads the column of path.
func (k *Kind) imports(path string) bool {
	if slices.Contains(k.Paths, path) {
		return true
	}
	return k.Name == domain.KindEvent && strings.HasPrefix(path, "participants.")
}

// fold makes a head or a word comparable: lower case, spaces collapsed,
// a trailing colon or asterisk dropped, ё as е.
func fold(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	s = strings.TrimRightFunc(s, func(r rune) bool { return r == ':' || r == '*' || unicode.IsSpace(r) })
	return strings.ReplaceAll(s, "ё", "е")
}
