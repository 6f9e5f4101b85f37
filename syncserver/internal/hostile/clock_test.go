package hostile

import (
	"net/http"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/server"
)

func at(t time.Time) hlc.Timestamp { return hlc.New(t.UnixMilli(), 0) }

// wantClock checks that r refuses the push with CodeClock and
// acknowledges exactly acked.
func wantClock(t *testing.T, what string, r reply, acked uint64) {
	t.Helper()
	if r.status != http.StatusConflict || r.err.Code != syncproto.CodeClock || r.err.Acked != acked {
		t.Fatalf("%s: %s (acked %d), want %s with acked %d", what, r, ackedOf(r), syncproto.CodeClock, acked)
	}
}

func ackedOf(r reply) uint64 {
	if r.err != nil {
		return r.err.Acked
	}
	return r.resp.Acked
}

// Finding 4: an operation stamped 9999-12-31 was accepted and won
// last-writer-wins against every later honest edit, for ever; the same
// made a deletion permanent. The server now refuses, with CodeClock, an
// operation dated more than 12 hours ahead of its clock: it keeps what the
// push held before that operation and judges nothing after it, so the
// laptop keeps those changes and tells its user the clock is wrong.
func TestClockInTheFutureIsRefused(t *testing.T) {
	tg := start(t, server.Config{})
	sec := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	wrong := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	central := tg.enroll(domain.RoleCentral, "")
	id := domain.NewID()
	sec.mustPush(sec.op(domain.KindAppeal, id, changeset.ActionCreate, appeal("NRN-ATB")))

	future := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	good := wrong.op(domain.KindEvent, domain.NewID(), changeset.ActionCreate, map[string]any{"council": "NRN-ATB", "title": "Угуу"})
	edit := wrong.opAt(at(future), domain.KindAppeal, id, changeset.ActionUpdate, map[string]any{"summary": "9999"})
	del := wrong.opAt(at(future)+1, domain.KindAppeal, id, changeset.ActionDelete, map[string]any{changeset.DeletedField: true})
	r := wrong.push(good, edit, del)
	wantClock(t, "an edit dated 9999", r, good.Seq)
	// Sent again, the same: what came before is held, the rest refused.
	wantClock(t, "the same push again", wrong.push(good, edit, del), good.Seq)

	sec.mustPush(sec.op(domain.KindAppeal, id, changeset.ActionUpdate, map[string]any{"summary": "after"}))
	fields, _ := tg.state(central, id)
	if fields["summary"] != `"after"` || fields[changeset.DeletedField] != "" {
		t.Fatalf("the honest edit did not win: %v", fields)
	}

	// A wrong time zone (Bishkek's local time on a laptop set to UTC: six
	// hours ahead) is a clock the server lives with.
	zone := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	zone.mustPush(zone.opAt(at(time.Now().Add(6*time.Hour)), domain.KindAppeal, domain.NewID(), changeset.ActionCreate, appeal("NRN-ATB")))
	// Thirteen hours is not.
	far := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	wantClock(t, "13 hours ahead", far.push(far.opAt(at(time.Now().Add(13*time.Hour)), domain.KindAppeal, domain.NewID(), changeset.ActionCreate, appeal("NRN-ATB"))), 0)
}

// The other impossible clocks: before Kenesh existed (a flat CMOS
// battery), behind the device's own previous operation, and before the
// record was created (a back-dated edit).
func TestImpossibleClocksAreRefused(t *testing.T) {
	tg := start(t, server.Config{})
	sec := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	id := domain.NewID()
	create := sec.op(domain.KindAppeal, id, changeset.ActionCreate, appeal("NRN-ATB"))
	sec.mustPush(create)

	cmos := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	wantClock(t, "dated 2000", cmos.push(cmos.opAt(at(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)), domain.KindAppeal, domain.NewID(), changeset.ActionCreate, appeal("NRN-ATB"))), 0)

	back := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	first := back.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, appeal("NRN-ATB"))
	back.mustPush(first)
	wantClock(t, "before the device's previous operation", back.push(back.opAt(hlc.Timestamp(first.HLC)-1000, domain.KindAppeal, domain.NewID(), changeset.ActionCreate, appeal("NRN-ATB"))), first.Seq)
	// Within one push too.
	a := back.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, appeal("NRN-ATB"))
	b := back.opAt(hlc.Timestamp(a.HLC), domain.KindAppeal, domain.NewID(), changeset.ActionCreate, appeal("NRN-ATB"))
	back.seq = first.Seq
	a.Seq, b.Seq = first.Seq+1, first.Seq+2
	wantClock(t, "two operations with one clock reading", back.push(a, b), a.Seq)

	late := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	before := late.opAt(hlc.Timestamp(create.HLC)-hlc.New(60_000, 0), domain.KindAppeal, id, changeset.ActionUpdate, map[string]any{"summary": "back-dated"})
	wantClock(t, "an edit dated before the record", late.push(before), 0)
}
