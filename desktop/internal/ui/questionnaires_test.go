package ui

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
	"github.com/xuri/excelize/v2"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/xlsform"
)

// publishNeeds publishes the corpus's council needs assessment on the
// harness's laptop and makes it a secretary's of its first council.
func publishNeeds(t *testing.T, h *harness) domain.Council {
	t.Helper()
	ctx := context.Background()
	data, err := os.ReadFile("../../../shared/xlsform/testdata/council_needs.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	f, err := xlsform.Read(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.u.sess.Records().PublishQuestionnaire(ctx, f, "council_needs.xlsx"); err != nil {
		t.Fatal(err)
	}
	c := h.firstCouncil()
	if err := h.u.sess.Records().Enroll(ctx, records.Enrollment{Server: "http://127.0.0.1:1", ServerID: "s", Token: "k1.x", Council: c.Code, Role: domain.RoleSecretary, Name: "Катчы"}); err != nil {
		t.Fatal(err)
	}
	h.u.shell.rebuild()
	h.u.shell.show()
	h.u.shell.navigate(secQuest)
	h.drain()
	return c
}

// A council's laptop fills a questionnaire in the form drawn from its
// definition, in Kyrgyz: a question is shown only while it is asked, a
// select offers the choices its filter leaves, the form's own messages
// say what is wrong under each question, and the saved response is listed
// and opens again with its answers.
func TestQuestionnaireForm(t *testing.T) {
	h := unlocked(t, "ky", 0, 0, 0)
	c := publishNeeds(t, h)
	h.mustShow(h.T("quest.title"))
	h.mustShow(h.T("quest.no_responses"))
	p := h.u.shell.top().(*questionnairesPage)
	p.buttons["new"].OnTapped()
	h.drain()
	rf, ok := h.u.shell.top().(*responseForm)
	if !ok {
		t.Fatalf("the form did not open: %T", h.u.shell.top())
	}
	h.mustShow("Коомдук кеңештин муктаждыктарын баалоо")
	h.mustShow("Бул сурамжылоо коомдук кеңештин муктаждыктарын аныктайт.") // the note
	h.mustShow("Толук жылдар")                                             // a hint
	entry := func(name string) *controls.Entry { return rf.inputs[name].obj.(*controls.Entry) }
	radio := func(name string) *widget.RadioGroup { return rf.inputs[name].obj.(*widget.RadioGroup) }
	checks := func(name string) *widget.CheckGroup { return rf.inputs[name].obj.(*widget.CheckGroup) }

	// Relevance: the other role is asked only when the role is other.
	if rf.rows["role_other"].Visible() {
		t.Fatal("role_other shown before the role is other")
	}
	radio("role").SetSelected("Башка")
	h.drain()
	if !rf.rows["role_other"].Visible() {
		t.Fatal("role_other hidden when the role is other")
	}
	// The choice filter: the districts of the oblast chosen.
	radio("oblast").SetSelected("Нарын облусу")
	h.drain()
	if got := strings.Join(radio("district").Options, ", "); got != "Ат-Башы району, Нарын району" {
		t.Fatalf("districts offered in Naryn: %s", got)
	}
	radio("district").SetSelected("Ат-Башы району")
	// The needs group is asked once there are members; in it, the
	// topics trained when trained is yes.
	if rf.rows["needs"].Visible() {
		t.Fatal("the needs group shown before the number of members")
	}
	entry("members").SetText("15")
	h.drain()
	if !rf.rows["needs"].Visible() || rf.rows["trained_topics"].Visible() {
		t.Fatal("the needs group hidden with members, or trained_topics shown before trained is yes")
	}
	radio("trained").SetSelected("Ооба")
	h.drain()
	if !rf.rows["trained_topics"].Visible() {
		t.Fatal("trained_topics hidden when trained is yes")
	}
	entry("respondent_name").SetText("Асанова Айгүл")
	radio("gender").SetSelected("Аял")
	entry("age").SetText("12")
	entry("founded").SetText("эртең")
	checks("needed_topics").SetSelected([]string{"Бюджетти көзөмөлдөө"})
	h.drain()
	rf.save.OnTapped()
	h.drain()
	h.mustShow(h.T("quest.fix"))
	h.mustShow(h.T("err.format.date")) // founded is no date
	entry("founded").SetText("02.04.2019")
	// Saved from the end of the form, as a person does: the form scrolls
	// back to the first question at fault (the age, near its top).
	scroll := rf.body.(*container.Scroll)
	scroll.ScrollToBottom()
	h.drain()
	bottom := scroll.Offset.Y
	rf.save.OnTapped()
	h.drain()
	drv := fyne.CurrentApp().Driver()
	ageY := drv.AbsolutePositionForObject(rf.rows["age"]).Y - drv.AbsolutePositionForObject(scroll).Y
	if bottom == 0 || scroll.Offset.Y >= bottom || ageY < 0 || ageY > scroll.Size().Height {
		t.Fatalf("after a refusal saved from the end (offset %.0f), the form is at offset %.0f with the age at %.0f of %.0f", bottom, scroll.Offset.Y, ageY, scroll.Size().Height)
	}
	for _, want := range []string{
		"Жашы 18ден 99га чейин болушу керек", // age: the form's own Kyrgyz message
		h.T("err.required"), // role_other and trained_topics
	} {
		h.mustShow(want)
	}
	if rf.errs["members"].Visible() {
		t.Fatal("a valid answer marked")
	}
	shot(t, h, "ky-12c-questionnaire.png")
	entry("age").SetText("41")
	entry("role_other").SetText("Байкоочу")
	checks("trained_topics").SetSelected([]string{"Мыйзамдар"})
	h.drain()
	rf.save.OnTapped()
	h.drain()
	list, err := h.u.sess.Records().Responses(context.Background(), "council_needs_2026")
	if err != nil || len(list) != 1 {
		t.Fatalf("responses after saving: %v %v (screen: %s)", list, err, strings.Join(h.texts(), " | "))
	}
	got := list[0].AnswerMap()
	if list[0].Council != c.Code || string(got["age"]) != "41" || string(got["founded"]) != `"2019-04-02"` || string(got["trained_topics"]) != `["law"]` || string(got["district"]) != `"KG-N-ATB"` {
		t.Fatalf("saved: %+v %s", list[0], got)
	}
	// Back on the list, which shows it; it opens again with its answers.
	if _, ok := h.u.shell.top().(*questionnairesPage); !ok {
		t.Fatalf("after saving the page is %T", h.u.shell.top())
	}
	p = h.u.shell.top().(*questionnairesPage)
	b := p.buttons["response:"+list[0].ID]
	if b == nil {
		t.Fatalf("the response is not listed: %s", strings.Join(h.texts(), " | "))
	}
	if !strings.Contains(b.Text, c.Name) || strings.Contains(b.Text, c.Code) {
		t.Fatalf("the response's line names its council by code, not name: %q", b.Text)
	}
	b.OnTapped()
	h.drain()
	rf = h.u.shell.top().(*responseForm)
	if entry("age").Text != "41" || radio("district").Selected != "Ат-Башы району" || !rf.rows["role_other"].Visible() || entry("founded").Text != "02.04.2019" {
		t.Fatalf("reopened: age %q, district %q", entry("age").Text, radio("district").Selected)
	}
}

// shot saves what the window shows as name in $KENESH_SHOTS (a folder;
// unset: no file), for docs/screenshots, to be looked at.
func shot(t *testing.T, h *harness, name string) {
	t.Helper()
	dir := os.Getenv("KENESH_SHOTS")
	if dir == "" {
		return
	}
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, h.win.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
}

// Central staff publish a questionnaire from its XLSForm workbook on the
// Questionnaires page, in Kyrgyz: the file dialog (its places in Kyrgyz),
// a file that is no workbook and a workbook with a fault refused with
// where it is wrong and nothing published, the confirmation naming the
// form and its version, the form shown once published, and the same
// version again refused as published already. A council's laptop has no
// such button.
func TestPublishQuestionnaireFromWorkbook(t *testing.T) {
	h := unlocked(t, "ky", 0, 0, 0)
	ctx := context.Background()
	if err := h.u.sess.Records().Enroll(ctx, records.Enrollment{Server: "http://127.0.0.1:1", ServerID: "s", Token: "k1.x", Role: domain.RoleCentral, Name: "Борбор"}); err != nil {
		t.Fatal(err)
	}
	h.u.shell.rebuild()
	h.u.shell.show()
	h.u.shell.navigate(secQuest)
	h.drain()
	h.mustShow(h.T("quest.none_central"))
	p := h.u.shell.top().(*questionnairesPage)
	p.buttons["publish"].OnTapped()
	h.drain()
	placesInLanguage(t, h, "publish a questionnaire")
	for _, o := range h.win.Canvas().Overlays().List() {
		o.Hide()
	}
	published := func() int {
		all, err := h.u.sess.Records().Questionnaires(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(all)
	}
	closeDialogs := func() {
		for _, o := range h.win.Canvas().Overlays().List() {
			o.Hide()
		}
		h.drain()
	}

	dir := t.TempDir()
	notBook := filepath.Join(dir, "needs.xlsx")
	if err := os.WriteFile(notBook, []byte("type\tname\tlabel\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p.publishFile(notBook)
	h.drain()
	h.mustShow(h.T("quest.publish_bad", "file", "needs.xlsx"))
	closeDialogs()

	twice := filepath.Join(dir, "twice.xlsx")
	x := excelize.NewFile()
	for i, row := range [][]any{{"type", "name", "label"}, {"text", "village", "Айыл"}, {"integer", "village", "Жашы"}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.SetSheetName("Sheet1", "survey"); err != nil {
		t.Fatal(err)
	}
	if _, err := x.NewSheet("settings"); err != nil {
		t.Fatal(err)
	}
	for i, row := range [][]any{{"form_id", "version"}, {"twice", "1"}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("settings", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.SaveAs(twice); err != nil {
		t.Fatal(err)
	}
	p.publishFile(twice)
	h.drain()
	h.mustShow(h.T("quest.publish_bad", "file", "twice.xlsx"))
	h.mustShow("row 3") // where the fault is: the name given twice
	closeDialogs()
	if n := published(); n != 0 {
		t.Fatalf("%d questionnaires published from refused workbooks", n)
	}

	needs, err := filepath.Abs("../../../shared/xlsform/testdata/council_needs.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	p.publishFile(needs)
	h.drain()
	if n := published(); n != 0 {
		t.Fatal("published before the confirmation")
	}
	h.mustShow("council_needs.xlsx")
	h.tap(h.T("quest.publish_ok"))
	if n := published(); n != 1 {
		t.Fatalf("%d questionnaires published, want 1", n)
	}
	h.mustShow(h.T("quest.published_title"))
	closeDialogs()
	p = h.u.shell.top().(*questionnairesPage)
	if len(p.forms) != 1 || p.forms[p.sel].FormID != "council_needs_2026" {
		t.Fatalf("the page shows %+v (selected %d), want the needs assessment", p.forms, p.sel)
	}
	shot(t, h, "ky-quest-published.png")

	p.publishFile(needs)
	h.drain()
	h.tap(h.T("quest.publish_ok"))
	h.mustShow(h.T("quest.publish_bad_title"))
	if n := published(); n != 1 {
		t.Fatalf("%d questionnaires after publishing the same version again, want 1", n)
	}
	closeDialogs()

	// A council's laptop fills questionnaires; it does not publish them.
	s := unlocked(t, "ky", 0, 0, 0)
	publishNeeds(t, s)
	if _, ok := s.u.shell.top().(*questionnairesPage).buttons["publish"]; ok {
		t.Fatal("a council secretary's Questionnaires page offers to publish")
	}
}
