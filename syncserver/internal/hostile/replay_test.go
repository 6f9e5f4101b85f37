package hostile

import (
	"net/http"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/server"
)

// Replays over both protocols (TestForgedRequests covers protocol 1's
// forged numbers): another device's operation exactly as the server holds
// it, sent by a laptop that saw it in a pull (pulled operations carry
// their device and number); a protocol-2 body for another device; a
// number the server holds, again, with other content, in a binary body;
// the same binary push twice; and one record id given to two kinds in one
// change set. None is taken as the replayer's, none changes what the
// server holds, and the honest laptops go on.
func TestReplaysOverBothProtocols(t *testing.T) {
	tg := start(t, server.Config{})
	sec := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	other := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	central := tg.enroll(domain.RoleCentral, "")
	theirs := other.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, appeal("NRN-ATB"))
	other.mustPush(theirs)
	mine := sec.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, appeal("NRN-ATB"))
	sec.mustPush(mine)

	// Another device's operation, as held: in the replayer's own
	// request (protocol 1), and as a binary body in the other's name.
	r := sec.push(theirs)
	if r.status != http.StatusForbidden || r.err.Code != syncproto.CodeForbidden {
		t.Fatalf("another device's held operation, replayed: %s, want 403 forbidden", r)
	}
	raw, err := syncproto.AppendSyncRequest(nil, &syncproto.SyncRequest{Proto: 2, Device: other.id, Ops: []syncproto.WireOp{theirs}})
	if err != nil {
		t.Fatal(err)
	}
	if r := sec.send(raw); r.status != http.StatusForbidden || r.err.Code != syncproto.CodeForbidden {
		t.Fatalf("a binary body in another device's name: %s, want 403 forbidden", r)
	}
	changed := theirs
	changed.Fields = map[string]syncproto.WireChange{"summary": {V: marshal(t, "башка")}}
	raw, _ = syncproto.AppendSyncRequest(nil, &syncproto.SyncRequest{Proto: 2, Device: other.id, Ops: []syncproto.WireOp{changed}})
	if r := sec.send(raw); r.status != http.StatusForbidden {
		t.Fatalf("a binary body in another device's name, changed: %s, want 403", r)
	}

	// The replayer's own held number with other content, and its own
	// push again, in binary bodies.
	again := mine
	again.Record = domain.NewID()
	if r := sec.pushBinary(again); r.status != http.StatusConflict || r.err.Code != syncproto.CodeConflictSeq {
		t.Fatalf("a held number with other content, binary: %s, want 409 %s", r, syncproto.CodeConflictSeq)
	}
	if r := sec.pushBinary(mine); r.status != http.StatusOK || len(r.resp.Refused) != 0 || r.resp.Acked != mine.Seq {
		t.Fatalf("the same binary push again: %s, want it acknowledged, nothing refused", r)
	}
	gap := sec.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, appeal("NRN-ATB"))
	gap.Seq += 3
	if r := sec.pushBinary(gap); r.status != http.StatusConflict || r.err.Code != syncproto.CodeGap {
		t.Fatalf("a gap, binary: %s, want 409 %s", r, syncproto.CodeGap)
	}
	sec.seq = mine.Seq

	// One record id, two kinds, in one change set, over each protocol:
	// two records, each its own kind's, each readable as it was written.
	for _, binary := range []bool{false, true} {
		id := domain.NewID()
		a := sec.op(domain.KindAppeal, id, changeset.ActionCreate, appeal("NRN-ATB"))
		e := sec.op(domain.KindEvent, id, changeset.ActionCreate, map[string]any{"council": "NRN-ATB", "title": "Угуу", "date": "2026-12-01"})
		ua := sec.op(domain.KindAppeal, id, changeset.ActionUpdate, map[string]any{"summary": "өзгөртүлдү"})
		ue := sec.op(domain.KindEvent, id, changeset.ActionUpdate, map[string]any{"title": "Угуу 2"})
		push := sec.push
		if binary {
			push = sec.pushBinary
		}
		if r := push(a, e, ua, ue); r.status != http.StatusOK || len(r.resp.Refused) != 0 || r.resp.Acked != ue.Seq {
			t.Fatalf("an appeal and an event of one id (binary %v): %s", binary, r)
		}
		ops, err := central.pullAll()
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, o := range ops {
			if o.Record == id {
				kinds[o.Kind]++
			}
		}
		if kinds[domain.KindAppeal] != 2 || kinds[domain.KindEvent] != 2 {
			t.Fatalf("one id, two kinds (binary %v): central pulled %v, want two operations of each", binary, kinds)
		}
	}

	// Nothing of the replays reached the other device's record.
	fields, _ := tg.state(central, theirs.Record)
	if fields["summary"] != string(marshal(t, "Жер тууралуу арыз")) {
		t.Fatalf("the other device's appeal after the replays: %v", fields)
	}
	if _, err := other.pullAll(); err != nil {
		t.Fatal(err)
	}
	other.mustPush(other.op(domain.KindAppeal, theirs.Record, changeset.ActionUpdate, map[string]any{"summary": "жаңы"}))
}
