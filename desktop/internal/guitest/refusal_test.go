package guitest

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/keyfile"
	"github.com/kenesh/kenesh/desktop/internal/session"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/desktop/internal/uiprobe"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

// The consultation a laptop of before records.Resolve's check wrote as
// text where the item belongs (0907098), and the item the centre holds.
const (
	refusedText    = "бириктирилди: ң ө ү"
	centreAdvisor  = "Исакова Нургүл"
	centreAdvice   = "Арызды прокуратурага жөнөтүү сунушталды"
	refusalAppeal  = "Жер үлүшү мыйзамсыз тартылып алынды"
	refusalLaptop  = "Ат-Башы кеңешинин ноутбугу"
	refusalCentral = "Борбордук кеңсе"
)

// oldLaptopItem writes to an enrolled laptop's store what a laptop of
// before the item check saved: text for an appeal's consultation, as its
// next operation. It returns the consultation's field name.
func oldLaptopItem(t *testing.T, data, id string) string {
	t.Helper()
	ctx := context.Background()
	s, err := session.Unlock(ctx, data, passphrase, session.Options{KDF: keyfile.TestParams})
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Records().Appeal(ctx, id)
	s.Close()
	if err != nil || len(a.Consultations) != 1 {
		t.Fatalf("the appeal: %+v %v", a, err)
	}
	field := "consultations" + changeset.ItemSep + a.Consultations[0].ID
	oldLaptopWrite(t, data, domain.KindAppeal, id, field, refusedText)
	return field
}

// oldLaptopWrite writes to an enrolled laptop's store text for field of
// a record, as its next operation, as a laptop of before a check of the
// server's saved it (text where an item belongs).
func oldLaptopWrite(t *testing.T, data, kind, id, field, value string) {
	t.Helper()
	ctx := context.Background()
	s, err := session.Unlock(ctx, data, passphrase, session.Options{KDF: keyfile.TestParams})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	svc := s.Records()
	cur, err := s.Core.Store.State(ctx, kind, id)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := json.Marshal(value)
	seq := svc.Seq() + 1
	old := &changeset.Op{Device: svc.Device().ID, Seq: seq, HLC: cur.Updated + 1, Kind: kind, Record: id, Council: cur.Council,
		Action: changeset.ActionUpdate, Author: refusalLaptop, Fields: map[string]changeset.Change{field: {Value: text, Base: cur.Fields[field].HLC}}}
	next := cur.Clone()
	if _, _, err := next.Apply(old); err != nil {
		t.Fatal(err)
	}
	n := func(v uint64) []byte { return []byte(strconv.FormatUint(v, 10)) }
	if err := s.Core.Store.Commit(ctx, []store.Write{{Op: old, State: next}}, map[string][]byte{"seq": n(seq), "clock": n(uint64(old.HLC))}); err != nil {
		t.Fatal(err)
	}
}

// TestRealWindowRefusal: a council's laptop holds a change the real
// server refuses (an old laptop's text where a consultation belongs).
// In Kyrgyz and with the mouse, the secretary sees it from the status
// bar, reads on the list the appeal as its list names it, the field, the
// value here beside the centre's and why, in words (no id, no code),
// takes the centre's value, and syncs; central staff's laptop, and this
// one, read the consultation back as the centre holds it.
func TestRealWindowRefusal(t *testing.T) {
	r := newRig(t)
	srv := r.startServer()
	srv.addCouncil()
	sec := r.newLaptop(srv, "secretary", council, refusalLaptop)
	var a struct {
		ID    string `json:"id"`
		RegNo string `json:"reg_no"`
	}
	out := sec.ctlIn(`{"council":"`+council+`","channel":"in_person","oblast":"KG-N","category":"land_property","appellant":{"name":"Асанова Гүлнара"},"summary":"`+
		refusalAppeal+`"}`, "appeal", "add")
	if err := json.Unmarshal(out, &a); err != nil {
		t.Fatal(err)
	}
	sec.ctl("appeal", "consult", a.RegNo, "--by", centreAdvisor, "--summary", centreAdvice)
	sec.ctl("sync")
	field := oldLaptopItem(t, sec.data, a.ID)
	sec.ctl("sync")
	var st struct {
		RefusedOpen int `json:"refused_open"`
	}
	if err := json.Unmarshal(sec.ctl("status"), &st); err != nil || st.RefusedOpen != 1 {
		t.Fatalf("status after the refusal: %+v %v", st, err)
	}
	r.mark("a change the server refused")

	app := r.run(sec.data, "ky")
	app.unlock()
	count := app.T("sync.refused", "n", 1)
	// Sent, but never "everything sent": the status bar and the home say
	// the centre refused one.
	app.waitFor("the status bar's count", func(d uiprobe.Dump) bool {
		return shows(d, count) && shows(d, app.T("sync.state.idle_refused")) && !shows(d, app.T("sync.state.idle")) &&
			shows(d, app.T("home.refused", "n", 1)) && !shows(d, app.T("home.synced_all"))
	})
	app.screenshot("refusal-status")
	app.clickButton(count)
	d := app.waitFor("the refused changes", func(d uiprobe.Dump) bool {
		return d.Title == app.T("refusals.title") && shows(d, refusedText) && shows(d, centreAdvice)
	})
	for _, want := range []string{a.RegNo, app.T("refusals.here"), app.T("refusals.centre"), app.T("field.consultations")} {
		if !shows(d, want) {
			app.fail("the refused change's card does not say %q", want)
		}
	}
	consultation := strings.TrimPrefix(field, "consultations/")
	for _, it := range d.Items {
		for _, bad := range []string{a.ID, consultation, "invalid", "forbidden", "not_allowed", "consultations/"} {
			if strings.Contains(it.Text, bad) {
				app.fail("%q shows %q: an id or a code", it.Text, bad)
			}
		}
	}
	if _, ok := find(d, "button", text(app.T("refusals.correct"))); ok {
		app.fail("a consultation's refusal offers the appeal's form, where consultations are not")
	}
	app.screenshot("refusal-list")
	r.mark("the refusal seen")

	// The appeal's page, opened from its name: it says so at its head.
	app.click("link", prefix(app.T("appeal.title")+" "+a.RegNo), "the appeal's name")
	app.waitFor("the appeal's page", func(d uiprobe.Dump) bool {
		return d.Title == app.T("appeal.title")+" "+a.RegNo && shows(d, app.T("refusals.banner")) && shows(d, refusedText) &&
			shows(d, app.T("history.refused"))
	})
	app.screenshot("refusal-record")
	app.clickButton(app.T("refusals.take_centre"))
	app.waitFor("the question", func(d uiprobe.Dump) bool { return d.Dialogs == 1 && showsOn(d, 1, app.T("refusals.take_text")) })
	app.screenshot("refusal-take")
	app.clickButton(app.T("refusals.take_yes"))
	app.waitFor("the refusal settled", func(d uiprobe.Dump) bool {
		return d.Dialogs == 0 && !shows(d, app.T("refusals.banner")) && !shows(d, count) && shows(d, centreAdvice)
	})
	app.clickButton(app.T("sync.now"))
	app.waitFor("the centre's value sent", func(d uiprobe.Dump) bool {
		return shows(d, app.T("sync.state.idle")) && shows(d, app.T("sync.pending", "n", 0))
	})
	app.screenshot("refusal-settled")
	app.key("ctrl+q")
	app.waitExit("Ctrl+Q")
	r.mark("the centre's value taken and synced")

	central := r.newLaptop(srv, "central", "", refusalCentral)
	central.ctl("sync")
	for _, l := range []laptop{sec, central} {
		var got struct {
			Consultations []struct{ Consultant, Summary string }
		}
		if err := json.Unmarshal(l.ctl("appeal", "show", a.ID), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Consultations) != 1 || got.Consultations[0].Consultant != centreAdvisor || got.Consultations[0].Summary != centreAdvice {
			t.Fatalf("the consultation reads back as %+v", got.Consultations)
		}
	}
	if err := json.Unmarshal(sec.ctl("status"), &st); err != nil || st.RefusedOpen != 0 {
		t.Fatalf("status after taking the centre's value: %+v %v", st, err)
	}
}
