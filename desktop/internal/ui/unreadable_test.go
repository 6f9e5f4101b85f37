package ui

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
)

// An appeal pulled with a value of the wrong type (from a laptop with a
// bug, or a newer version) opens with everything else it holds, and says
// which field could not be read, by its name on the form.
func TestAppealWithUnreadableFieldOpens(t *testing.T) {
	h := unlocked(t, "ky", 0, 0, 0)
	ctx := context.Background()
	c := h.firstCouncil()
	raw := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	id := domain.NewID()
	op := &changeset.Op{Device: domain.NewID(), Seq: 1, HLC: hlc.New(time.Now().UnixMilli(), 0), Kind: domain.KindAppeal, Record: id,
		Council: c.Code, Action: changeset.ActionCreate, Author: "башка ноутбук", Fields: map[string]changeset.Change{
			"council": {Value: raw(c.Code)}, "oblast": {Value: raw(c.Oblast)}, "status": {Value: raw("received")},
			"summary": {Value: raw("Көпүрө бузулган, балдар мектепке бара алышпайт")}, "channel": {Value: raw("in_person")},
			"category": {Value: raw("infrastructure")}, "reg_no": {Value: raw(c.Code + "-2026-ABCD-0001")},
			"received_on": {Value: json.RawMessage(`20260302`)},
		}}
	if _, err := h.u.sess.Records().ApplyRemote(ctx, []*changeset.Op{op}, 1); err != nil {
		t.Fatalf("pulling an appeal with a field of the wrong type: %v", err)
	}
	h.u.shell.push(newAppealDetail(h.u, id))
	h.mustShow("Көпүрө бузулган, балдар мектепке бара алышпайт")
	h.mustShow(h.T("record.unreadable", "fields", h.T("field.received_on")))
}
