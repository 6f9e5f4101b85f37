package guitest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/uiprobe"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

const (
	earlyNote    = "Борбор карап чыкты: ң ө ү"
	earlySummary = "Мектептин чатыры агат"
	fixedSummary = "Ат-Башы мектебинин чатыры агат: ң ө ү"
)

// noCodes fails when the window shows an id or a code (or a key of the
// catalogue, for a word it lacks).
func noCodes(app *app, d uiprobe.Dump, bad ...string) {
	app.t.Helper()
	for _, it := range d.Items {
		for _, b := range append(bad, "forbidden", "not_allowed", "invalid", "review_note", "land_property", "KG-N", "status.", "field.", "refusals.") {
			if b != "" && strings.Contains(it.Text, b) {
				app.fail("%q shows %q: an id or a code", it.Text, b)
			}
		}
	}
}

// TestRealWindowRefusedCreationCorrected: a laptop used before it was
// enrolled recorded an appeal with a review note (central staff's to
// write); enrolled as the council's, its appeal's creation is refused by
// the real server for the note. In Kyrgyz and with the mouse, the
// secretary opens it from the status bar, reads that the note stays on
// this laptop only, corrects the appeal in its form and syncs: the
// creation goes again without the note and the centre takes it; taking
// the centre's value for the note (none) settles the rest, the status
// bar says everything is sent, and central staff's laptop reads the
// appeal whole, as corrected.
func TestRealWindowRefusedCreationCorrected(t *testing.T) {
	r := newRig(t)
	srv := r.startServer()
	srv.addCouncil()
	sec := r.newLaptop(nil, "", "", refusalLaptop)
	sec.ctl("council", "add", "--code", council, "--name", councilName, "--oblast", councilOblast, "--district", "KG-N-ATB")
	var a struct {
		ID    string `json:"id"`
		RegNo string `json:"reg_no"`
	}
	out := sec.ctlIn(`{"council":"`+council+`","channel":"in_person","oblast":"KG-N","district":"KG-N-ATB","category":"land_property",`+
		`"appellant":{"name":"Асанова Гүлнара"},"summary":"`+earlySummary+`","review_note":"`+earlyNote+`"}`, "appeal", "add")
	if err := json.Unmarshal(out, &a); err != nil {
		t.Fatal(err)
	}
	sec.ctl("enroll", "--server", srv.URL, "--code", srv.code("secretary", council, refusalLaptop))
	sec.ctl("sync")
	var st struct {
		RefusedOpen int `json:"refused_open"`
		Pending     int `json:"pending"`
	}
	if err := json.Unmarshal(sec.ctl("status"), &st); err != nil || st.RefusedOpen != 1 {
		t.Fatalf("status after the refusal: %+v %v", st, err)
	}
	r.mark("an appeal's creation the server refused")

	app := r.run(sec.data, "ky")
	app.unlock()
	count := app.T("sync.refused", "n", 1)
	app.waitFor("the status bar's count", func(d uiprobe.Dump) bool {
		return shows(d, count) && shows(d, app.T("sync.state.idle_refused"))
	})
	app.screenshot("created-status")
	app.clickButton(count)
	d := app.waitFor("the refused creation", func(d uiprobe.Dump) bool {
		return d.Title == app.T("refusals.title") && shows(d, app.T("refusals.created")) && shows(d, earlyNote) && shows(d, app.T("refusals.kept"))
	})
	if !shows(d, a.RegNo) || !shows(d, app.T("field.review_note")) {
		app.fail("the card does not name the appeal and the note")
	}
	noCodes(app, d, a.ID)
	app.screenshot("created-list")
	r.mark("the refused creation seen")

	// Correct it: the appeal's form, from the card.
	app.clickButton(app.T("refusals.correct"))
	app.waitFor("the appeal's form", func(d uiprobe.Dump) bool {
		_, ok := find(d, "entry", named("appeal.summary"))
		return ok
	})
	app.typeInto("appeal.summary", fixedSummary)
	app.screenshot("created-form")
	app.clickButton(app.T("action.save"))
	app.waitFor("the appeal saved", func(d uiprobe.Dump) bool {
		_, form := find(d, "entry", named("appeal.summary"))
		return !form && shows(d, fixedSummary)
	})
	app.clickButton(app.T("sync.now"))
	// Sent and taken; the note, which this laptop may not write, stays
	// here alone, and says so.
	d = app.waitFor("the correction sent", func(d uiprobe.Dump) bool {
		return shows(d, app.T("sync.pending", "n", 0)) && shows(d, count) && shows(d, app.T("refusals.banner")) &&
			shows(d, app.T("refusals.kept")) && !shows(d, app.T("refusals.created"))
	})
	if _, ok := find(d, "button", text(app.T("refusals.correct"))); ok {
		app.fail("the note, which this laptop may not write, is offered for correction")
	}
	noCodes(app, d, a.ID)
	app.screenshot("created-sent")
	r.mark("the correction sent")

	app.clickButton(app.T("refusals.take_centre"))
	app.waitFor("the question", func(d uiprobe.Dump) bool { return d.Dialogs == 1 && showsOn(d, 1, app.T("refusals.take_text")) })
	app.clickButton(app.T("refusals.take_yes"))
	app.waitFor("the refusal settled", func(d uiprobe.Dump) bool {
		// The note stays in the record's history only.
		return d.Dialogs == 0 && !shows(d, app.T("refusals.banner")) && !shows(d, count) && !shows(d, app.T("refusals.kept"))
	})
	app.clickButton(app.T("sync.now"))
	app.waitFor("everything sent", func(d uiprobe.Dump) bool {
		return shows(d, app.T("sync.state.idle")) && shows(d, app.T("sync.pending", "n", 0)) && !shows(d, app.T("sync.state.idle_refused"))
	})
	app.screenshot("created-settled")
	app.key("ctrl+q")
	app.waitExit("Ctrl+Q")
	r.mark("the rest settled")

	central := r.newLaptop(srv, "central", "", refusalCentral)
	central.ctl("sync")
	for _, l := range []laptop{sec, central} {
		var got struct {
			RegNo      string `json:"reg_no"`
			Summary    string `json:"summary"`
			Category   string `json:"category"`
			Channel    string `json:"channel"`
			ReviewNote string `json:"review_note"`
			Appellant  struct {
				Name string `json:"name"`
			} `json:"appellant"`
		}
		if err := json.Unmarshal(l.ctl("appeal", "show", a.ID), &got); err != nil {
			t.Fatal(err)
		}
		if got.RegNo != a.RegNo || got.Summary != fixedSummary || got.Category != "land_property" || got.Channel != "in_person" ||
			got.Appellant.Name != "Асанова Гүлнара" || got.ReviewNote != "" {
			t.Fatalf("the appeal reads back as %+v", got)
		}
	}
	if err := json.Unmarshal(sec.ctl("status"), &st); err != nil || st.RefusedOpen != 0 || st.Pending != 0 {
		t.Fatalf("status at the end: %+v %v", st, err)
	}
}

// The hearing and the follow-up action the centre holds, and the text an
// old laptop wrote where that action belongs.
const (
	hearingTitle   = "Жер маселеси боюнча коомдук угуу"
	hearingAction  = "Айыл өкмөтүнө сунуштарды жөнөтүү"
	hearingOwner   = "Үсөнова Гүлзат"
	hearingRefused = "аткарылды деп белгиленди: ң ө ү"
)

// TestRealWindowRefusedEventChange: a change of a hearing the real server
// refuses (an old laptop's text where a follow-up action belongs) is
// found and settled as an appeal's: in Kyrgyz and with the mouse, from
// the status bar to the refused changes, the hearing named as its list
// names it (no id, no code), its page, where the refusal is said at its
// head, the centre's value taken and synced, everything sent; central
// staff's laptop and this one read the hearing back whole.
func TestRealWindowRefusedEventChange(t *testing.T) {
	r := newRig(t)
	srv := r.startServer()
	srv.addCouncil()
	sec := r.newLaptop(srv, "secretary", council, refusalLaptop)
	today := caldate.Of(time.Now().In(time.FixedZone("Asia/Bishkek", 6*3600)))
	var ev struct {
		ID        string `json:"id"`
		FollowUps []struct {
			ID string `json:"id"`
		} `json:"followups"`
	}
	out := sec.ctlIn(fmt.Sprintf(`{"council": %q, "kind": "hearing", "title": %q, "date": %q, "oblast": %q, "district": "KG-N-ATB",`+
		`"venue": "Айыл өкмөтүнүн залы", "followups": [{"action": %q, "owner": %q, "due": %q}]}`,
		council, hearingTitle, today.AddDays(-1).String(), councilOblast, hearingAction, hearingOwner, today.AddDays(14).String()), "event", "add")
	if err := json.Unmarshal(out, &ev); err != nil || len(ev.FollowUps) != 1 {
		t.Fatalf("the hearing: %s %v", out, err)
	}
	sec.ctl("sync")
	field := "followups" + changeset.ItemSep + ev.FollowUps[0].ID
	oldLaptopWrite(t, sec.data, domain.KindEvent, ev.ID, field, hearingRefused)
	sec.ctl("sync")
	var st struct {
		RefusedOpen int `json:"refused_open"`
		Pending     int `json:"pending"`
	}
	if err := json.Unmarshal(sec.ctl("status"), &st); err != nil || st.RefusedOpen != 1 {
		t.Fatalf("status after the refusal: %+v %v", st, err)
	}
	r.mark("a hearing's change the server refused")

	app := r.run(sec.data, "ky")
	app.unlock()
	count := app.T("sync.refused", "n", 1)
	app.waitFor("the status bar's count", func(d uiprobe.Dump) bool {
		return shows(d, count) && shows(d, app.T("sync.state.idle_refused")) && !shows(d, app.T("sync.state.idle"))
	})
	app.clickButton(count)
	d := app.waitFor("the refused change", func(d uiprobe.Dump) bool {
		return d.Title == app.T("refusals.title") && shows(d, hearingRefused) && shows(d, hearingAction)
	})
	for _, want := range []string{app.T("event.title") + " · " + hearingTitle, app.T("refusals.here"), app.T("refusals.centre"), app.T("field.followups")} {
		if !shows(d, want) {
			app.fail("the refused change's card does not say %q", want)
		}
	}
	noCodes(app, d, ev.ID, ev.FollowUps[0].ID, "followups/", "hearing")
	app.screenshot("event-refusal-list")
	r.mark("the hearing's refusal seen")

	app.click("link", prefix(app.T("event.title")+" · "), "the hearing's name")
	d = app.waitFor("the hearing's page", func(d uiprobe.Dump) bool {
		return d.Title == app.T("event.title") && shows(d, app.T("refusals.banner")) && shows(d, hearingRefused) && shows(d, hearingTitle)
	})
	noCodes(app, d, ev.ID, ev.FollowUps[0].ID, "followups/", "hearing")
	app.screenshot("event-refusal-record")
	app.clickButton(app.T("refusals.take_centre"))
	app.waitFor("the question", func(d uiprobe.Dump) bool { return d.Dialogs == 1 && showsOn(d, 1, app.T("refusals.take_text")) })
	app.clickButton(app.T("refusals.take_yes"))
	app.waitFor("the refusal settled", func(d uiprobe.Dump) bool {
		// The old laptop's text stays in the hearing's history only.
		return d.Dialogs == 0 && !shows(d, app.T("refusals.banner")) && !shows(d, count) && shows(d, hearingAction) &&
			!shows(d, app.T("refusals.take_centre"))
	})
	app.clickButton(app.T("sync.now"))
	app.waitFor("everything sent", func(d uiprobe.Dump) bool {
		return shows(d, app.T("sync.state.idle")) && shows(d, app.T("sync.pending", "n", 0))
	})
	app.screenshot("event-refusal-settled")
	app.key("ctrl+q")
	app.waitExit("Ctrl+Q")
	r.mark("the centre's value taken and synced")

	central := r.newLaptop(srv, "central", "", refusalCentral)
	central.ctl("sync")
	for _, l := range []laptop{sec, central} {
		var got struct {
			Title     string `json:"title"`
			Kind      string `json:"kind"`
			FollowUps []struct {
				Action string `json:"action"`
				Owner  string `json:"owner"`
			} `json:"followups"`
		}
		if err := json.Unmarshal(l.ctl("event", "show", ev.ID), &got); err != nil {
			t.Fatal(err)
		}
		if got.Title != hearingTitle || got.Kind != "hearing" || len(got.FollowUps) != 1 || got.FollowUps[0].Action != hearingAction || got.FollowUps[0].Owner != hearingOwner {
			t.Fatalf("the hearing reads back as %+v", got)
		}
	}
	if err := json.Unmarshal(sec.ctl("status"), &st); err != nil || st.RefusedOpen != 0 || st.Pending != 0 {
		t.Fatalf("status at the end: %+v %v", st, err)
	}
}
