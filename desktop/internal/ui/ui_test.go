package ui

import (
	"context"
	"encoding/json"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/settings"
	"github.com/kenesh/kenesh/desktop/internal/syncer"
	"github.com/kenesh/kenesh/shared/domain"
)

func TestFirstRunCreateThenOffline(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	h := newHarness(t, dir, "ky", true)
	h.mustShow("Программанын тилин тандаңыз")
	h.tap("Русский")
	h.mustShow("Защитите записи паролем")

	f := h.u.firstForm
	f.name.SetText("Ноутбук Нарынского совета")
	test.Type(f.pass, "короткий")
	test.Type(f.again, "другой пароль")
	h.mustShow(h.T("strength.weak"))
	h.tap(h.T("firstrun.create"))
	h.mustShow(h.T("firstrun.mismatch"))
	if session := h.u.sess; session != nil {
		t.Fatal("a store was made despite the mismatch")
	}

	f.pass.SetText("кызыл алма тоодо жашыл")
	f.again.SetText("кызыл алма тоодо жашыл")
	h.mustShow(h.T("strength.strong"))
	h.tap(h.T("firstrun.create"))
	h.waitFor("enroll screen", func() bool { return h.shows(h.T("enroll.title")) })

	// A wrong server address is refused next to the field, nothing leaves.
	h.tap(h.T("enroll.action"))
	h.mustShow(h.T("err.required"))
	h.tap(h.T("enroll.offline"))
	h.waitFor("home", func() bool { return h.u.shell != nil })
	h.mustShow(h.T("home.no_council"))
	s, _, err := settings.Load(dir)
	if err != nil || s.Language != "ru" {
		t.Fatalf("settings after first run: %+v %v", s, err)
	}
}

func TestUnlockWrongThenRight(t *testing.T) {
	h := unlocked(t, "en", 5, 2, 0)
	dir := h.dir
	h.u.Close()

	h2 := newHarness(t, dir, "ky", false)
	h2.mustShow(h2.T("unlock.text"))
	var pass *controls.Entry
	for _, o := range h2.objects() {
		if e, ok := o.(*controls.Entry); ok && e.Password {
			pass = e
		}
	}
	// Typing can start at once: the passphrase has the focus.
	h2.waitFor("focus on the passphrase", func() bool { return h2.win.Canvas().Focused() == pass })
	test.Type(pass, "туура эмес")
	pass.OnSubmitted(pass.Text)
	h2.waitFor("error", func() bool { return h2.shows(h2.T("problem.wrong_passphrase")) })
	if h2.u.sess != nil {
		t.Fatal("unlocked with a wrong passphrase")
	}
	test.Type(pass, testPass)
	h2.tap(h2.T("unlock.action"))
	h2.waitFor("home", func() bool { return h2.u.shell != nil })
	h2.mustShow(h2.T("home.title"))
}

func TestAppealFormValidationThenSave(t *testing.T) {
	h := unlocked(t, "ky", 0, 0, 0)
	h.u.shell.newAppeal()
	f := h.u.shell.top().(*appealForm)
	f.entry("appellant.name").SetText("Токтогулов Эрмек")
	f.entry("appellant.phone").SetText("телефон жок")
	f.entry("summary").SetText("")
	f.save()
	// Each message sits under its own field; what was typed stays.
	for field, key := range map[string]string{"summary": "err.required", "channel": "err.required",
		"category": "err.required", "appellant.phone": "err.format.phone"} {
		if got := f.fs.fields[field].err.Text; got != h.T(key) || !f.fs.fields[field].err.Visible() {
			t.Errorf("%s: error %q (visible %v), want %q", field, got, f.fs.fields[field].err.Visible(), h.T(key))
		}
	}
	if f.entry("appellant.name").Text != "Токтогулов Эрмек" || h.u.shell.top() != page(f) {
		t.Fatal("the form lost what was typed")
	}
	if n, _ := h.u.sess.Records().Count(records.Filter{Kind: domain.KindAppeal}); n != 0 {
		t.Fatalf("%d appeals saved by an invalid form", n)
	}

	f.entry("appellant.phone").SetText("+996 555 123 456")
	f.choice("channel").SetCode("phone")
	f.choice("category").SetCode("police_justice")
	f.entry("summary").SetText("Милиция арызды каттоодон баш тартты")
	f.ticks("vulnerable_groups").Checks[0].SetChecked(true)
	// Enter in a one-line field saves.
	f.entry("summary").OnSubmitted(f.entry("summary").Text)
	h.drain()
	d, ok := h.u.shell.top().(*appealDetail)
	if !ok {
		t.Fatalf("after saving the top page is %T; errors: %q", h.u.shell.top(), f.fs.top.Text)
	}
	a := d.rec
	if a.Appellant == nil || a.Appellant.Name != "Токтогулов Эрмек" || a.Channel != "phone" || a.Category != "police_justice" ||
		a.RegNo == "" || len(a.VulnerableGroups) != 1 || a.Council != h.firstCouncil().Code && a.Council != h.u.sess.Records().HomeCouncil() {
		t.Fatalf("saved appeal: %+v", a)
	}
	h.mustShow(a.RegNo)
	h.mustShow(h.u.statusName("received"))
}

func TestEditSavesOnlyChangedFields(t *testing.T) {
	h := unlocked(t, "en", 3, 0, 0)
	id := h.u.summaries(records.Filter{Kind: domain.KindAppeal})[0].ID
	d := newAppealDetail(h.u, id)
	h.u.shell.push(d)
	h.tap(h.T("action.edit"))
	f := h.u.shell.top().(*appealForm)
	if f.dirty() {
		t.Fatal("an untouched form reports changes")
	}
	f.entry("summary").SetText("A corrected summary")
	if !f.dirty() {
		t.Fatal("a changed form reports no changes")
	}
	h.tap(h.T("action.save"))
	if h.u.shell.top() != page(d) {
		t.Fatalf("after saving an edit the top is %T", h.u.shell.top())
	}
	hist, err := h.u.sess.Records().History(context.Background(), domain.KindAppeal, id)
	if err != nil {
		t.Fatal(err)
	}
	last := hist[len(hist)-1]
	if len(last.Changes) != 1 || decoded(last.Changes["summary"]) != "A corrected summary" {
		t.Fatalf("the edit changed %v", last.Changes)
	}
	if d.rec.Summary != "A corrected summary" {
		t.Fatal("the detail page did not reload")
	}
	h.mustShow("A corrected summary")
}

func TestWorkflowOffersOnlyAllowedSteps(t *testing.T) {
	h := unlocked(t, "ru", 0, 0, 0)
	c := h.firstCouncil()
	a, err := h.u.sess.Records().CreateAppeal(context.Background(), domain.Appeal{Council: c.Code, Channel: "letter",
		Appellant: &domain.Appellant{Name: "Асанова Гүлнара"}, Oblast: c.Oblast, Category: "land_property", Summary: "Жер тилкеси"})
	if err != nil {
		t.Fatal(err)
	}
	d := newAppealDetail(h.u, a.ID)
	h.u.shell.push(d)
	check := func(status domain.Status) {
		t.Helper()
		var got []domain.Status
		for s := range d.steps {
			got = append(got, domain.Status(s))
		}
		want := status.Next()
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("in %s the buttons offer %v, the workflow allows %v", status, got, want)
		}
		for _, s := range domain.Statuses {
			if !slices.Contains(want, s) && h.shows(h.T("workflow.to."+string(s))) && s != domain.StatusClosed {
				t.Errorf("in %s a button for %s is shown", status, s)
			}
		}
	}
	check(domain.StatusReceived)
	test.Tap(d.steps[string(domain.StatusUnderReview)])
	h.tap(h.T("workflow.apply"))
	if d.rec.Status != domain.StatusUnderReview {
		t.Fatalf("status %s", d.rec.Status)
	}
	check(domain.StatusUnderReview)

	// Rejecting needs a reason: the dialog stays open with the message.
	test.Tap(d.steps[string(domain.StatusRejected)])
	h.tap(h.T("workflow.apply"))
	h.mustShow(h.T("err.required"))
	if d.rec.Status != domain.StatusUnderReview {
		t.Fatal("rejected without a reason")
	}
	// The reason is the dialog's first field.
	for _, o := range test.LaidOutObjects(h.u.lastModal.content) {
		if e, ok := o.(*controls.Entry); ok {
			e.SetText("Жалоба не относится к правам человека")
			break
		}
	}
	h.tap(h.T("workflow.apply"))
	if d.rec.Status != domain.StatusRejected || d.rec.RejectionReason == "" {
		t.Fatalf("after rejecting: %s %q", d.rec.Status, d.rec.RejectionReason)
	}
	check(domain.StatusRejected)
}

func TestConsultationAndPublication(t *testing.T) {
	h := unlocked(t, "ky", 0, 0, 0)
	c := h.firstCouncil()
	svc := h.u.sess.Records()
	ctx := context.Background()
	a, _ := svc.CreateAppeal(ctx, domain.Appeal{Council: c.Code, Channel: "in_person", Oblast: c.Oblast, Category: "labour",
		Appellant: &domain.Appellant{Name: "Жумабеков Нурлан", Phone: "+996 700 111 222", Address: "Ленин көч. 5", PIN: "21234567890123"},
		Village:   "Кочкор-Ата", Summary: "Эмгек акы берилген жок"})
	for _, s := range []domain.Status{domain.StatusUnderReview, domain.StatusFactChecking, domain.StatusVerified} {
		if _, err := svc.MoveAppeal(ctx, a.ID, domain.Step{To: s}); err != nil {
			t.Fatal(err)
		}
	}
	d := newAppealDetail(h.u, a.ID)
	h.u.shell.push(d)

	h.tap(h.T("consult.action"))
	h.tap(h.T("action.save"))
	h.mustShow(h.T("err.required"))
	m := h.u.lastModal
	var entries []*controls.Entry
	for _, o := range test.LaidOutObjects(m.content) {
		if e, ok := o.(*controls.Entry); ok {
			entries = append(entries, e)
		}
	}
	entries[0].SetText("Адвокат Осмонова")
	entries[2].SetText("Эмгек инспекциясына арыз жазуу сунушталды")
	h.tap(h.T("action.save"))
	if len(d.rec.Consultations) != 1 || d.rec.Consultations[0].AtStatus != domain.StatusVerified {
		t.Fatalf("consultations %+v", d.rec.Consultations)
	}

	// The public preview carries no personal data without consent.
	view := func(x *domain.Appeal) string {
		var b strings.Builder
		for _, l := range h.u.publicView(x) {
			b.WriteString(l.label + ": " + l.value + "\n")
		}
		return b.String()
	}
	x := *d.rec
	x.PublicSummary = "Эмгек акысы үч ай төлөнгөн жок"
	for _, secret := range []string{"Жумабеков", "+996 700", "Ленин", "21234567890123", "Кочкор-Ата", "Эмгек акы берилген жок"} {
		if got := view(&x); contains(got, secret) {
			t.Errorf("public view shows %q: %s", secret, got)
		}
	}
	x.PublishIdentityConsent = true
	if got := view(&x); !contains(got, "Жумабеков Нурлан") || contains(got, "+996") {
		t.Errorf("with consent: %s", got)
	}

	h.tap(h.T("publication.action"))
	m = h.u.lastModal
	var ready *controls.Entry
	for _, o := range test.LaidOutObjects(m.content) {
		if e, ok := o.(*controls.Entry); ok {
			ready = e
		}
	}
	// Marking ready without a public summary is refused beside the field.
	for _, o := range test.LaidOutObjects(m.content) {
		if ch, ok := o.(interface{ SetChecked(bool) }); ok {
			_ = ch
		}
	}
	var readyCheck = findCheck(h, h.T("field.ready_for_publication"))
	readyCheck.SetChecked(true)
	h.tap(h.T("action.save"))
	h.mustShow(h.T("err.required.public_summary"))
	ready.SetText("Эмгек акысы үч ай төлөнгөн жок")
	h.tap(h.T("action.save"))
	if !d.rec.ReadyForPublication || d.rec.PublicSummary == "" {
		t.Fatalf("publication not saved: %+v", d.rec)
	}
}

func contains(s, sub string) bool {
	return len(sub) > 0 && len(s) >= len(sub) && (stringIndex(s, sub) >= 0)
}

func TestEventFormValidationThenSave(t *testing.T) {
	h := unlocked(t, "ru", 0, 0, 0)
	h.u.shell.newEvent()
	f := h.u.shell.top().(*eventForm)
	f.entry("title").SetText("Коомдук угуу: таза суу")
	f.entry("start_time").SetText("25:00")
	f.counts()["citizens"][0].SetText("много")
	f.save()
	if f.fs.fields["participants"].err.Text != h.T("err.format.number") {
		t.Fatalf("participants error %q", f.fs.fields["participants"].err.Text)
	}
	f.counts()["citizens"][0].SetText("23")
	f.counts()["citizens"][1].SetText("17")
	f.counts()["officials"][2].SetText("4")
	f.save()
	if f.fs.fields["start_time"].err.Text != h.T("err.format.start_time") || f.fs.fields["kind"].err.Text != h.T("err.required") {
		t.Fatalf("errors: start %q kind %q", f.fs.fields["start_time"].err.Text, f.fs.fields["kind"].err.Text)
	}
	f.entry("start_time").SetText("14:00")
	f.choice("kind").SetCode("hearing")
	r := f.rows("followups").AddRow("", "Акимчиликке кат жөнөтүү", "Катчы", "10.12.2026")
	_ = r
	f.rows("speakers").AddRow("", "Осмонов Бакыт", "юрист", "Акыйкатчы")
	f.entry("decisions").SetText("Суу түтүгүн оңдоо\nАкимчиликке сунуш")
	h.tap(h.T("action.save"))
	d, ok := h.u.shell.top().(*eventDetail)
	if !ok {
		t.Fatalf("top is %T; errors %q", h.u.shell.top(), f.fs.top.Text)
	}
	e := d.rec
	if e.Participants["citizens"].Total() != 40 || e.Participants["officials"].Unspecified != 4 || len(e.FollowUps) != 1 ||
		e.FollowUps[0].Status != "open" || len(e.Speakers) != 1 || len(e.Decisions) != 2 || e.StartTime != "14:00" {
		t.Fatalf("saved event: %+v", e)
	}
	// Mark the follow-up action done from the detail page.
	h.tap(h.T("event.mark_done"))
	if d.rec.FollowUps[0].Status != "done" || d.rec.FollowUps[0].DoneOn.IsZero() {
		t.Fatalf("follow-up after done: %+v", d.rec.FollowUps[0])
	}
}

func TestListsFilterAndSearch(t *testing.T) {
	h := unlocked(t, "ky", 300, 40, 0)
	svc := h.u.sess.Records()
	h.u.shell.navigate(secAppeals)
	p := h.u.shell.root(secAppeals).(*recordList)
	all, _ := svc.Count(records.Filter{Kind: domain.KindAppeal})
	if p.pg.total != all || p.list.Length() != all {
		t.Fatalf("list shows %d of %d", p.pg.total, all)
	}
	h.mustShow(h.T("list.count_appeals", "n", all))
	p.f.status.SetCode("verified")
	want, _ := svc.Count(records.Filter{Kind: domain.KindAppeal, Status: "verified"})
	if p.pg.total != want || want == 0 {
		t.Fatalf("status filter: %d rows, want %d", p.pg.total, want)
	}
	p.f.status.SetCode("")
	first, _ := p.pg.at(0)
	word := first.Title
	word = firstWord(word)
	test.Type(p.f.search, word)
	want, _ = svc.Count(records.Filter{Kind: domain.KindAppeal, Text: word})
	h.waitFor("search results", func() bool { return p.pg.total == want })
	p.f.flag.SetChecked(true)
	wantOverdue, _ := svc.Count(records.Filter{Kind: domain.KindAppeal, Text: word, Overdue: true})
	if p.pg.total != wantOverdue {
		t.Fatalf("overdue filter: %d, want %d", p.pg.total, wantOverdue)
	}
	// Tapping a line opens the appeal.
	p.f.flag.SetChecked(false)
	p.f.search.SetText("")
	h.waitFor("all appeals again", func() bool { return p.pg.total == all })
	p.list.Select(0)
	h.drain()
	if _, ok := h.u.shell.top().(*appealDetail); !ok {
		t.Fatalf("selecting a line opened %T", h.u.shell.top())
	}

	h.u.shell.navigate(secEvents)
	ep := h.u.shell.root(secEvents).(*recordList)
	ne, _ := svc.Count(records.Filter{Kind: domain.KindEvent})
	if ep.pg.total != ne || ne != 40 {
		t.Fatalf("events list %d of %d", ep.pg.total, ne)
	}
	ep.f.category.SetCode("hearing")
	want, _ = svc.Count(records.Filter{Kind: domain.KindEvent, Category: "hearing"})
	if ep.pg.total != want {
		t.Fatalf("kind filter %d, want %d", ep.pg.total, want)
	}
}

// summarySettled checks that no conflict is left and that the appeal's
// summary is the value a person settled it with.
func summarySettled(t *testing.T, svc *records.Service, appeal, want string) {
	t.Helper()
	if left, _ := svc.Conflicts(context.Background()); len(left) != 0 {
		t.Fatalf("%d conflicts left", len(left))
	}
	if a, _ := svc.Appeal(context.Background(), appeal); a.Summary != want {
		t.Fatalf("summary %q, want the value settled %q", a.Summary, want)
	}
}

func TestConflictKeepOther(t *testing.T) {
	h := unlocked(t, "en", 5, 0, 1)
	svc := h.u.sess.Records()
	list, _ := svc.Conflicts(context.Background())
	if len(list) != 1 {
		t.Fatalf("%d conflicts", len(list))
	}
	h.mustShow(h.T("nav.conflicts") + " (1)")
	h.u.shell.navigate(secConflicts)
	p := h.u.shell.root(secConflicts).(*conflictsPage)
	var loser string
	_ = json.Unmarshal(list[0].Loser.Value, &loser)
	h.mustShow(loser)
	test.Tap(p.keep[0][1])
	h.drain()
	summarySettled(t, svc, list[0].Record, loser)
	h.mustShow(h.T("conflicts.none"))
	h.mustShow(h.T("nav.conflicts"))
}

func TestLanguageSwitch(t *testing.T) {
	h := unlocked(t, "ky", 3, 1, 0)
	h.mustShow("Кайрылуулар")
	if got := lang.L("Cancel"); got != "Жокко чыгаруу" {
		t.Fatalf("Fyne's Cancel in Kyrgyz: %q", got)
	}
	h.u.shell.navigate(secSettings)
	h.tap("Русский")
	h.drain()
	h.mustShow("Обращения")
	h.mustShow("Настройки")
	if h.shows("Кайрылуулар") {
		t.Fatal("Kyrgyz text left after switching to Russian")
	}
	if got := lang.L("Cancel"); got != "Отмена" {
		t.Fatalf("Fyne's Cancel after switching to Russian: %q", got)
	}
	if h.u.shell.section != secSettings {
		t.Fatal("the switch left the settings page")
	}
	s, _, _ := settings.Load(h.dir)
	if s.Language != "ru" {
		t.Fatalf("saved language %q", s.Language)
	}
	h.tap("English")
	h.drain()
	h.mustShow("Appeals")
	if got := lang.L("Cancel"); got != "Cancel" {
		t.Fatalf("Fyne's Cancel in English: %q", got)
	}
	// Numbers follow the language too.
	if got := h.u.tr.Int(100000); got != "100,000" {
		t.Fatalf("English number %q", got)
	}
}

func TestIdleLockKeepsForm(t *testing.T) {
	h := unlocked(t, "ky", 0, 0, 0)
	h.u.set.IdleLockMinutes = 5
	h.u.shell.newAppeal()
	f := h.u.shell.top().(*appealForm)
	f.entry("summary").SetText("Жазылып жаткан кайрылуу")
	h.advance(4 * time.Minute)
	h.u.checkIdle()
	if h.u.locked {
		t.Fatal("locked before the idle time")
	}
	h.u.touch()
	h.advance(6 * time.Minute)
	h.u.checkIdle()
	if !h.u.locked {
		t.Fatal("not locked after the idle time")
	}
	h.mustShow(h.T("lock.title"))
	if h.shows("Жазылып жаткан") {
		t.Fatal("the locked screen shows records")
	}
	var pass *controls.Entry
	for _, o := range h.objects() {
		if e, ok := o.(*controls.Entry); ok && e.Password {
			pass = e
		}
	}
	test.Type(pass, "туура эмес сөз")
	h.tap(h.T("unlock.action"))
	h.waitFor("refusal", func() bool { return h.shows(h.T("problem.wrong_passphrase")) })
	test.Type(pass, testPass)
	h.tap(h.T("unlock.action"))
	h.waitFor("unlock", func() bool { return !h.u.locked })
	if h.u.shell.top() != page(f) || f.entry("summary").Text != "Жазылып жаткан кайрылуу" {
		t.Fatal("the form was lost across the lock")
	}
}

func TestStatusBarAndHome(t *testing.T) {
	h := unlocked(t, "ru", 200, 30, 0)
	h.waitFor("status", func() bool { return h.shows(h.T("sync.state.not_enrolled")) })
	pending, _ := h.u.sess.Records().SyncState(context.Background())
	h.mustShow(h.T("sync.pending", "n", int(pending.Pending)))
	h.mustShow(h.T("sync.never"))
	overdue, _ := h.u.sess.Records().Count(records.Filter{Kind: domain.KindAppeal, Overdue: true})
	h.mustShow(h.T("home.overdue", "n", overdue))
	h.mustShow(h.T("home.unsynced", "n", int(pending.Pending)))
	// A save updates the home screen and the pending count through the subscription.
	c := h.firstCouncil()
	if _, err := h.u.sess.Records().CreateEvent(context.Background(), domain.Event{Council: c.Code, Kind: "forum", Title: "Форум",
		Date: h.u.sess.Records().Today(), Oblast: c.Oblast}); err != nil {
		t.Fatal(err)
	}
	h.waitFor("pending+1", func() bool { return h.shows(h.T("sync.pending", "n", int(pending.Pending)+1)) })
	// The status bar explains a sync problem in plain words.
	h.u.shell.status.update(statusOffline())
	h.mustShow(h.T("problem.unreachable"))
	h.mustShow(h.T("sync.state.offline"))
}

func TestSettingsOfflineInstallation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	h := newHarness(t, dir, "en", true)
	h.tap("English")
	f := h.u.firstForm
	f.pass.SetText(testPass)
	f.again.SetText(testPass)
	h.tap(h.T("firstrun.create"))
	h.waitFor("enroll", func() bool { return h.shows(h.T("enroll.title")) })
	// An unreachable server is said in plain words beside the address.
	entry := func(placeholder string) *controls.Entry {
		t.Helper()
		for _, o := range h.objects() {
			if e, ok := o.(*controls.Entry); ok && e.Visible() && e.PlaceHolder == placeholder {
				return e
			}
		}
		t.Fatalf("no field with placeholder %q", placeholder)
		return nil
	}
	entry("https://kenesh.example.kg").SetText("http://127.0.0.1:1")
	var code *controls.Entry
	for _, o := range h.objects() {
		if e, ok := o.(*controls.Entry); ok && e.Visible() && e.PlaceHolder == "" && !e.Password {
			code = e
		}
	}
	code.SetText("ABCD-1234")
	h.tap(h.T("enroll.action"))
	h.waitFor("unreachable", func() bool { return h.shows(h.T("problem.unreachable")) })
	h.tap(h.T("enroll.offline"))
	h.waitFor("home", func() bool { return h.u.shell != nil })
	h.mustShow(h.T("home.no_council"))

	// Settings: add this installation's council.
	h.u.shell.navigate(secSettings)
	h.mustShow(h.T("settings.version"))
	h.mustShow("dev") // go test builds without the Makefile's release
	entry("NRN-ATB").SetText("nrn-atb")
	h.tap(h.T("settings.add_council"))
	h.mustShow(h.T("err.required")) // name and oblast
	// The council form's fields, found through its field set.
	fs := h.u.shell.root(secSettings).(*settingsPage).councilForm
	name := fs.fields["name"].obj.(*controls.Entry)
	oblast := fs.fields["oblast"].obj.(*controls.CodeSelect)
	name.SetText("Ат-Башы коомдук кеңеши")
	oblast.SetCode("KG-N")
	h.tap(h.T("settings.add_council"))
	cs, _ := h.u.sess.Records().Councils(context.Background())
	if len(cs) != 1 || cs[0].Code != "NRN-ATB" || h.u.sess.Records().HomeCouncil() != "NRN-ATB" {
		t.Fatalf("councils %+v home %q", cs, h.u.sess.Records().HomeCouncil())
	}
	if h.shows(h.T("home.no_council")) {
		t.Fatal("home still asks for a council")
	}

	// Backup with a wrong passphrase is refused beside the field, then made.
	sp := h.u.shell.root(secSettings).(*settingsPage)
	backup := filepath.Join(t.TempDir(), "b.kenesh")
	sp.backupFile.SetText(backup)
	sp.backupPass.SetText("not the passphrase")
	h.tap(h.T("settings.backup_now"))
	h.waitFor("refusal", func() bool { return h.shows(h.T("problem.wrong_passphrase")) })
	sp.backupPass.SetText(testPass)
	h.tap(h.T("settings.backup_now"))
	h.waitFor("backup", func() bool { return h.shows(h.T("settings.backup_done", "file", backup)) })
	if st, err := os.Stat(backup); err != nil || st.Size() == 0 {
		t.Fatalf("backup file: %v", err)
	}

	// Passphrase change: the new one must be typed twice.
	sp.oldPass.SetText(testPass)
	sp.newPass.SetText("жаңы узун сырсөз 2026")
	sp.againPass.SetText("башка")
	h.tap(h.T("settings.change_passphrase"))
	h.mustShow(h.T("firstrun.mismatch"))
	sp.againPass.SetText("жаңы узун сырсөз 2026")
	h.tap(h.T("settings.change_passphrase"))
	h.waitFor("changed", func() bool { return h.shows(h.T("settings.passphrase_changed")) })
	if err := h.u.sess.CheckPassphrase("жаңы узун сырсөз 2026"); err != nil {
		t.Fatal(err)
	}
}

// A store written by a later release (a newer format) is refused at
// unlock with what to do, in the person's language, and stays locked.
func TestUnlockDataOfANewerRelease(t *testing.T) {
	h := unlocked(t, "en", 1, 0, 0)
	dir := h.dir
	if err := h.u.sess.Core.Store.SetMeta(context.Background(), map[string][]byte{"format": []byte(`{"format":9,"release":"9.1.0"}`)}); err != nil {
		t.Fatal(err)
	}
	h.u.Close()

	h2 := newHarness(t, dir, "ky", false)
	h2.u.UnlockWith(testPass)
	want := h2.T("problem.newer_data", "version", "9.1.0")
	h2.waitFor("refusal", func() bool { return h2.shows(want) })
	if h2.u.sess != nil {
		t.Fatal("unlocked a store of a newer format")
	}
}

// A new passphrase's length is counted in letters, as the screens say it
// is: six Kyrgyz letters (twelve bytes) are too short, on the first run
// and in Settings.
func TestNewPassphraseCountsLetters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	h := newHarness(t, dir, "ky", true)
	h.tap("Кыргызча")
	f := h.u.firstForm
	test.Type(f.pass, "сырсөз")
	test.Type(f.again, "сырсөз")
	h.mustShow(h.T("strength.too_short", "n", 8))
	h.tap(h.T("firstrun.create"))
	h.mustShow(h.T("problem.short_passphrase", "n", 8))
	if h.u.sess != nil {
		t.Fatal("a store was made with a passphrase of six letters")
	}
	if msg := h.u.checkNewPassphrase("сырсөз12", "сырсөз12"); msg != "" {
		t.Fatalf("eight letters refused: %q", msg)
	}
}

// A record's page drawn again because the record changed (a save, a sync)
// keeps the person where they were reading: both panes' scroll and the
// divider between them. It jumped to the top before.
func TestRecordPageKeepsItsPlaceWhenTheRecordChanges(t *testing.T) {
	h := unlocked(t, "ky", 3, 0, 0)
	h.win.Resize(fyne.NewSize(900, 420))
	id := h.u.summaries(records.Filter{Kind: domain.KindAppeal})[0].ID
	d := newAppealDetail(h.u, id)
	h.u.shell.push(d)
	h.drain()
	if d.fields.Content.MinSize().Height <= d.fields.Size().Height {
		t.Fatalf("the fields pane (%v) fits its content (%v): the test needs it to scroll", d.fields.Size(), d.fields.Content.MinSize())
	}
	place := fyne.NewPos(0, min(120, d.fields.Content.MinSize().Height-d.fields.Size().Height))
	d.fields.ScrollToOffset(place)
	d.split.SetOffset(0.55)
	before := d.fields

	patch := []byte(`{"summary":"Кат кайра каралды: жооп мөөнөтүндө берилген жок"}`)
	if _, err := h.u.sess.Records().EditAppeal(context.Background(), id, patch); err != nil {
		t.Fatal(err)
	}
	h.waitFor("the page drawn again", func() bool { return d.fields != before })
	h.drain()
	if d.fields.Offset != place {
		t.Errorf("the fields pane is at %v after the change, want %v", d.fields.Offset, place)
	}
	if d.split.Offset != 0.55 {
		t.Errorf("the divider is at %v after the change, want 0.55", d.split.Offset)
	}
	h.mustShow("Кат кайра каралды: жооп мөөнөтүндө берилген жок")

	// The person's own step of the workflow: its result is the status at
	// the top of the page, so the page starts there (the divider stays).
	d.loadAtTop()
	h.drain()
	if d.fields.Offset != (fyne.Position{}) || d.history.Offset != (fyne.Position{}) {
		t.Errorf("after a step the panes are at %v and %v, want the top", d.fields.Offset, d.history.Offset)
	}
	if d.split.Offset != 0.55 {
		t.Errorf("the divider is at %v after a step, want 0.55", d.split.Offset)
	}
}

// An attendee taken off a training's list is named in the history ("taken
// off: Gulnara Usenova, ..."): the change itself holds only null, which
// showed as "—", so nobody could tell who had been removed.
func TestHistoryNamesWhatWasTakenOff(t *testing.T) {
	h := unlocked(t, "en", 0, 0, 0)
	ctx := context.Background()
	svc := h.u.sess.Records()
	c := h.firstCouncil()
	if err := svc.Enroll(ctx, records.Enrollment{Server: "http://127.0.0.1:1", ServerID: "s", Token: "k1.x", Council: c.Code, Role: domain.RoleSecretary, Name: "Secretary"}); err != nil {
		t.Fatal(err)
	}
	ev, err := svc.CreateEvent(ctx, domain.Event{Council: c.Code, Kind: domain.EventKindTraining, Title: "Working with appeals",
		Date: svc.Today().AddDays(-1), Oblast: c.Oblast, District: c.District, Venue: "Village hall"})
	if err != nil {
		t.Fatal(err)
	}
	_, saved, err := svc.SaveAttendees(ctx, ev.ID, []domain.Attendee{
		{Name: "Гүлнара Үсөнова", Gender: "female", Group: "council_members", Organisation: "Коомдук кеңеш"},
		{Name: "Өмүрбек Ңуров", Gender: "male", Group: "officials", Organisation: "Айыл өкмөтү"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.RemoveAttendee(ctx, ev.ID, saved[0].ID); err != nil {
		t.Fatal(err)
	}
	var text []string
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			text = append(text, x.Text)
		case *fyne.Container:
			for _, c := range x.Objects {
				walk(c)
			}
		}
	}
	walk(h.u.historyView(domain.KindEvent, ev.ID))
	all := strings.Join(text, "\n")
	want := h.T("history.removed", "what", "Гүлнара Үсөнова, Коомдук кеңеш")
	if !strings.Contains(all, want) {
		t.Errorf("the history does not say who was taken off (%q):\n%s", want, all)
	}
	if strings.Contains(all, h.T("history.removed", "what", "Өмүрбек")) {
		t.Errorf("the attendee still on the list is said to be taken off:\n%s", all)
	}
}

// What a subscription queued for the UI goroutine just before the window
// closed is dropped once the shell has stopped: a sync status that reached
// a record's page after the store was closed read the nil session and
// crashed the app (seen in the real-window test of central staff).
func TestShellDropsWhatWasQueuedAfterItStopped(t *testing.T) {
	h := unlocked(t, "en", 1, 0, 0)
	id := h.u.summaries(records.Filter{Kind: domain.KindAppeal})[0].ID
	h.u.shell.push(newAppealDetail(h.u, id))
	h.drain()
	s := h.u.shell
	ran := false
	s.do(func() { ran = true })
	h.drain()
	if !ran {
		t.Fatal("a live shell did not run what was queued")
	}
	h.u.Close()
	s.do(func() { t.Error("ran on a stopped shell") })
	s.do(func() { s.status.update(syncer.Status{State: syncer.StateIdle}) })
	h.drain()
}
