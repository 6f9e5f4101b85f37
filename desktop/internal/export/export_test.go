package export_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kenesh/kenesh/desktop/internal/export"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/reports"
	"github.com/kenesh/kenesh/desktop/internal/reports/fixture"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

var keep = flag.String("export.keep", "", "also write sample exports into this directory, to look at")

// kept writes b as name into -export.keep's directory, when given.
func kept(t *testing.T, name string, b []byte) {
	if *keep == "" {
		return
	}
	if err := os.WriteFile(filepath.Join(*keep, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func quarter() reports.Filter {
	return reports.Filter{From: caldate.MustParse(fixture.From), To: caldate.MustParse(fixture.To)}
}

func write(t *testing.T, svc *records.Service, o export.Options) ([]byte, *export.Result) {
	t.Helper()
	var buf bytes.Buffer
	res, err := export.Write(context.Background(), svc, &buf, o)
	if err != nil {
		t.Fatalf("export %+v: %v", o, err)
	}
	return buf.Bytes(), res
}

// sheets reads every cell of a workbook with excelize's reader: sheet →
// rows → cells as shown.
func sheets(t *testing.T, b []byte) (map[string][][]string, *excelize.File) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the XLSX does not open: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	out := map[string][][]string{}
	for _, name := range f.GetSheetList() {
		rows, err := f.GetRows(name)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = rows
	}
	return out, f
}

func TestXLSX(t *testing.T) {
	svc, _, _ := fixture.New(t)
	b, res := write(t, svc, export.Options{Format: domain.FormatXLSX, Filter: quarter(), Language: "ky"})
	kept(t, "report-ky.xlsx", b)
	if res.Records != 8 || res.ByKind["appeal"] != 5 || res.ByKind["event"] != 3 || res.Report == nil {
		t.Fatalf("result %+v", res)
	}
	got, f := sheets(t, b)
	list := f.GetSheetList()
	want := []string{"Жыйынтык", "Облустар боюнча", "Кеңештер боюнча", "Айлар боюнча", "Кайрылуулар", "Иш-чаралар",
		"Гранттар", "Гранттардын этаптары", "Гранттар боюнча төлөмдөр"}
	if !slices.Equal(list, want) {
		t.Fatalf("sheets %v, want %v", list, want)
	}
	// The summary holds the report's figures, as numbers.
	value := func(sheet, label string) string {
		for _, r := range got[sheet] {
			if len(r) > 1 && r[0] == label {
				return r[1]
			}
		}
		t.Errorf("sheet %s has no line %q", sheet, label)
		return ""
	}
	if v := value("Жыйынтык", "Бардык кайрылуулар"); v != "5" {
		t.Errorf("appeals on the summary: %q", v)
	}
	if v := value("Жыйынтык", "Камтылган адамдар"); v != "38" {
		t.Errorf("people reached on the summary: %q", v)
	}
	if v := value("Жыйынтык", "Көрсөткүчтөрдүн дайджести (SHA-256)"); v != res.Report.Digest {
		t.Errorf("digest on the summary %q, report's %q", v, res.Report.Digest)
	}
	if v := value("Кеңештер боюнча", "Кочкор коомдук кеңеши"); v != "1" { // events of Kochkor
		t.Errorf("Kochkor's events: %q", v)
	}

	// The appeals' sheet: heads in Kyrgyz, one line per appeal, real dates,
	// a frozen head.
	ap := got["Кайрылуулар"]
	if len(ap) != 6 {
		t.Fatalf("%d lines on the appeals' sheet, want a head and 5", len(ap))
	}
	col := func(head string) int {
		i := slices.Index(ap[0], head)
		if i < 0 {
			t.Fatalf("no column %q in %v", head, ap[0])
		}
		return i
	}
	reg, received, channel := col("Катт. номери"), col("Кабыл алынган күнү"), col("Кантип келип түштү")
	var channels []string
	for _, r := range ap[1:] {
		channels = append(channels, r[channel])
		if !strings.HasPrefix(r[reg], "NRN-") && !strings.HasPrefix(r[reg], "OSH-") {
			t.Errorf("registration number %q", r[reg])
		}
	}
	if !slices.Contains(channels, "Телефон аркылуу") {
		t.Errorf("channels %v: not in words", channels)
	}
	cell, _ := excelize.CoordinatesToCellName(received+1, 2)
	raw, err := f.GetCellValue("Кайрылуулар", cell, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	if typ, _ := f.GetCellType("Кайрылуулар", cell); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber && typ != excelize.CellTypeDate {
		t.Errorf("received on is a %v cell, want a date (a number with a date format)", typ)
	}
	if serial, err := strconv.ParseFloat(raw, 64); err != nil || serial < 46000 || serial > 46200 {
		t.Errorf("received on is stored as %q, want a date's serial number (2026: about 46,100)", raw)
	}
	if shown, _ := f.GetCellValue("Кайрылуулар", cell); !strings.HasSuffix(shown, ".2026") {
		t.Errorf("received on shows as %q, want dd.mm.yyyy", shown)
	}
	panes, err := f.GetPanes("Кайрылуулар")
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("the head row is not frozen: %+v %v", panes, err)
	}
	ev := got["Иш-чаралар"]
	if len(ev) != 4 || !slices.Contains(ev[0], "Жарандар — Аялдар") {
		t.Errorf("events' sheet: %d lines, heads %v", len(ev), ev[0])
	}
}

func TestCSV(t *testing.T) {
	svc, _, _ := fixture.New(t)
	b, res := write(t, svc, export.Options{Format: domain.FormatCSV, Kinds: []string{domain.KindAppeal}, Filter: quarter(), Language: "ru"})
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Fatal("no byte order mark: Excel would read the Cyrillic as the local code page")
	}
	rows, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv cannot read it: %v", err)
	}
	if len(rows) != 6 || res.Records != 5 || rows[0][0] != "Рег. номер" {
		t.Fatalf("%d rows, head %v", len(rows), rows[0])
	}
	i := slices.Index(rows[0], "Получено")
	if i < 0 || rows[1][i] != "2026-01-20" { // A4, the first made

		t.Errorf("received on: column %d, %v", i, rows[1])
	}

	// Both kinds: a zip of a CSV file each.
	b, _ = write(t, svc, export.Options{Format: domain.FormatCSV, Filter: quarter(), Language: "en"})
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	lines := map[string]int{}
	for _, f := range z.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		lines[f.Name] = len(rows)
	}
	// The fixture has no grant: their three files hold their heads.
	if lines["appeals.csv"] != 6 || lines["events.csv"] != 4 || lines["grants.csv"] != 1 || lines["grant_milestones.csv"] != 1 ||
		lines["grant_disbursements.csv"] != 1 || len(lines) != 5 {
		t.Errorf("zip holds %v", lines)
	}
}

func TestJSON(t *testing.T) {
	svc, fx, _ := fixture.New(t)
	ctx := context.Background()
	b, _ := write(t, svc, export.Options{Format: domain.FormatJSON, Kinds: []string{domain.KindAppeal}, Filter: quarter(), Personal: true})
	var recs []domain.Appeal
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatalf("not an array of appeals: %v\n%s", err, b)
	}
	if len(recs) != 5 {
		t.Fatalf("%d appeals", len(recs))
	}
	// With personal data, as keneshctl appeal show prints the record.
	a1, err := svc.Appeal(ctx, fx.IDs["A1"])
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(recs, func(a domain.Appeal) bool { return a.ID == a1.ID })
	want, _ := json.Marshal(a1)
	got, _ := json.Marshal(recs[i])
	if !bytes.Equal(got, want) {
		t.Errorf("exported\n%s\nshown\n%s", got, want)
	}
	// Both kinds: an object with an array each.
	b, _ = write(t, svc, export.Options{Format: domain.FormatJSON, Filter: quarter()})
	var both map[string][]map[string]any
	if err := json.Unmarshal(b, &both); err != nil {
		t.Fatalf("not an object of arrays: %v\n%s", err, b)
	}
	if len(both["appeal"]) != 5 || len(both["event"]) != 3 {
		t.Errorf("appeals %d, events %d", len(both["appeal"]), len(both["event"]))
	}
	if _, ok := both["appeal"][0]["appellant"]; ok {
		t.Error("an anonymised export holds the appellant")
	}
	// Nothing: an empty array, still JSON.
	fl := quarter()
	fl.Council = "OSH-ARV"
	fl.From = caldate.MustParse("2026-03-01")
	b, _ = write(t, svc, export.Options{Format: domain.FormatJSON, Kinds: []string{domain.KindAppeal}, Filter: fl})
	if strings.TrimSpace(string(b)) != "[]" {
		t.Errorf("no appeals: %q", b)
	}
}

// everything is the text of an export of any format, as its reader sees it.
func everything(t *testing.T, format string, b []byte) string {
	t.Helper()
	var sb strings.Builder
	switch format {
	case domain.FormatXLSX:
		got, _ := sheets(t, b)
		for _, rows := range got {
			for _, r := range rows {
				sb.WriteString(strings.Join(r, "\t") + "\n")
			}
		}
	case domain.FormatCSV:
		z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range z.File {
			rc, _ := f.Open()
			rows, err := csv.NewReader(rc).ReadAll()
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				sb.WriteString(strings.Join(r, "\t") + "\n")
			}
		}
	case domain.FormatJSON:
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		s, _ := json.Marshal(v)
		sb.Write(s)
		// JSON escapes nothing Cyrillic, but a reader would see \u-escapes
		// as the letters: compare decoded strings too.
		var walk func(any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				for k, y := range x {
					sb.WriteString(k + "\n")
					walk(y)
				}
			case []any:
				for _, y := range x {
					walk(y)
				}
			case string:
				sb.WriteString(x + "\n")
			}
		}
		walk(v)
	}
	return sb.String()
}

// No personal field of any appeal reaches an anonymised export, in any
// format; the same exports with personal data hold them all (so the test
// would see them).
func TestAnonymisedHoldsNoPersonalData(t *testing.T) {
	svc, _, _ := fixture.New(t)
	for _, format := range []string{domain.FormatXLSX, domain.FormatCSV, domain.FormatJSON} {
		for _, personal := range []bool{false, true} {
			b, _ := write(t, svc, export.Options{Format: format, Personal: personal, Language: "ky"})
			text := everything(t, format, b)
			for _, p := range fixture.Personal {
				if has := strings.Contains(text, p); has != personal {
					t.Errorf("%s, personal data %v: holds %q: %v", format, personal, p, has)
				}
			}
		}
	}
	// The columns of an anonymised export are those the one rule allows.
	for _, k := range export.Kinds {
		for _, c := range k.ColumnsOf(svc.Catalog(), false) {
			if !domain.Anonymised(k.Name, c.Path) {
				t.Errorf("%s: column %s is not in domain.Anonymised", k.Name, c.Path)
			}
		}
	}
}

func TestAsOf(t *testing.T) {
	svc, fx, _ := fixture.New(t)
	fl := quarter()
	fl.AsOf = caldate.MustParse(fixture.AsOf)
	b, res := write(t, svc, export.Options{Format: domain.FormatJSON, Kinds: []string{domain.KindAppeal}, Filter: fl, Personal: true})
	var recs []domain.Appeal
	if err := json.Unmarshal(b, &recs); err != nil {
		t.Fatal(err)
	}
	status := map[string]domain.Status{}
	for _, a := range recs {
		status[a.ID] = a.Status
	}
	// A5 was deleted after 03-15 and A7 received after it; A1 was still
	// referred then.
	if len(recs) != 5 || status[fx.IDs["A5"]] != domain.StatusReceived || status[fx.IDs["A1"]] != domain.StatusReferred {
		t.Errorf("as of %s: %d appeals, statuses %v", fixture.AsOf, len(recs), status)
	}
	if _, ok := status[fx.IDs["A7"]]; ok {
		t.Error("A7, received after the day, is in the export as of it")
	}
	if res.Point.ClockAt.After(reports.Cutoff(fl.AsOf)) {
		t.Errorf("log point %v after the cut-off", res.Point)
	}
}

// ToFile writes a new file readable by its owner only, never over another,
// and leaves an entry in the history.
func TestToFileRecordsTheExport(t *testing.T) {
	svc, _, _ := fixture.New(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "отчет.xlsx")
	o := export.Options{Format: domain.FormatXLSX, Filter: quarter(), Language: "ru"}
	var progress [][2]int
	o.Progress = func(done, total int) { progress = append(progress, [2]int{done, total}) }
	res, x, err := export.ToFile(ctx, svc, path, o)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("file: %v %v", st, err)
	}
	if last := progress[len(progress)-1]; last != [2]int{8, 8} {
		t.Errorf("progress %v", progress)
	}
	xs, err := svc.Exports(ctx)
	if err != nil || len(xs) != 1 {
		t.Fatalf("history: %v %v", xs, err)
	}
	got := xs[0]
	if got.ID != x.ID || got.Format != "xlsx" || got.Records != 8 || got.PersonalData || got.File != "отчет.xlsx" ||
		got.Filter.From.String() != fixture.From || got.Digest != res.Report.Digest || got.LogPoint == nil || got.LogPoint.Clock == 0 ||
		got.By != "Бишкек ноутбугу" || got.Language != "ru" || !slices.Equal(got.Kinds, []string{"appeal", "event", "grant"}) {
		t.Errorf("recorded %+v", got)
	}
	// Never over an existing file, and nothing recorded then.
	if _, _, err := export.ToFile(ctx, svc, path, o); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second export to the same file: %v", err)
	}
	if xs, _ := svc.Exports(ctx); len(xs) != 1 {
		t.Errorf("%d exports recorded", len(xs))
	}
	// A failed export leaves no file and no record.
	bad := filepath.Join(t.TempDir(), "x.pdf")
	if _, _, err := export.ToFile(ctx, svc, bad, export.Options{Format: "docx"}); err == nil {
		t.Error("an unknown format was exported")
	}
	if _, err := os.Stat(bad); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed export left %s", bad)
	}
	entries, _ := os.ReadDir(filepath.Dir(bad))
	if len(entries) != 0 {
		t.Errorf("a failed export left %v", entries)
	}
}

func TestWhoMayExportWhat(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		role, council string
		personal      bool
		wantErr       error
		appeals       int
	}{
		{domain.RoleSecretary, "NRN-ATB", true, nil, 2},
		{domain.RoleSecretary, "NRN-ATB", false, nil, 2},
		{domain.RoleCentral, "", true, nil, 5},
		{domain.RoleTrainer, "", true, export.ErrPersonalNotAllowed, 0},
		{domain.RoleTrainer, "", false, nil, 0},
	} {
		svc, _, _ := fixture.New(t)
		if err := svc.Enroll(ctx, records.Enrollment{Server: "https://kenesh.example", Council: tt.council, Role: tt.role, Name: "x"}); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		res, err := export.Write(ctx, svc, &buf, export.Options{Format: domain.FormatJSON, Kinds: []string{domain.KindAppeal}, Filter: quarter(), Personal: tt.personal})
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s, personal %v: %v, want %v", tt.role, tt.personal, err, tt.wantErr)
			continue
		}
		if err == nil && res.Records != tt.appeals {
			t.Errorf("%s of %s: %d appeals exported, want %d", tt.role, tt.council, res.Records, tt.appeals)
		}
	}
}

// A text that a spreadsheet would run as a formula is written so that it
// does not.
func TestCSVFormulaIsText(t *testing.T) {
	svc, _, _ := fixture.New(t)
	ctx := context.Background()
	_, err := svc.CreateAppeal(ctx, domain.Appeal{Council: "NRN-ATB", Channel: "electronic", Oblast: "KG-N",
		Appellant: &domain.Appellant{Name: "=HYPERLINK(\"http://x\",\"click\")"}, Category: "other", Summary: "@SUM(A1)",
		ReceivedOn: caldate.MustParse(fixture.Today), RegisteredOn: caldate.MustParse(fixture.Today)})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := write(t, svc, export.Options{Format: domain.FormatCSV, Kinds: []string{domain.KindAppeal}, Personal: true})
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, r := range rows[1:] {
		for _, c := range r {
			if strings.HasPrefix(c, "=") || strings.HasPrefix(c, "@") {
				t.Errorf("a cell starts a formula: %q", c)
			}
			if c == `'=HYPERLINK("http://x","click")` || c == "'@SUM(A1)" {
				found++
			}
		}
	}
	if found != 2 {
		t.Errorf("found %d guarded cells, want 2", found)
	}
}

// A file's name says what it holds: an export refuses a name whose
// extension says another format (a zip of CSV files named .csv opens in
// a spreadsheet as gibberish), before writing or recording anything; a
// name of its own (another extension, or none) is the writer's choice.
func TestFileNameSaysTheFormat(t *testing.T) {
	svc, _, _ := fixture.New(t)
	ctx := context.Background()
	for _, tt := range []struct {
		format, kind, name string
		refused            string // what the refusal says; "" if written
	}{
		{domain.FormatCSV, "", "реестр.csv", "name the file .zip, or export one kind"},
		{domain.FormatCSV, "", "реестр.zip", ""},
		{domain.FormatCSV, domain.KindAppeal, "кайрылуулар.CSV", ""},
		{domain.FormatCSV, domain.KindAppeal, "кайрылуулар.zip", "name the file .csv"},
		{domain.FormatXLSX, "", "отчет.pdf", "this export is XLSX: name the file .xlsx"},
		{domain.FormatXLSX, "", "отчет.xls", "name the file .xlsx"},
		{domain.FormatPDF, "", "отчет.json", "name the file .pdf"},
		{domain.FormatJSON, "", "records.json", ""},
		{domain.FormatJSON, "", "records.ndjson", ""},
		{domain.FormatJSON, "", "records", ""},
	} {
		t.Run(tt.format+" "+tt.kind+" "+tt.name, func(t *testing.T) {
			o := export.Options{Format: tt.format, Filter: quarter()}
			if tt.kind != "" {
				o.Kinds = []string{tt.kind}
			}
			before, _ := svc.Exports(ctx)
			path := filepath.Join(t.TempDir(), tt.name)
			_, _, err := export.ToFile(ctx, svc, path, o)
			after, _ := svc.Exports(ctx)
			if tt.refused == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if len(after) != len(before)+1 {
					t.Errorf("%d exports recorded, want %d", len(after), len(before)+1)
				}
				return
			}
			var oe *export.OptionsError
			if !errors.As(err, &oe) || !strings.Contains(err.Error(), tt.refused) {
				t.Fatalf("got %v, want a refusal saying %q", err, tt.refused)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a refused export left %s", path)
			}
			if len(after) != len(before) {
				t.Errorf("a refused export was recorded")
			}
		})
	}
}
