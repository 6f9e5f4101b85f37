package guitest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/keyfile"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/session"
	"github.com/kenesh/kenesh/desktop/internal/showcase"
	"github.com/kenesh/kenesh/desktop/internal/uiprobe"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

// The consultation of the item conflict, as this laptop changed it.
const (
	itemConsultant = "Асанова Гүлнара"
	itemChanged    = "Укуктук кеңеш: арыз прокуратурага өткөрүлдү ң ө ү"
)

// itemConflictStore adds to a demo store a conflict on an item of a
// collection: a consultation changed on this laptop and removed on
// another, the removal later (so it wins and shows as the value now). It
// returns the appeal's registration number.
func itemConflictStore(t *testing.T, data string) string {
	t.Helper()
	ctx := context.Background()
	s, err := session.Unlock(ctx, data, passphrase, session.Options{KDF: keyfile.TestParams})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	svc := s.Records()
	list, err := svc.List(records.Filter{Kind: domain.KindAppeal})
	if err != nil || len(list) < 3 {
		t.Fatalf("demo appeals: %d, %v", len(list), err)
	}
	// The first two have the showcase's conflicts on their summary.
	a, err := svc.AddConsultation(ctx, list[2].ID, domain.Consultation{On: caldate.Today(time.Local), Consultant: itemConsultant, Summary: "Укуктук кеңеш берилди"})
	if err != nil {
		t.Fatal(err)
	}
	c := a.Consultations[len(a.Consultations)-1]
	c.Summary = itemChanged
	rest := append([]domain.Consultation{}, a.Consultations[:len(a.Consultations)-1]...)
	patch, _ := json.Marshal(map[string]any{"consultations": append(rest, c)})
	field := "consultations" + changeset.ItemSep + c.ID
	if err := showcase.ConflictPatch(ctx, svc, domain.KindAppeal, a.ID, field, patch, json.RawMessage("null"), "Борбордук кеңсе"); err != nil {
		t.Fatal(err)
	}
	return a.RegNo
}

// TestRealWindowItemConflict settles, with the mouse and in Kyrgyz, a
// conflict on an item of a collection: a consultation changed on this
// laptop and removed on another. Its card shows both sides readably; a
// merge written by hand as text is refused with a message in the dialog
// and changes nothing (the records' check of 0907098: an item is null or
// an object with its id, never text); then the changed consultation is
// kept with its button and read back with keneshctl, every conflict of
// the store still listed but this one.
func TestRealWindowItemConflict(t *testing.T) {
	r := newRig(t)
	data := demoStore(t)
	regNo := itemConflictStore(t, data)
	a := r.run(data, "ky")
	a.unlock()
	a.clickNav("conflicts")
	count := func(d uiprobe.Dump) int {
		n := 0
		for _, it := range d.Items {
			if it.Kind == "button" && it.Text == a.T("conflicts.keep") && it.Layer == 0 {
				n++
			}
		}
		return n
	}
	a.waitFor("three conflicts", func(d uiprobe.Dump) bool { return count(d) == 6 })
	// The item's card: the side that lost shows the consultation changed here.
	side := func(d uiprobe.Dump) (uiprobe.Item, bool) {
		return find(d, "label", func(it uiprobe.Item) bool { return strings.Contains(it.Text, itemChanged) })
	}
	below := func(label string) locator {
		return func(d uiprobe.Dump) (uiprobe.Item, bool) {
			s, ok := side(d)
			if !ok {
				return uiprobe.Item{}, false
			}
			var best uiprobe.Item
			found := false
			for _, it := range d.Items {
				// In its column: the other side's button is as low.
				column := it.X < s.X+s.W && it.X+it.W > s.X
				if it.Kind == "button" && it.Text == label && it.Layer == s.Layer && column && it.Y > s.Y && (!found || it.Y < best.Y) {
					best, found = it, true
				}
			}
			return best, found
		}
	}
	// The card: the removal says so (it showed "—"), the consultation
	// reads as fields without its id, and no merge by hand is offered
	// (it was a JSON editor, where text was refused and the message drawn
	// over the dialog's last lines): keep one, then edit the record.
	a.itemAt("the changed consultation", side)
	a.itemAt("the explanation under the item", on("label", func(it uiprobe.Item) bool { return it.Text == a.T("conflicts.item_explain") }))
	shown := a.waitFor("the item's card", func(d uiprobe.Dump) bool { return shows(d, a.T("conflicts.removed")) })
	if s, _ := side(shown); strings.Contains(s.Text, a.T("field.id")) || !strings.Contains(s.Text, itemConsultant) {
		a.fail("the changed consultation reads %q", s.Text)
	}
	merges := 0
	for _, it := range shown.Items {
		if it.Kind == "button" && it.Text == a.T("conflicts.merge") {
			merges++
		}
	}
	if merges != 2 {
		a.fail("%d merge buttons: want the two text conflicts' only", merges)
	}
	a.screenshot("item-conflict")
	r.mark("the item's conflict shown")

	// The changed consultation kept with its button.
	a.clickAt("keep the changed consultation", below(a.T("conflicts.keep")))
	a.waitFor("two conflicts left", func(d uiprobe.Dump) bool { _, ok := side(d); return !ok && count(d) == 4 })
	a.screenshot("item-conflict-kept")
	a.key("ctrl+q")
	a.waitExit("Ctrl+Q")

	var saved struct {
		Consultations []struct{ ID, Consultant, Summary string }
	}
	out := ctl(t, r.keneshctl, data, "appeal", "show", regNo)
	if err := json.Unmarshal(out, &saved); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, c := range saved.Consultations {
		found = found || c.Consultant == itemConsultant && c.Summary == itemChanged
	}
	if !found {
		t.Fatalf("the kept consultation reads back as %+v:\n%s", saved.Consultations, out)
	}
	var left []struct{ Field string }
	if err := json.Unmarshal(ctl(t, r.keneshctl, data, "conflicts", "list"), &left); err != nil || len(left) != 2 {
		t.Fatalf("conflicts left: %+v (%v), want the two summaries", left, err)
	}
	for _, c := range left {
		if c.Field != "summary" {
			t.Fatalf("conflicts left: %+v, want the two summaries", left)
		}
	}
}
