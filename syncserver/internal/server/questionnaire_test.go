package server

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/xlsform"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
)

// corpusForm is a workbook of shared/xlsform's test corpus.
func corpusForm(name string) string {
	return filepath.Join("..", "..", "..", "shared", "xlsform", "testdata", name+".xlsx")
}

// questionnaireFields are a definition record's fields for the form of
// the workbook at path.
func questionnaireFields(t *testing.T, path string) (string, map[string]any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := xlsform.Read(data)
	if err != nil {
		t.Fatal(err)
	}
	def, _ := json.Marshal(f)
	return domain.QuestionnaireID(f.ID, f.Version), map[string]any{"form_id": f.ID, "version": f.Version,
		"published_on": "2026-03-12", "definition": json.RawMessage(def)}
}

// The server checks a response against the definition it names, as the
// laptops do (shared/policy.CheckResponse, shared/xlsform), whatever a
// laptop sends: only central staff publish a definition, once; a response
// whose answers break it, or that names a version never published, is
// refused with the questions at fault.
func TestResponsesCheckedAgainstTheirDefinition(t *testing.T) {
	h := newHarness(t)
	h.council("NRN-ATB", "KG-N")
	sec := h.enroll(domain.RoleSecretary, "NRN-ATB")
	central := h.enroll(domain.RoleCentral, "")
	trainer := h.enroll(domain.RoleTrainer, "")

	qid, qf := questionnaireFields(t, corpusForm("council_needs"))
	for _, d := range []*device{sec, trainer} {
		if r := d.push(d.op(domain.KindQuestionnaire, qid, "", changeset.ActionCreate, qf)); len(r.Refused) != 1 || r.Refused[0].Code != syncproto.CodeForbidden {
			t.Fatalf("%s publishes a questionnaire: %+v", d.role, r.Refused)
		}
	}
	other, _ := questionnaireFields(t, corpusForm("training_test"))
	if r := central.push(central.op(domain.KindQuestionnaire, other, "", changeset.ActionCreate, qf)); len(r.Refused) != 1 || !strings.Contains(r.Refused[0].Message, "is not the record id of") {
		t.Fatalf("a definition under another version's id: %+v", r.Refused)
	}
	if r := central.push(central.op(domain.KindQuestionnaire, qid, "", changeset.ActionCreate, qf)); len(r.Refused) != 0 {
		t.Fatalf("central staff publish: %+v", r.Refused)
	}
	if r := central.push(central.op(domain.KindQuestionnaire, qid, "", changeset.ActionUpdate, map[string]any{"version": "2"})); len(r.Refused) != 1 || r.Refused[0].Code != syncproto.CodeForbidden {
		t.Fatalf("a published version changed: %+v", r.Refused)
	}

	response := func(version string, answers map[string]any) map[string]any {
		f := map[string]any{"council": "NRN-ATB", "form_id": "council_needs_2026", "version": version, "filled_on": "2026-03-12"}
		for k, v := range answers {
			f["answers/"+k] = map[string]any{"id": k, "value": v}
		}
		return f
	}
	good := map[string]any{"respondent_name": "Асанова Айгүл", "gender": "female", "age": 41, "role": "secretary",
		"oblast": "KG-N", "district": "KG-N-ATB", "members": 15, "trained": "no", "needed_topics": []string{"budget"}}
	id := domain.NewID()
	if r := sec.push(sec.op(domain.KindResponse, id, "NRN-ATB", changeset.ActionCreate, response("2026031201", good))); len(r.Refused) != 0 {
		t.Fatalf("a valid response: %+v", r.Refused)
	}
	// An edit that breaks the constraint of the question it writes, and
	// one that answers a question not asked.
	for _, c := range []struct {
		answers map[string]any
		field   string
	}{
		{map[string]any{"age": 12}, "answers/age"},
		{map[string]any{"trained_topics": []string{"law"}}, "answers/trained_topics"},
		{map[string]any{"district": "KG-C-SOK"}, "answers/district"},
		{map[string]any{"favourite": "x"}, "answers/favourite"},
	} {
		fields := map[string]any{}
		for k, v := range c.answers {
			fields["answers/"+k] = map[string]any{"id": k, "value": v}
		}
		r := sec.push(sec.op(domain.KindResponse, id, "NRN-ATB", changeset.ActionUpdate, fields))
		if len(r.Refused) != 1 || r.Refused[0].Code != syncproto.CodeInvalid || len(r.Refused[0].Fields) != 1 || r.Refused[0].Fields[0].Field != c.field {
			t.Fatalf("%v: %+v", c.answers, r.Refused)
		}
	}
	if r := sec.push(sec.op(domain.KindResponse, domain.NewID(), "NRN-ATB", changeset.ActionCreate, response("9", good))); len(r.Refused) != 1 || !strings.Contains(r.Refused[0].Message, "which is not published") {
		t.Fatalf("a version never published: %+v", r.Refused)
	}
	if r := sec.push(sec.op(domain.KindResponse, id, "NRN-ATB", changeset.ActionUpdate, map[string]any{"answers/age": map[string]any{"id": "age", "value": 42}})); len(r.Refused) != 0 {
		t.Fatalf("a valid edit: %+v", r.Refused)
	}
	st, err := h.srv.st.State(context.Background(), domain.KindResponse, id)
	if err != nil || st == nil || !strings.Contains(string(st.Fields["answers/age"].Value), "42") {
		t.Fatalf("the response on the server: %v %v", st, err)
	}
}

// keneshctl builds the laptops' command-line client, or takes it from
// $KENESH_BIN (make test builds it there).
func keneshctl(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("KENESH_BIN"); dir != "" {
		if p := filepath.Join(dir, "keneshctl"); func() bool { _, err := os.Stat(p); return err == nil }() {
			return p
		}
	}
	bin := filepath.Join(t.TempDir(), "keneshctl")
	cmd := exec.Command("go", "build", "-o", bin, "./desktop/cmd/keneshctl")
	cmd.Dir = filepath.Join("..", "..", "..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build keneshctl: %v\n%s", err, out)
	}
	return bin
}

type ctl struct {
	t    *testing.T
	bin  string
	data string
}

// keneshctlLaptop is a laptop driven by keneshctl (bin), initialised and
// enrolled on the harness's server with the role and council given, and
// its device id.
func (h *harness) keneshctlLaptop(t *testing.T, bin, role, council, name string) (ctl, string) {
	t.Helper()
	l := ctl{t: t, bin: bin, data: filepath.Join(t.TempDir(), "data")}
	dev, _ := jsonOf[map[string]any](t, l.ok("", "init", "--device-name", name))["device"].(map[string]any)["id"].(string)
	is, err := h.admin.Enroll(context.Background(), auth.IssueRequest{Role: role, Council: council, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	l.ok("", "enroll", "--server", h.url, "--code", is.Code)
	return l, dev
}

func (l ctl) try(stdin string, args ...string) (int, string, string) {
	l.t.Helper()
	cmd := exec.Command(l.bin, append([]string{"--data", l.data}, args...)...)
	cmd.Env = append(os.Environ(), "KENESH_PASSPHRASE=a passphrase for the test", "KENESH_KDF=test")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &out, &errb, strings.NewReader(stdin)
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		l.t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

func (l ctl) ok(stdin string, args ...string) string {
	l.t.Helper()
	code, out, errs := l.try(stdin, args...)
	if code != 0 {
		l.t.Fatalf("keneshctl %s: exit %d\n%s", strings.Join(args, " "), code, errs)
	}
	return out
}

func jsonOf[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return v
}

// Questionnaires as a script drives them, with keneshctl against the real
// server on 127.0.0.1: central staff publish a needs assessment from its
// XLSForm workbook; each council's laptop gets it with its next sync,
// fills responses (checked as the form says: a bad one exits 1 naming the
// questions) and sends them; each council sees its own, central staff
// every council's; a new version reaches the laptops with the next sync
// and new responses take it, while the old ones keep theirs.
func TestQuestionnairesWithKeneshctl(t *testing.T) {
	if testing.Short() {
		t.Skip("builds keneshctl and runs laptops")
	}
	h := newHarness(t)
	h.council("NRN-ATB", "KG-N")
	h.council("JA-ALA", "KG-J")
	bin := keneshctl(t)
	enroll := func(role, council, name string) ctl { l, _ := h.keneshctlLaptop(t, bin, role, council, name); return l }
	central := enroll(domain.RoleCentral, "", "Борбор")
	atb := enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы катчысы")
	ala := enroll(domain.RoleSecretary, "JA-ALA", "Ала-Бука катчысы")

	// A broken workbook is refused with its row and column.
	broken := filepath.Join(t.TempDir(), "broken.xlsx")
	x, err := excelize.OpenFile(corpusForm("council_needs"))
	if err != nil {
		t.Fatal(err)
	}
	x.SetCellValue("survey", "N8", "pulldata('x', 'y')")
	if err := x.SaveAs(broken); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := central.try("", "form", "publish", broken); code != 1 || !strings.Contains(errs, "survey sheet, row 8, column N (relevant)") || !strings.Contains(errs, "pulldata() is not supported") {
		t.Fatalf("a broken form: exit %d, %s", code, errs)
	}
	if code, _, errs := atb.try("", "form", "publish", corpusForm("council_needs")); code != 1 || !strings.Contains(errs, "questionnaire") {
		t.Fatalf("a secretary publishes: exit %d, %s", code, errs)
	}

	pub := jsonOf[map[string]any](t, central.ok("", "form", "publish", corpusForm("council_needs")))
	if pub["form_id"] != "council_needs_2026" || pub["version"] != "2026031201" || pub["questions"] != float64(15) {
		t.Fatalf("published: %v", pub)
	}
	central.ok("", "sync")

	atb.ok("", "sync")
	forms := jsonOf[[]map[string]any](t, atb.ok("", "form", "list"))
	if len(forms) != 1 || forms[0]["form_id"] != "council_needs_2026" {
		t.Fatalf("the council's forms after its sync: %v", forms)
	}
	bad := `{"respondent_name": "Асанова Айгүл", "gender": "female", "age": 12, "role": "other", "oblast": "KG-N", "district": "KG-J-ALA", "members": 15, "trained": "no", "needed_topics": ["budget"]}`
	code, _, errs := atb.try(bad, "response", "add", "council_needs_2026")
	for _, want := range []string{"age: does not meet its constraint", "role_other: is required", `district: "KG-J-ALA" is not offered`} {
		if code != 1 || !strings.Contains(errs, want) {
			t.Fatalf("a bad response: exit %d, want %q in\n%s", code, want, errs)
		}
	}
	good := `{"respondent_name": "Асанова Айгүл", "gender": "female", "age": 41, "role": "secretary", "oblast": "KG-N", "district": "KG-N-ATB", "members": 15, "women": 6, "trained": "yes", "trained_topics": ["law"], "needed_topics": ["budget", "media"], "comment": "Бюджетти көзөмөлдөөнү үйрөнгүбүз келет"}`
	r1 := jsonOf[map[string]any](t, atb.ok(good, "response", "add", "council_needs_2026", "--filled-on", "2026-03-12"))
	if r1["council"] != "NRN-ATB" || r1["version"] != "2026031201" || r1["answers"].(map[string]any)["age"] != float64(41) {
		t.Fatalf("saved: %v", r1)
	}
	atb.ok("", "sync")

	ala.ok("", "sync")
	alaGood := strings.NewReplacer(`"KG-N"`, `"KG-J"`, `"KG-N-ATB"`, `"KG-J-ALA"`, "Асанова Айгүл", "Токтосунов Бакыт", `"female"`, `"male"`).Replace(good)
	ala.ok(alaGood, "response", "add", "council_needs_2026")
	ala.ok("", "sync")
	atb.ok("", "sync")
	if l := jsonOf[[]map[string]any](t, atb.ok("", "response", "list", "council_needs_2026")); len(l) != 1 || l[0]["id"] != r1["id"] {
		t.Fatalf("At-Bashy sees only its own response: %v", l)
	}
	central.ok("", "sync")
	all := jsonOf[[]map[string]any](t, central.ok("", "response", "list", "council_needs_2026"))
	if len(all) != 2 {
		t.Fatalf("central staff see every council's responses: %v", all)
	}

	// A new version: its title changed in the workbook, a new version in
	// its settings.
	v2 := filepath.Join(t.TempDir(), "council_needs_v2.xlsx")
	x, err = excelize.OpenFile(corpusForm("council_needs"))
	if err != nil {
		t.Fatal(err)
	}
	x.SetCellValue("settings", "E2", "2026040101")
	x.SetCellValue("survey", "C6", "Толук аты-жөнү")
	if err := x.SaveAs(v2); err != nil {
		t.Fatal(err)
	}
	central.ok("", "form", "publish", v2)
	if code, _, errs := central.try("", "form", "publish", v2); code != 1 || !strings.Contains(errs, "published already") {
		t.Fatalf("the same version again: exit %d, %s", code, errs)
	}
	central.ok("", "sync")
	atb.ok("", "sync")
	if forms := jsonOf[[]map[string]any](t, atb.ok("", "form", "list")); len(forms) != 2 || forms[0]["version"] != "2026040101" {
		t.Fatalf("after the new version: %v", forms)
	}
	r2 := jsonOf[map[string]any](t, atb.ok(good, "response", "add", "council_needs_2026"))
	if r2["version"] != "2026040101" {
		t.Fatalf("a new response takes the newest version: %v", r2)
	}
	atb.ok("", "sync")
	central.ok("", "sync")
	versions := map[string]string{}
	for _, r := range jsonOf[[]map[string]any](t, central.ok("", "response", "list", "council_needs_2026")) {
		versions[r["id"].(string)] = r["version"].(string)
	}
	if len(versions) != 3 || versions[r1["id"].(string)] != "2026031201" || versions[r2["id"].(string)] != "2026040101" {
		t.Fatalf("responses keep their versions: %v", versions)
	}
	// Central staff export every council's responses, a column per
	// question, and the export is recorded.
	out := filepath.Join(t.TempDir(), "needs.csv")
	ex := jsonOf[map[string]any](t, central.ok("", "response", "export", "council_needs_2026", "--format", "csv", "--out", out))
	csvData, err := os.ReadFile(out)
	if err != nil || ex["responses"] != float64(3) || !strings.Contains(string(csvData), "respondent_name,gender,age,role,role_other,oblast,district") ||
		!strings.Contains(string(csvData), "Токтосунов Бакыт") {
		t.Fatalf("the export: %v %v\n%s", ex, err, csvData)
	}
	if !strings.Contains(central.ok("", "export", "history"), `"response"`) {
		t.Fatal("the export is not in the history")
	}
	show := jsonOf[map[string]any](t, atb.ok("", "form", "show", "council_needs_2026", "--version", "2026031201"))
	if !strings.Contains(mustJSON(show["definition"]), "Аты-жөнү") {
		t.Fatalf("the old version is kept whole: %v", show)
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }
