package importer_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/kenesh/kenesh/desktop/internal/export"
	"github.com/kenesh/kenesh/desktop/internal/importer"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/reports"
	"github.com/kenesh/kenesh/desktop/internal/reports/fixture"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

// A council's register as Excel in Russian saves it: ';' between cells,
// days as dd.mm.yyyy, words for the codes.
const russianCSV = `№;Дата поступления;ФИО;Телефон;Пол;Как поступило;Право;Суть обращения;Район;Статус;Дата ответа;Ответ;Кому направлено;Аноним
15/2019;05.03.2026;Асанова Гүлнара;+996 555 123 456;Ж;По телефону;Земельные и имущественные права;Жер үлүшү тартылып алынды;Ат-Башинский район;Закрыто;23.03.2026;Жер кайтарылды;Жер кадастры;
16/2019;02.03.2026;Токтогулов Эрмек;;м;На личном приёме;Милиция и правосудие;"Арыз кабыл алынган жок;
милиция баш тартты";KG-N-ATB;;;;;нет
17/2019;10.02.2026;;;;Письмом;Здравоохранение;Дары берилген жок;Ат-Башы району;Получено;;;;да
`

func run(t *testing.T, svc *records.Service, name, data string, o importer.Options) *importer.Result {
	t.Helper()
	if o.Kind == "" {
		o.Kind = domain.KindAppeal
	}
	res, err := importer.Run(context.Background(), svc, name, []byte(data), o)
	if err != nil {
		t.Fatalf("import %s: %v", name, err)
	}
	return res
}

func mapping(t *testing.T, s string) *importer.Mapping {
	t.Helper()
	m, err := importer.ReadMapping("test.json", []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestImportRussianRegister(t *testing.T) {
	svc, _ := fixture.Empty(t)
	ctx := context.Background()
	m := mapping(t, `{"defaults": {"council": "NRN-ATB"}, "columns": {"ФИО": "appellant.name"}}`)
	res := run(t, svc, "реестр-2026.csv", russianCSV, importer.Options{Mapping: m})
	if res.Imported != 3 || len(res.Refused) != 0 || res.Encoding != "utf-8" || res.Rows != 3 {
		t.Fatalf("result %+v", res)
	}
	list, err := svc.List(records.Filter{Kind: domain.KindAppeal})
	if err != nil || len(list) != 3 {
		t.Fatalf("%d appeals, %v", len(list), err)
	}
	byRef := map[string]*domain.Appeal{}
	for _, s := range list {
		a, err := svc.Appeal(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		byRef[a.Imported.Ref] = a
	}
	a := byRef["15/2019"]
	if a == nil {
		t.Fatalf("no appeal with the legacy number 15/2019: %v", byRef)
	}
	want := struct {
		name, phone, gender, channel, category, district, oblast, council string
		status                                                            domain.Status
		received, answered                                                string
		row                                                               int
		file                                                              string
	}{"Асанова Гүлнара", "+996 555 123 456", "female", "phone", "land_property", "KG-N-ATB", "KG-N", "NRN-ATB", domain.StatusClosed,
		"2026-03-05", "2026-03-23", 2, "реестр-2026.csv"}
	got := want
	got.name, got.phone, got.gender, got.channel, got.category = a.Appellant.Name, a.Appellant.Phone, a.Gender, a.Channel, a.Category
	got.district, got.oblast, got.council, got.status = a.District, a.Oblast, a.Council, a.Status
	got.received, got.answered, got.row, got.file = a.ReceivedOn.String(), a.AnsweredOn.String(), a.Imported.Row, a.Imported.File
	if got != want {
		t.Errorf("imported\n%+v\nwant\n%+v", got, want)
	}
	if a.AnswerSummary != "Жер кайтарылды" || a.ReferredTo != "Жер кадастры" || len(a.Imported.Digest) != 64 {
		t.Errorf("answer %q, referred to %q, digest %q", a.AnswerSummary, a.ReferredTo, a.Imported.Digest)
	}
	// A cell over two lines, and a status the days do not give: received.
	b := byRef["16/2019"]
	if b.Summary != "Арыз кабыл алынган жок;\nмилиция баш тартты" || b.Status != domain.StatusReceived || b.Gender != "male" || b.Imported.Row != 3 {
		t.Errorf("row 3: %+v", b)
	}
	// Anonymous: no name; the district's name in Kyrgyz.
	if c := byRef["17/2019"]; !c.Anonymous || c.Appellant != nil && c.Appellant.Name != "" || c.Channel != "letter" || c.Imported.Row != 4 {
		t.Errorf("row 5: %+v", c)
	}
	// The history says where it came from.
	h, err := svc.History(ctx, domain.KindAppeal, a.ID)
	if err != nil || len(h) < 2 {
		t.Fatalf("history %v %v", h, err)
	}
	// The figures count them.
	r, err := reports.Make(ctx, svc, reports.Filter{From: caldate.MustParse("2026-01-01")})
	if err != nil {
		t.Fatal(err)
	}
	if r.Summary.Appeals.Total != 3 || r.Summary.Appeals.Answered != 1 || r.Summary.Appeals.ByChannel["phone"] != 1 {
		t.Errorf("figures %+v", r.Summary.Appeals)
	}
}

// Importing the same rows again adds nothing: the same file, or the same
// rows in another format.
func TestImportTwiceAddsNothing(t *testing.T) {
	svc, _ := fixture.Empty(t)
	m := mapping(t, `{"defaults": {"council": "NRN-ATB"}, "columns": {"ФИО": "appellant.name"}}`)
	run(t, svc, "реестр.csv", russianCSV, importer.Options{Mapping: m})
	seq := svc.Seq()
	again := run(t, svc, "реестр.csv", russianCSV, importer.Options{Mapping: m})
	if again.Imported != 0 || len(again.Duplicates) != 3 || svc.Seq() != seq {
		t.Errorf("second import: %+v (seq %d → %d)", again, seq, svc.Seq())
	}
	// The same rows as an XLSX file, another name, columns in another order.
	f := excelize.NewFile()
	head := []any{"Суть обращения", "Дата поступления", "№", "ФИО", "Телефон", "Пол", "Как поступило", "Право", "Район", "Статус", "Дата ответа", "Ответ", "Кому направлено", "Аноним"}
	f.SetSheetRow("Sheet1", "A1", &head)
	day := func(s string) time.Time {
		d := caldate.MustParse(s)
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)
	}
	row := []any{"Жер үлүшү тартылып алынды", day("2026-03-05"), "15/2019", "Асанова Гүлнара", "+996 555 123 456", "Ж", "По телефону",
		"Земельные и имущественные права", "Ат-Башинский район", "Закрыто", day("2026-03-23"), "Жер кайтарылды", "Жер кадастры", ""}
	f.SetSheetRow("Sheet1", "A2", &row)
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	x := run(t, svc, "реестр.xlsx", buf.String(), importer.Options{Mapping: m})
	if x.Imported != 0 || len(x.Duplicates) != 1 || x.Duplicates[0].Row != 2 || !strings.HasPrefix(x.Duplicates[0].Of, "NRN-ATB-2026-") {
		t.Errorf("the same row as XLSX: %+v", x)
	}
	// Twice in one file: the second is a duplicate of the first.
	twice := russianCSV + strings.SplitN(russianCSV, "\n", 3)[1] + "\n"
	svc2, _ := fixture.Empty(t)
	y := run(t, svc2, "twice.csv", twice, importer.Options{Mapping: m})
	if y.Imported != 3 || len(y.Duplicates) != 1 || y.Duplicates[0].Of != "row 2" {
		t.Errorf("a row twice in a file: %+v", y)
	}
}

// Every way a row is refused, listed by a dry run with its row, column and
// reason; nothing is saved, with or without --dry-run.
func TestRefusals(t *testing.T) {
	svc, _ := fixture.Empty(t)
	head := "Council code;Received;Appellant's name;Phone;PIN;Gender;How it came;Right at stake;Summary;Oblast;District;Status;Answered on;Anonymous;Referred to\n"
	rows := []struct {
		line, column, problem string
	}{
		{"NRN-ATB;2026-03-40;Асан;;;;Phone;Health;x;KG-N;;;;", "Received", "not a day"},
		{"NRN-ATB;2026-03-05;Асан;;;;By pigeon;Health;x;KG-N;;;;", "How it came", "not known here"},
		{"NRN-ATB;2026-03-05;Асан;;;;Phone;Weather;x;KG-N;;;;", "Right at stake", "not known here"},
		{"NOPE;2026-03-05;Асан;;;;Phone;Health;x;KG-N;;;;", "Council code", "not a council"},
		{"NRN-ATB;2027-03-05;Асан;;;;Phone;Health;x;KG-N;;;;", "Received", "future"},
		{"NRN-ATB;2026-03-05;Асан;;;;Phone;Health;;KG-N;;;;", "Summary", "required"},
		{"NRN-ATB;2026-03-05;Асан;;;;Phone;Health;x;KG-O;KG-N-ATB;;;", "District", "not in KG-O"},
		{"NRN-ATB;2026-03-05;Асан;;;;Phone;Health;x;Atlantis;;;;", "Oblast", "not an oblast"},
		{"NRN-ATB;2026-03-05;Асан;;123;;Phone;Health;x;KG-N;;;;", "PIN", "14 digits"},
		{"NRN-ATB;2026-03-05;Асан;not a phone;;;Phone;Health;x;KG-N;;;;", "Phone", "phone"},
		{"NRN-ATB;2026-03-05;Асан;;;robot;Phone;Health;x;KG-N;;;;", "Gender", "not known here"},
		{"NRN-ATB;2026-03-05;Асан;;;;Phone;Health;x;KG-N;;Answered;2026-03-20;;Минздрав", "", "what the answer said"},
		{"NRN-ATB;2026-03-05;Асан;;;;Phone;Health;x;KG-N;;Referred;;", "", "to whom it was referred"},
		{"NRN-ATB;2026-03-05;Асан;;;;Phone;Health;x;KG-N;;Rejected;;", "", "reason"},
		{"NRN-ATB;2026-03-05;Асан;;;;Phone;Health;x;KG-N;;Lost;;", "Status", "not a status"},
		{"NRN-ATB;2026-03-05;Асан;;;;Phone;Health;x;KG-N;;;;maybe", "Anonymous", "neither yes nor no"},
		{"NRN-ATB;2026-03-05;;;;;Phone;Health;x;KG-N;;;;", "", "required unless the appeal is anonymous"},
		{"NRN-ATB;2026-03-05;Асан;;;;Phone;Health;x;KG-N;;;;;;extra", "", "a cell out of its column"},
	}
	var b strings.Builder
	b.WriteString(head)
	for _, r := range rows {
		b.WriteString(r.line + "\n")
	}
	good := "NRN-ATB;2026-03-05;Асан;;;;Phone;Health;x;KG-N;;;;\n"
	b.WriteString(good)
	for _, dry := range []bool{true, false} {
		res := run(t, svc, "bad.csv", b.String(), importer.Options{DryRun: dry})
		refused := map[int][]importer.Refusal{}
		for _, r := range res.Refused {
			refused[r.Row] = append(refused[r.Row], r)
		}
		for i, want := range rows {
			got := refused[i+2]
			found := false
			for _, g := range got {
				found = found || (want.column == "" || g.Column == want.column) && strings.Contains(g.Problem, want.problem)
			}
			if !found {
				t.Errorf("dry run %v, row %d (%s): refused %+v, want column %q saying %q", dry, i+2, want.line, got, want.column, want.problem)
			}
		}
		if len(refused[len(rows)+2]) != 0 {
			t.Errorf("the good row was refused: %+v", refused[len(rows)+2])
		}
		if dry && res.Imported != 1 || !dry && res.Imported != 0 {
			t.Errorf("dry run %v: imported %d", dry, res.Imported)
		}
		if n, _ := svc.Count(records.Filter{Kind: domain.KindAppeal}); n != 0 {
			t.Fatalf("dry run %v: %d appeals saved despite refusals", dry, n)
		}
	}
	if testing.Verbose() {
		res := run(t, svc, "bad.csv", b.String(), importer.Options{DryRun: true})
		for _, r := range res.Refused {
			t.Log(r)
		}
	}
}

func TestFilesRefusedWhole(t *testing.T) {
	svc, _ := fixture.Empty(t)
	ctx := context.Background()
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"Received", "How it came", "Right at stake", "Summary", "Council code", "Oblast", "Anonymous"})
	for i := 2; i < 300; i++ {
		f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i), &[]any{"2026-03-05", "Phone", "Health", fmt.Sprintf("Дары берилген жок. №%d", i), "NRN-ATB", "KG-N", "yes"})
	}
	var xlsx bytes.Buffer
	f.WriteTo(&xlsx)
	for _, tt := range []struct {
		name, data, want string
	}{
		{"cut.csv", "Received,How it came,Right at stake,Summary\n2026-03-05,Phone,Health,\"Милиция арызды", "cut off"},
		{"cut.xlsx", xlsx.String()[:xlsx.Len()/2], "cut off or damaged"},
		{"old.xls", "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1rest", "old Excel file"},
		{"empty.csv", "\n\n", "empty"},
		{"nohead.csv", "a,b,c\n1,2,3\n", "no column holds received_on, channel, category, summary"},
		{"twice.csv", "Received,Дата поступления,How it came,Right at stake,Summary\n", "both hold received_on"},
		{"huge.csv", strings.Repeat("x", importer.MaxFileSize+1), "at most"},
	} {
		_, err := importer.Run(ctx, svc, tt.name, []byte(tt.data), importer.Options{Kind: domain.KindAppeal})
		var fe *importer.FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want a file error saying %q", tt.name, err, tt.want)
		}
	}
	if n, _ := svc.Count(records.Filter{Kind: domain.KindAppeal}); n != 0 {
		t.Errorf("%d appeals saved from refused files", n)
	}
	// The whole XLSX imports.
	res := run(t, svc, "whole.xlsx", xlsx.String(), importer.Options{})
	if res.Imported != 298 {
		t.Errorf("whole XLSX: %d imported, refused %v", res.Imported, res.Refused[:min(3, len(res.Refused))])
	}
	// A mapping that names a field an import does not read.
	_, err := importer.Run(ctx, svc, "x.csv", []byte("a\n1\n"), importer.Options{Kind: domain.KindAppeal, Mapping: mapping(t, `{"columns":{"a":"appellant.shoe_size"}}`)})
	if err == nil || !strings.Contains(err.Error(), "appellant.shoe_size") {
		t.Errorf("a mapping to an unknown field: %v", err)
	}
	if _, err := importer.ReadMapping("m.json", []byte(`{"colums": {}}`)); err == nil {
		t.Error("a misspelt mapping file was read")
	}
}

// A CSV file Excel saved on a Russian Windows is in Windows-1251: read as
// such, the Cyrillic intact.
func TestWindows1251(t *testing.T) {
	svc, _ := fixture.Empty(t)
	ctx := context.Background()
	text := "Дата поступления;Как поступило;Право;Суть обращения;Совет;ФИО\n" +
		"05.03.2026;Письмом;Здравоохранение;Больница не приняла, ответа нет;Ат-Башы коомдук кеңеши;Ёлкин Пётр\n"
	// ң ө ү are not in Windows-1251: the council is named by its code in
	// such a file.
	text = strings.ReplaceAll(text, "Ат-Башы коомдук кеңеши", "NRN-ATB")
	enc, err := charmap.Windows1251.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	res := run(t, svc, "cp1251.csv", enc, importer.Options{Mapping: mapping(t, `{"columns": {"Совет": "council"}}`)})
	if res.Encoding != "windows-1251" || res.Imported != 1 {
		t.Fatalf("result %+v", res)
	}
	list, _ := svc.List(records.Filter{Kind: domain.KindAppeal})
	a, _ := svc.Appeal(ctx, list[0].ID)
	if a.Summary != "Больница не приняла, ответа нет" || a.Appellant.Name != "Ёлкин Пётр" {
		t.Errorf("read as %q, %q", a.Summary, a.Appellant.Name)
	}
}

// What Kenesh exports with personal data imports back: the same figures.
func TestExportImportsBack(t *testing.T) {
	from, _, _ := fixture.New(t)
	ctx := context.Background()
	q := reports.Filter{From: caldate.MustParse(fixture.From), To: caldate.MustParse(fixture.To)}
	for _, format := range []string{domain.FormatXLSX, domain.FormatCSV} {
		for _, kind := range []string{domain.KindAppeal, domain.KindEvent} {
			var buf bytes.Buffer
			if _, err := export.Write(ctx, from, &buf, export.Options{Format: format, Kinds: []string{kind}, Personal: true, Filter: q, Language: "ru"}); err != nil {
				t.Fatal(err)
			}
			to, _ := fixture.Empty(t)
			var m *importer.Mapping
			if kind == domain.KindAppeal {
				m = mapping(t, `{"defaults": {"rejection_reason": "Маалымат жетишсиз"}}`)
			}
			res := run(t, to, "export."+format, buf.String(), importer.Options{Kind: kind, Mapping: m})
			if len(res.Refused) > 0 || len(res.Ignored) == 0 {
				t.Fatalf("%s of %ss: refused %v, ignored %v", format, kind, res.Refused, res.Ignored)
			}
			a, err := reports.Make(ctx, from, q)
			if err != nil {
				t.Fatal(err)
			}
			b, err := reports.Make(ctx, to, q)
			if err != nil {
				t.Fatal(err)
			}
			if kind == domain.KindEvent {
				if !reflect.DeepEqual(a.Summary.Events.Participants, b.Summary.Events.Participants) || a.Summary.Events.Total != b.Summary.Events.Total {
					t.Errorf("%s, events: %+v, imported back %+v", format, a.Summary.Events, b.Summary.Events)
				}
				continue
			}
			x, y := a.Summary.Appeals, b.Summary.Appeals
			for _, c := range []struct {
				what      string
				got, want any
			}{
				{"total", y.Total, x.Total}, {"channels", y.ByChannel, x.ByChannel}, {"categories", y.ByCategory, x.ByCategory},
				{"statuses", y.ByStatus, x.ByStatus}, {"genders", y.ByGender, x.ByGender}, {"outcomes", y.ByOutcome, x.ByOutcome},
				{"registered in time", y.RegisteredInTime, x.RegisteredInTime}, {"answered in time", y.AnsweredInTime, x.AnsweredInTime},
			} {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%s, appeals %s: imported back %v, exported %v", format, c.what, c.got, c.want)
				}
			}
		}
	}
}

// 10,000 rows import in one go, checked first, all or nothing (3,000
// under the race detector, which makes each save ten times slower: still
// fifteen transactions of rows).
func TestTenThousandRows(t *testing.T) {
	n := 10_000
	switch {
	case testing.Short():
		n = 1_000
	case raceDetector:
		n = 3_000
	}
	svc, _ := fixture.Empty(t)
	var b strings.Builder
	b.WriteString("№,Received,How it came,Right at stake,Summary,Council code,Gender,Full name\n")
	channels := []string{"Phone", "Letter", "In person"}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%d,%s,%s,Health,\"Дары берилген жок, №%d\",NRN-KOC,%s,Асанова Гүлнара %d\n", i+1,
			caldate.MustParse("2026-01-01").AddDays(i%90), channels[i%3], i, []string{"female", "male"}[i%2], i)
	}
	start := time.Now()
	var last [2]int
	res := run(t, svc, "big.csv", b.String(), importer.Options{Progress: func(d, tot int) { last = [2]int{d, tot} }})
	t.Logf("%d rows imported in %s", n, time.Since(start))
	if res.Imported != n || last != [2]int{n, n} {
		t.Fatalf("imported %d, progress %v", res.Imported, last)
	}
	if c, _ := svc.Count(records.Filter{Kind: domain.KindAppeal, Council: "NRN-KOC"}); c != n {
		t.Errorf("%d appeals in the index", c)
	}
}

func TestImportEvents(t *testing.T) {
	svc, _ := fixture.Empty(t)
	ctx := context.Background()
	csv := "Түрү,Аталышы,Күнү,Кеңештин коду,Жарандар — Аялдар,Жарандар — Эркектер,Журналисттер — Аялдар,Өткөн жери\n" +
		"Коомдук угуу,Жер маселеси,12.03.2026,NRN-ATB,10,8,2,Ат-Башы айылы\n" +
		"forum,Форум,2026-02-01,OSH-ARV,,,,\n"
	res := run(t, svc, "events.csv", csv, importer.Options{Kind: domain.KindEvent})
	if res.Imported != 2 {
		t.Fatalf("%+v", res)
	}
	list, _ := svc.List(records.Filter{Kind: domain.KindEvent})
	e, _ := svc.Event(ctx, list[0].ID)
	if e.Kind != "hearing" || e.Participants["citizens"].Female != 10 || e.Participants["journalists"].Female != 2 || e.Oblast != "KG-N" || e.Venue != "Ат-Башы айылы" {
		t.Errorf("event %+v", e)
	}
}
