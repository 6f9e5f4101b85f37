package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kenesh/kenesh/desktop/internal/export"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/reports/fixture"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/xlsform"
)

func publishCorpus(t *testing.T, svc *records.Service, name string, edit func(*xlsform.Form)) {
	t.Helper()
	data, err := os.ReadFile("../../../shared/xlsform/testdata/" + name + ".xlsx")
	if err != nil {
		t.Fatal(err)
	}
	f, err := xlsform.Read(data)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(f)
	}
	if _, err := svc.PublishQuestionnaire(context.Background(), f, name+".xlsx"); err != nil {
		t.Fatal(err)
	}
}

func respond(t *testing.T, svc *records.Service, form, council, js string) *domain.Response {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(js), &m); err != nil {
		t.Fatal(err)
	}
	r := domain.Response{FormID: form, Council: council}
	for k, v := range m {
		r.Answers = append(r.Answers, domain.Answer{ID: k, Value: v})
	}
	out, err := svc.SaveResponse(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Responses export as Kobo users expect: a row per response, a column per
// question in the form's order (a select_multiple's choices names, then
// a 1/0 column per choice), the response's own columns after; with
// labels, heads and choices in words; numbers as numbers in XLSX; every
// version's questions; and the export is recorded in the history.
func TestResponsesExport(t *testing.T) {
	ctx := context.Background()
	svc, _, _ := fixture.New(t)
	council := fixture.Councils[0].Code
	publishCorpus(t, svc, "training_test", nil)
	pre := respond(t, svc, "training_test", council, `{"stage": "pre", "q1": "d30", "q2": "council", "q3": ["request"]}`)
	// A second version adds a question; the first version's response
	// keeps its version and has that column empty.
	publishCorpus(t, svc, "training_test", func(f *xlsform.Form) {
		f.Version = "v4"
		f.Questions = append(f.Questions, &xlsform.Question{Type: xlsform.TypeText, Name: "remark", Label: xlsform.Text{"ky": "Пикир", "ru": "Замечание"}})
	})
	post := respond(t, svc, "training_test", council, `{"stage": "post", "q1": "d14", "q2": "anyone", "q3": ["request", "hearing"], "confidence": 4, "remark": "=1+1"}`)
	if pre.Version != "v3" || post.Version != "v4" {
		t.Fatalf("versions %s %s", pre.Version, post.Version)
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "тест.csv")
	res, x, err := export.ResponsesToFile(ctx, svc, path, export.ResponsesOptions{FormID: "training_test", Format: domain.FormatCSV})
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != 2 || x == nil || !slices.Equal(x.Kinds, []string{domain.KindResponse}) || !x.PersonalData {
		t.Fatalf("result %+v, export %+v", res, x)
	}
	b, _ := os.ReadFile(path)
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Fatal("no byte order mark")
	}
	rows, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := strings.Join(rows[0], ",")
	if want := "stage,q1,q2,q3,q3/request,q3/hearing,q3/fine,confidence,remark,_id,_council,_filled_on,_version,_submitted_by,_submission_time"; head != want {
		t.Fatalf("head\n%s\nwant\n%s", head, want)
	}
	byID := map[string][]string{}
	for _, r := range rows[1:] {
		byID[r[9]] = r
	}
	if got := strings.Join(byID[post.ID][:11], ","); got != "post,d14,anyone,request hearing,1,1,0,4,'=1+1,"+post.ID+","+council {
		t.Fatalf("post row %s", got)
	}
	if got := strings.Join(byID[pre.ID][:9], ","); got != "pre,d30,council,request,1,0,0,," || byID[pre.ID][12] != "v3" {
		t.Fatalf("pre row %v", byID[pre.ID])
	}
	if _, _, err := export.ResponsesToFile(ctx, svc, path, export.ResponsesOptions{FormID: "training_test", Format: domain.FormatCSV}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("over an existing file: %v", err)
	}

	// XLSX with labels in Russian, one version only.
	var buf bytes.Buffer
	if _, err := export.WriteResponses(ctx, svc, &buf, export.ResponsesOptions{FormID: "training_test", Version: "v4", Format: domain.FormatXLSX, Language: "ru", Labels: true}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	xrows, _ := f.GetRows("training_test")
	if len(xrows) != 2 || xrows[0][0] != "Когда проходит тест?" || xrows[1][0] != "После обучения" || xrows[1][3] != "Запрашивать информацию; Проводить слушания" {
		t.Fatalf("xlsx rows %v", xrows)
	}
	// A number cell: no string type (a number's is left out, or "n").
	if typ, _ := f.GetCellType("training_test", "H2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Fatalf("confidence is a %v cell, not a number", typ)
	}
	if typ, _ := f.GetCellType("training_test", "A2"); typ == excelize.CellTypeNumber || typ == excelize.CellTypeUnset {
		t.Fatal("a text is not a text cell")
	}
	if _, err := export.WriteResponses(ctx, svc, &buf, export.ResponsesOptions{FormID: "nope", Format: domain.FormatCSV}); err == nil {
		t.Fatal("a questionnaire never published exported")
	}
	if _, err := export.WriteResponses(ctx, svc, &buf, export.ResponsesOptions{FormID: "training_test", Format: domain.FormatPDF}); err == nil {
		t.Fatal("responses exported as PDF")
	}
}
