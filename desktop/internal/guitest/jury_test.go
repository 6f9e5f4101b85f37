package guitest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/uiprobe"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/refdata"
)

// TestRealWindowJuryAndTraining is a council's secretary, in Kyrgyz, with
// the mouse, on what central staff set up from their laptop (keneshctl)
// through a real kenesh-syncserver: the secretary's laptop is a juror of
// a journalists' competition and the council held a training.
//
// The training's attendance list: two people added in the attendee
// dialog (a name typed, gender and group chosen from their drop-downs),
// a name left out refused beside its field, the list and the
// participants counted from it shown on the training's page.
//
// The competition: the home screen counts the entries to score; the
// Competitions page and the competition's page list them, the work sent
// as a file already here (the juror's laptop fetched it with the sync)
// with Open; the scoring form is one drop-down of points per criterion,
// a criterion left out is named, then the score saved; the entry the
// juror is related to offers no Score. Read back on central staff's
// laptop after both syncs: the scores and the attendees.
func TestRealWindowJuryAndTraining(t *testing.T) {
	r := newRig(t)
	srv := r.startServer()
	srv.addCouncil()
	central := r.newLaptop(srv, "central", "", "Бишкек, борбордук кеңсе")
	sec := r.newLaptop(srv, "secretary", council, "Ат-Башы кеңешинин ноутбугу")
	var status struct{ Device struct{ ID string } }
	if err := json.Unmarshal(sec.ctl("status"), &status); err != nil || status.Device.ID == "" {
		t.Fatalf("the secretary's device: %+v %v", status, err)
	}

	today := caldate.Of(time.Now().In(time.FixedZone("Asia/Bishkek", 6*3600)))
	title := "Мыкты журналисттик иш 2026"
	var comp struct{ ID string }
	if err := json.Unmarshal(central.ctlIn(fmt.Sprintf(`{"title": %q, "audience": "journalists", "deadline": %q, "places": 2,
		"rules": "Иштер 2026-жылы жарыяланган болушу керек.",
		"criteria": [{"name": "Маанилүүлүгү", "max": 10}, {"name": "Сапаты", "max": 5}],
		"jurors": [{"name": "Айгүл Токтогулова", "device": %q}, {"name": "Бакыт Асанов", "device": "0193f2a4-7c1e-7d2a-9b3e-5f6a7b8c9d0e"}]}`,
		title, today.AddDays(-2).String(), status.Device.ID), "competition", "add"), &comp); err != nil || comp.ID == "" {
		t.Fatalf("the competition: %+v %v", comp, err)
	}
	work := filepath.Join(t.TempDir(), "жер-үлүшү.pdf")
	if err := os.WriteFile(work, []byte("%PDF-1.4\nЖер үлүшү кимде? Иликтөө.\n%%EOF\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	central.ctlIn(`{"author": "Нурлан Токтоматов", "title": "Жер үлүшү кимде?"}`, "competition", "entry", "add", comp.ID, "--file", work)
	central.ctlIn(`{"author": "Айжан Осмонова", "title": "Айылдагы суу", "link": "https://kaktus.example.kg/suu"}`, "competition", "entry", "add", comp.ID)
	central.ctlIn(`{"author": "Эмил Садыков", "title": "Мектептин чатыры", "related": ["Айгүл Токтогулова"]}`, "competition", "entry", "add", comp.ID)
	training := "Кайрылуулар менен иштөө: окуу"
	var ev struct{ ID string }
	if err := json.Unmarshal(sec.ctlIn(fmt.Sprintf(`{"council": %q, "kind": "training", "title": %q, "date": %q, "oblast": %q, "district": "KG-N-ATB", "venue": "Айыл өкмөтүнүн залы"}`,
		council, training, today.AddDays(-1).String(), councilOblast), "event", "add"), &ev); err != nil || ev.ID == "" {
		t.Fatalf("the training: %+v %v", ev, err)
	}
	central.ctl("sync")
	sec.ctl("sync")
	r.mark("a competition sent to the juror's laptop, a training recorded")

	a := r.run(sec.data, "ky")
	a.unlock()

	// The training's attendance, with the mouse.
	a.page("events")
	a.click("label", text(training), "the training's row")
	a.waitFor("the training's page", func(d uiprobe.Dump) bool { return shows(d, a.T("training.attendance_none")) })
	people := []struct{ name, gender, group, org string }{
		{"Гүлнара Үсөнова", term(refdata.Genders, "female", "ky"), term(refdata.ParticipantGroups, "council_members", "ky"), "Коомдук кеңеш"},
		{"Өмүрбек Нуров", term(refdata.Genders, "male", "ky"), term(refdata.ParticipantGroups, "officials", "ky"), "Айыл өкмөтү"},
	}
	for i, p := range people {
		a.clickFor("button "+a.T("training.add"), on("button", text(a.T("training.add"))), "the attendee dialog", func(d uiprobe.Dump) bool {
			_, ok := find(d, "entry", named("attendee.name"))
			return ok && d.Dialogs == 1
		})
		a.choose("attendee.gender", p.gender)
		a.choose("attendee.group", p.group)
		a.typeInto("attendee.organisation", p.org)
		if i == 0 {
			// No name: refused beside the field, the dialog stays with
			// what was chosen.
			a.click("button", func(it uiprobe.Item) bool { return it.Layer == 1 && it.Text == a.T("action.save") }, "the dialog's save")
			a.waitFor("the name asked for", func(d uiprobe.Dump) bool { return d.Dialogs == 1 && shows(d, a.T("form.fix", "n", 1)) })
		}
		a.typeInto("attendee.name", p.name)
		a.click("button", func(it uiprobe.Item) bool { return it.Layer == 1 && it.Text == a.T("action.save") }, "the dialog's save")
		n := i + 1
		a.waitFor("the attendee on the list", func(d uiprobe.Dump) bool {
			return d.Dialogs == 0 && shows(d, a.T("training.attendance", "n", n)) && shows(d, fmt.Sprintf("%d. %s", n, p.name))
		})
	}
	d, _ := a.dump()
	if !shows(d, a.T("training.counted_from_list")) || !shows(d, "Айыл өкмөтү · ") {
		a.fail("the training's page does not show the list as counted, with the organisation")
	}
	a.screenshot("training-attendance")
	r.mark("two attendees added with the mouse")

	// The competition: from the home screen to the scoring form.
	d = a.page("home")
	if !shows(d, a.T("home.competitions", "n", 2)) {
		a.fail("the home screen does not count two entries to score")
	}
	a.clickButton(a.T("home.competitions_all"))
	a.waitFor("the Competitions page", func(d uiprobe.Dump) bool { return d.Title == a.T("competitions.title") })
	a.clickButton(title)
	d = a.waitFor("the competition's page", func(d uiprobe.Dump) bool {
		return d.Title == a.T("competition.title") && shows(d, "Айылдагы суу")
	})
	if !shows(d, a.T("competition.related")) || count(d, "button", a.T("competition.score")) != 2 {
		a.fail("the competition's page: Score %d times, want 2 (not the related entry)", count(d, "button", a.T("competition.score")))
	}
	if count(d, "button", a.T("files.open")) != 1 {
		a.fail("the work sent as a file is not here to open")
	}
	for i, e := range []struct {
		title  string
		points [2]string
	}{{"Жер үлүшү кимде?", [2]string{"8", "4"}}, {"Айылдагы суу", [2]string{"7", "5"}}} {
		a.clickAt("Score of "+e.title, nthText("button", a.T("competition.score"), 0))
		a.waitFor("the scoring form", func(d uiprobe.Dump) bool { return d.Title == a.T("score.title") && shows(d, e.title) })
		a.choose("score.1", e.points[0])
		if i == 0 {
			a.clickButton(a.T("score.save"))
			a.waitFor("the criterion left out named", func(d uiprobe.Dump) bool { return shows(d, a.T("score.missing", "names", "Сапаты")) })
		}
		a.choose("score.2", e.points[1])
		if i == 0 {
			a.screenshot("competition-scoring")
		}
		a.clickButton(a.T("score.save"))
		n := 2 - i - 1
		a.waitFor("back on the competition's page", func(d uiprobe.Dump) bool {
			return d.Title == a.T("competition.title") && count(d, "button", a.T("competition.score")) == n
		})
	}
	a.screenshot("competition-scored")
	a.clickButton(a.T("sync.now"))
	a.waitFor("everything sent", func(d uiprobe.Dump) bool {
		return shows(d, a.T("sync.state.idle")) && shows(d, a.T("sync.pending", "n", 0))
	})
	a.key("ctrl+q")
	a.waitExit("Ctrl+Q")
	r.mark("two entries scored with the mouse")

	// As central staff read it after their sync.
	central.ctl("sync")
	var got struct {
		Scores []struct {
			Juror  string
			Entry  string
			Points map[string]int
		}
	}
	if err := json.Unmarshal(central.ctl("competition", "show", comp.ID), &got); err != nil || len(got.Scores) != 2 {
		t.Fatalf("the scores on central staff's laptop: %+v %v", got, err)
	}
	for _, s := range got.Scores {
		want := map[string]int{"Жер үлүшү кимде?": 12, "Айылдагы суу": 12}[s.Entry]
		if s.Juror != "Айгүл Токтогулова" || s.Points["Маанилүүлүгү"]+s.Points["Сапаты"] != want {
			t.Fatalf("a score on central staff's laptop: %+v", s)
		}
	}
	var attendance struct {
		Attendees []struct{ Name, Gender, Group string }
		Total     int
	}
	if err := json.Unmarshal(central.ctl("training", "attendance", ev.ID), &attendance); err != nil || len(attendance.Attendees) != 2 || attendance.Total != 2 {
		t.Fatalf("the attendance on central staff's laptop: %+v %v", attendance, err)
	}
	for i, want := range []struct{ name, gender, group string }{{"Гүлнара Үсөнова", "female", "council_members"}, {"Өмүрбек Нуров", "male", "officials"}} {
		if g := attendance.Attendees[i]; g.Name != want.name || g.Gender != want.gender || g.Group != want.group {
			t.Fatalf("attendee %d on central staff's laptop: %+v", i+1, g)
		}
	}
}
