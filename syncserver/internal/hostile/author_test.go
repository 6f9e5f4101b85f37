package hostile

import (
	"net/http"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/server"
)

// Finding 8: the "who" of a record's history was free text chosen by the
// laptop. The server stamps every operation with the name the
// administrator registered for the device that pushed it.
func TestAuthorIsTheEnrolledDevice(t *testing.T) {
	tg := start(t, server.Config{})
	sec := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	central := tg.enroll(domain.RoleCentral, "")
	forged := sec.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, appeal("NRN-ATB"))
	forged.Author = "Бишкек, борбордук кеңсе"
	honest := sec.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, appeal("NRN-ATB"))
	honest.Author = ""
	sec.mustPush(forged, honest)
	ops, err := central.pullAll()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, o := range ops {
		if o.Device == sec.id {
			n++
			if o.Author != sec.name {
				t.Errorf("operation %d is authored %q, want the registered %q", o.Seq, o.Author, sec.name)
			}
		}
	}
	if n != 2 {
		t.Fatalf("%d operations of the secretary pulled", n)
	}
}

// Finding 8, dates: a back-dated operation rewrote the record's
// created_by and created_at. A second creation is refused, and so is an
// edit dated before the record was created (CodeClock); the creation the
// centre holds is the first one's.
func TestBackDatedOperationsCannotRewriteTheCreation(t *testing.T) {
	tg := start(t, server.Config{})
	sec := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	liar := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	id := domain.NewID()
	create := sec.op(domain.KindAppeal, id, changeset.ActionCreate, appeal("NRN-ATB"))
	sec.mustPush(create)

	// The liar's own clock is ahead of every operation it made; it dates
	// a second creation one minute before the real one.
	again := liar.opAt(hlc.Timestamp(create.HLC)-hlc.New(60_000, 0), domain.KindAppeal, id, changeset.ActionCreate, appeal("NRN-ATB"))
	r := liar.push(again)
	if r.status != http.StatusConflict || r.err.Code != syncproto.CodeClock {
		t.Fatalf("a second creation dated before the first: %s", r)
	}
	// Dated after it, a second creation is still not one.
	later := liar.opAt(0, domain.KindAppeal, id, changeset.ActionCreate, appeal("NRN-ATB"))
	later.Seq = 1
	liar.seq = 1
	if r := liar.push(later); refusedCode(r, later.Seq) != syncproto.CodeInvalid {
		t.Fatalf("a second creation: %s", r)
	}
}
