package main

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestReportCommand(t *testing.T) {
	c := newCLI(t)
	c.ok("", "init", "--device-name", "Бишкек")
	c.ok("", "council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы коомдук кеңеши", "--oblast", "KG-N", "--district", "KG-N-ATB")
	c.ok("", "council", "add", "--code", "OSH-ARV", "--name", "Араван коомдук кеңеши", "--oblast", "KG-O")
	c.ok(appealJSON, "appeal", "add")
	c.ok(appealJSON, "appeal", "add")
	c.ok(`{"council":"OSH-ARV","kind":"hearing","title":"Угуу","date":"`+time.Now().Format("2006-01-02")+`","oblast":"KG-O",
		"participants":{"citizens":{"female":4,"male":3}}}`, "event", "add")

	type figures struct {
		Appeals struct {
			Total     int            `json:"total"`
			ByChannel map[string]int `json:"by_channel"`
		} `json:"appeals"`
		Events struct {
			ParticipantsTotal struct{ Total int } `json:"participants_total"`
		} `json:"events"`
	}
	r := decode[struct {
		Schema string `json:"schema"`
		Digest string `json:"digest"`
		Point  struct {
			Clock uint64 `json:"clock"`
		} `json:"log_point"`
		Summary figures `json:"summary"`
		Groups  []struct {
			Key string `json:"key"`
			figures
		} `json:"groups"`
	}](t, c.ok("", "report", "--by", "council"))
	if r.Schema != "kenesh.report/1" || len(r.Digest) != 64 || r.Point.Clock == 0 {
		t.Errorf("report head: %+v", r)
	}
	if r.Summary.Appeals.Total != 2 || r.Summary.Appeals.ByChannel["phone"] != 2 || r.Summary.Events.ParticipantsTotal.Total != 7 {
		t.Errorf("summary %+v", r.Summary)
	}
	if len(r.Groups) != 2 || r.Groups[0].Key != "NRN-ATB" || r.Groups[0].Appeals.Total != 2 || r.Groups[1].Appeals.Total != 0 {
		t.Errorf("groups %+v", r.Groups)
	}
	// As of yesterday nothing had been recorded.
	yesterday := time.Now().AddDate(0, 0, -1).Format("2006-01-02")
	past := decode[struct {
		Summary figures `json:"summary"`
		Replay  struct {
			Later int `json:"later"`
		} `json:"replay"`
	}](t, c.ok("", "report", "--as-of", yesterday))
	if past.Summary.Appeals.Total != 0 || past.Replay.Later == 0 {
		t.Errorf("as of %s: %+v", yesterday, past)
	}
	// By district: the records' own district (the two appeals above say
	// none).
	c.ok(strings.Replace(appealJSON, `"oblast": "KG-N",`, `"oblast": "KG-N", "district": "KG-N-ATB",`, 1), "appeal", "add")
	for district, want := range map[string]int{"KG-N-ATB": 1, "KG-N-KOC": 0} {
		d := decode[struct {
			Summary figures `json:"summary"`
		}](t, c.ok("", "report", "--district", district))
		if d.Summary.Appeals.Total != want {
			t.Errorf("--district %s: %d appeals, want %d", district, d.Summary.Appeals.Total, want)
		}
	}
	for _, bad := range [][]string{{"--by", "week"}, {"--oblast", "KG-X"}, {"--from", "2026-03-01", "--to", "2026-02-01"}, {"--from", "1 March"}, {"--council", "NOPE"},
		{"--district", "KG-N-XXX"}, {"--oblast", "KG-O", "--district", "KG-N-ATB"}} {
		code, _, errs := c.run("", append([]string{"report"}, bad...)...)
		if code != 2 || !strings.Contains(errs, "report") {
			t.Errorf("report %v: exit %d, %s", bad, code, errs)
		}
	}
}

func TestExportCommand(t *testing.T) {
	c := newCLI(t)
	c.ok("", "init", "--device-name", "Бишкек")
	c.ok("", "council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы коомдук кеңеши", "--oblast", "KG-N", "--district", "KG-N-ATB")
	c.ok(appealJSON, "appeal", "add")
	dir := t.TempDir()
	out := filepath.Join(dir, "appeals.json")
	got := decode[map[string]any](t, c.ok("", "export", "--format", "json", "--kind", "appeal", "--out", out))
	if got["records"] != 1.0 || got["personal_data"] != false || got["export_id"] == "" {
		t.Errorf("summary %v", got)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "Токтогулов") || !strings.Contains(string(b), "police_justice") {
		t.Errorf("anonymised export:\n%s", b)
	}
	personal := filepath.Join(dir, "personal.json")
	c.ok("", "export", "--format", "json", "--kind", "appeal", "--with-personal-data", "--out", personal)
	if b, _ := os.ReadFile(personal); !strings.Contains(string(b), "Токтогулов Эрмек") {
		t.Errorf("export with personal data:\n%s", b)
	}
	pdf := filepath.Join(dir, "report.pdf")
	got = decode[map[string]any](t, c.ok("", "export", "--format", "pdf", "--lang", "ru", "--out", pdf))
	if got["records"] != 1.0 || len(got["digest"].(string)) != 64 {
		t.Errorf("pdf: %v", got)
	}
	if b, _ := os.ReadFile(pdf); !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("not a PDF: %q", b[:min(len(b), 20)])
	}
	// Grants: CSV is a zip of the grants, their milestones and their
	// disbursements.
	c.ok(`{"council": "NRN-ATB", "purpose": "Бюджет кампаниясы", "amount": 150000, "start_on": "2026-01-15", "end_on": "2026-07-31",
		"milestones": [{"title": "Ачык угуу", "due": "2026-03-01"}], "disbursements": [{"on": "2026-01-20", "amount": 50000, "note": "№ 17"}]}`, "grant", "add")
	grants := filepath.Join(dir, "grants.zip")
	got = decode[map[string]any](t, c.ok("", "export", "--format", "csv", "--kind", "grant", "--out", grants))
	if got["records"] != 1.0 || got["personal_data"] != false {
		t.Errorf("grants: %v", got)
	}
	z, err := zip.OpenReader(grants)
	if err != nil {
		t.Fatalf("grants' CSV: %v", err)
	}
	var names []string
	for _, f := range z.File {
		names = append(names, f.Name)
	}
	z.Close()
	if !slices.Equal(names, []string{"grants.csv", "grant_milestones.csv", "grant_disbursements.csv"}) {
		t.Errorf("grants' zip holds %v", names)
	}
	// All four are in the history, which syncs.
	hist := decode[[]map[string]any](t, c.ok("", "export", "history"))
	if len(hist) != 4 || hist[2]["personal_data"] != true || hist[2]["file"] != "personal.json" || hist[1]["format"] != "pdf" || hist[0]["file"] != "grants.zip" {
		t.Errorf("history %v", hist)
	}
	for _, bad := range [][]string{
		{"--format", "docx", "--out", filepath.Join(dir, "x")},
		{"--format", "json"},
		{"--out", filepath.Join(dir, "y")},
		{"--format", "json", "--kind", "competition", "--out", filepath.Join(dir, "z")},
		{"--format", "csv", "--lang", "fr", "--out", filepath.Join(dir, "w")},
		{"--format", "csv", "--oblast", "KG-X", "--out", filepath.Join(dir, "v")},
		{"--format", "pdf", "--with-personal-data", "--out", filepath.Join(dir, "u")},
	} {
		if code, _, errs := c.run("", append([]string{"export"}, bad...)...); code != 2 {
			t.Errorf("export %v: exit %d, %s", bad, code, errs)
		}
	}
	if code, _, errs := c.run("", "export", "--format", "json", "--out", out); code != 1 || !strings.Contains(errs, "already exists") {
		t.Errorf("export over a file: exit %d, %s", code, errs)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("files left: %v", entries)
	}
}

func TestImportCommand(t *testing.T) {
	c := newCLI(t)
	c.ok("", "init", "--device-name", "Ат-Башы")
	c.ok("", "council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы коомдук кеңеши", "--oblast", "KG-N", "--district", "KG-N-ATB")
	dir := t.TempDir()
	file := filepath.Join(dir, "реестр.csv")
	os.WriteFile(file, []byte("Кабыл алынган күнү;Кантип келип түштү;Кайсы укук;Кыскача мазмуну;Аты-жөнү;Абалы\n"+
		"05.03.2026;Телефон аркылуу;Саламаттык сактоо;Дары берилген жок;Асанова Гүлнара;Кабыл алынды\n"+
		"40.03.2026;Телефон аркылуу;Саламаттык сактоо;Дары берилген жок;Асанова Гүлнара;\n"), 0o600)
	mapping := filepath.Join(dir, "mapping.json")
	os.WriteFile(mapping, []byte(`{"defaults": {"council": "NRN-ATB"}}`), 0o600)

	// A dry run lists the bad row and saves nothing.
	out := c.ok("", "import", "--kind", "appeal", file, "--dry-run", "--mapping", mapping)
	res := decode[struct {
		Imported int `json:"imported"`
		Refused  []struct {
			Row     int    `json:"row"`
			Column  string `json:"column"`
			Problem string `json:"problem"`
		} `json:"refused"`
	}](t, out)
	if res.Imported != 1 || len(res.Refused) != 1 || res.Refused[0].Row != 3 || res.Refused[0].Column != "Кабыл алынган күнү" {
		t.Errorf("dry run: %s", out)
	}
	// Without it, nothing is imported and keneshctl exits 1.
	code, out, errs := c.run("", "import", "--kind", "appeal", file, "--mapping", mapping)
	if code != 1 || !strings.Contains(errs, "nothing was imported") || !strings.Contains(out, `"row": 3`) {
		t.Errorf("import with a bad row: exit %d\n%s\n%s", code, out, errs)
	}
	if list := decode[[]any](t, c.ok("", "appeal", "list")); len(list) != 0 {
		t.Errorf("%d appeals after a refused import", len(list))
	}
	// Fixed, it imports; again, it adds nothing.
	b, _ := os.ReadFile(file)
	os.WriteFile(file, []byte(strings.Replace(string(b), "40.03.2026", "06.03.2026", 1)), 0o600)
	got := decode[map[string]any](t, c.ok("", "import", "--kind", "appeal", file, "--mapping", mapping))
	if got["imported"] != 2.0 {
		t.Errorf("import: %v", got)
	}
	got = decode[map[string]any](t, c.ok("", "import", "--kind", "appeal", file, "--mapping", mapping))
	if got["imported"] != 0.0 || len(got["duplicates"].([]any)) != 2 {
		t.Errorf("second import: %v", got)
	}
	for _, bad := range [][]string{{"import", file}, {"import", "--kind", "grant", file}, {"import", "--kind", "appeal"}} {
		if code, _, errs := c.run("", bad...); code != 2 {
			t.Errorf("%v: exit %d %s", bad, code, errs)
		}
	}
	if code, _, errs := c.run("", "import", "--kind", "appeal", filepath.Join(dir, "nope.csv")); code != 1 || !strings.Contains(errs, "no such file") {
		t.Errorf("a missing file: exit %d %s", code, errs)
	}
}
