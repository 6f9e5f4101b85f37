package syncer

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/syncproto/synctest"
)

// An operation a laptop of before records.Resolve's check already holds,
// writing text where an appeal's item belongs (0907098): the server
// refuses it (policy.CheckItem), naming the field; the laptop keeps it in
// its history, lists it as refused and sends what it saved after it, and
// the centre holds the item as it was, a later edit of the appeal here
// included. (This laptop keeps the text, as it keeps every refused change,
// so its appeal reads without the item; its save leaves that alone:
// changeset.Diff.)
func TestAnItemThatIsNotIsRefusedAndTheRestSent(t *testing.T) {
	ctx := context.Background()
	srv := startFake(t, synctest.Options{})
	srv.addCouncil("NRN-ATB", "Ат-Башы коомдук кеңеши", "KG-N")
	l := newLaptop(t, "old-laptop")
	l.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.URL)
	today := caldate.Today(records.Bishkek)
	a, err := l.svc.CreateAppeal(ctx, domain.Appeal{Council: "NRN-ATB", Channel: "phone", Oblast: "KG-N", Category: "health",
		Anonymous: true, Summary: "Дары жок", ReceivedOn: today, RegisteredOn: today})
	if err != nil {
		t.Fatal(err)
	}
	if a, err = l.svc.AddConsultation(ctx, a.ID, domain.Consultation{On: today, Consultant: "Асанов Б.", Summary: "Жолдомо берилди"}); err != nil {
		t.Fatal(err)
	}
	field := "consultations" + changeset.ItemSep + a.Consultations[0].ID
	item, _ := json.Marshal(a.Consultations[0])

	// What the old version saved: text for the item, as this laptop's next
	// operation (written to its store as that version did; this one
	// refuses to make it).
	cur, err := l.st.State(ctx, domain.KindAppeal, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	seq, text := l.svc.Seq()+1, json.RawMessage(`"бириктирилди"`)
	old := &changeset.Op{Device: l.svc.Device().ID, Seq: seq, HLC: cur.Updated + 1, Kind: domain.KindAppeal, Record: a.ID, Council: a.Council,
		Action: changeset.ActionUpdate, Author: "old-laptop", Fields: map[string]changeset.Change{field: {Value: text, Base: cur.Fields[field].HLC}}}
	next := cur.Clone()
	if _, _, err := next.Apply(old); err != nil {
		t.Fatal(err)
	}
	n := func(v uint64) []byte { return []byte(strconv.FormatUint(v, 10)) }
	if err := l.st.Commit(ctx, []store.Write{{Op: old, State: next}}, map[string][]byte{"seq": n(seq), "clock": n(uint64(old.HLC))}); err != nil {
		t.Fatal(err)
	}
	// The laptop started again with the new version, where the appeal
	// is edited.
	svc, err := records.Open(ctx, l.st, records.Options{Format: WireFormat{}})
	if err != nil {
		t.Fatal(err)
	}
	fl := files.New(l.st, svc)
	t.Cleanup(fl.Follow())
	l.svc, l.files, l.sync = svc, fl, New(svc, l.sync.codec)
	l.sync.Files = fl
	if _, err := svc.EditAppeal(ctx, a.ID, json.RawMessage(`{"summary":"Дары жок, райборборго жолдомо"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := l.sync.SyncOnce(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := svc.SyncState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Pending != 0 || len(st.Refused) != 1 {
		t.Fatalf("sync state %+v, want everything acknowledged and one refusal", st)
	}
	if r := st.Refused[0]; r.Seq != seq || r.Code != string(syncproto.CodeInvalid) || len(r.Fields) != 1 || r.Fields[0].Field != field || r.Fields[0].Code != domain.CodeFormat {
		t.Fatalf("refusal %+v, want seq %d invalid for %s (%s)", r, seq, field, domain.CodeFormat)
	}
	// Nothing lost: the refused operation stays in this laptop's history.
	if op, err := l.st.Op(ctx, old.Device, seq); err != nil || string(op.Fields[field].Value) != string(text) {
		t.Fatalf("the refused operation: %+v %v", op, err)
	}
	// The centre took the edit after it, which left the item it could not
	// read alone (changeset.Diff), and holds the item as it was.
	var summary, held string
	for _, o := range srv.Ops() {
		if o.Record != a.ID {
			continue
		}
		if c, ok := o.Fields["summary"]; ok {
			summary = string(c.Value)
		}
		if c, ok := o.Fields[field]; ok {
			held = string(c.Value)
		}
	}
	if summary != `"Дары жок, райборборго жолдомо"` || held != string(item) {
		t.Fatalf("the centre holds summary %s and the item %s, want the edit and %s", summary, held, item)
	}
}
