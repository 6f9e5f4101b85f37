package hostile

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/server"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// Finding 1: an operation full of <, > and & (3 MB, each field under the
// per-field limit) was accepted, and every later pull page that held it
// went over the frame limit once encoding/json escaped each of those
// characters to six bytes: HTTP 500 for every laptop of the council and
// every central laptop, for ever.
func TestHTMLCharactersCannotBlockPulls(t *testing.T) {
	tg := start(t, server.Config{})
	sec := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	sec2 := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	central := tg.enroll(domain.RoleCentral, "")

	// Too large for any page: refused at push, with a reason.
	bomb := appeal("NRN-ATB")
	for i := 0; i < 12; i++ {
		bomb[fmt.Sprintf("note_%02d", i)] = strings.Repeat("<&>", 250_000/3)
	}
	big := sec.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, bomb)
	r := sec.push(big)
	if r.status != http.StatusOK || refusedCode(r, big.Seq) != syncproto.CodeTooLarge {
		t.Fatalf("a 3 MB operation: %s, want it refused as too large", r)
	}

	// Under the limit, many of them: each is carried whole, and pages are
	// sized by what is really sent (every < one byte, not six).
	var want []string
	for i := 0; i < 6; i++ { // 5 MB: more than one page
		f := appeal("NRN-ATB")
		for _, name := range []string{"description", "note_a", "note_b", "note_c"} {
			f[name] = strings.Repeat("<a href='x'>&amp;</a>", 10_000) // 210 KB, 840 KB in all
		}
		id := domain.NewID()
		want = append(want, id)
		if r := sec.mustPush(sec.op(domain.KindAppeal, id, changeset.ActionCreate, f)); len(r.Refused) > 0 {
			t.Fatalf("refused: %+v", r.Refused)
		}
	}
	honest := domain.NewID()
	sec.mustPush(sec.op(domain.KindAppeal, honest, changeset.ActionCreate, appeal("NRN-ATB")))
	want = append(want, honest)

	for _, l := range []*laptop{sec2, central} {
		ops, err := l.pullAll()
		if err != nil {
			t.Fatalf("%s cannot pull: %v", l.role, err)
		}
		got := records(ops)
		for _, id := range want {
			if !got[id] {
				t.Errorf("%s did not receive appeal %s", l.role, id)
			}
		}
		for _, o := range ops {
			if v := o.Fields["description"].V; len(v) > 0 && !strings.Contains(string(v), "<a href='x'>&amp;</a>") {
				t.Fatalf("%s received a changed description: %.80s", l.role, v)
			}
		}
	}
}

// Finding 1, for operations an older server stored: one that cannot fit a
// page is withheld from pulls (and logged), and everything after it still
// arrives.
func TestStoredOversizedOperationIsWithheld(t *testing.T) {
	tg := start(t, server.Config{})
	sec := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	central := tg.enroll(domain.RoleCentral, "")
	before := domain.NewID()
	sec.mustPush(sec.op(domain.KindAppeal, before, changeset.ActionCreate, appeal("NRN-ATB")))

	// What an older server accepted: 3 MB of <&> (18 MB once escaped),
	// and 1.5 MB of plain text.
	var legacy []string
	tg.offline(func(st store.Store) {
		err := st.Append(context.Background(), func(x store.LogTx) error {
			legacy = legacy[:0] // the function may run again
			for _, text := range []string{strings.Repeat("<&>", 1_000_000), strings.Repeat("ж", 750_000)} {
				w := sec.op(domain.KindAppeal, domain.NewID(), changeset.ActionCreate, appeal("NRN-ATB"))
				for j := 0; j < 12; j++ {
					w.Fields[fmt.Sprintf("note_%02d", j)] = syncproto.WireChange{V: marshal(t, text[:len(text)/12])}
				}
				op, err := syncproto.FromWire(w)
				if err != nil {
					return err
				}
				legacy = append(legacy, op.Record)
				if _, err := x.Accept(op, store.Index{Council: "NRN-ATB"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	after := domain.NewID()
	sec.mustPush(sec.op(domain.KindAppeal, after, changeset.ActionCreate, appeal("NRN-ATB")))

	sec2 := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	for _, l := range []*laptop{central, sec2} {
		ops, err := l.pullAll()
		if err != nil {
			t.Fatalf("%s cannot pull: %v", l.role, err)
		}
		got := records(ops)
		if !got[before] || !got[after] {
			t.Errorf("%s: the appeals before and after the oversized ones did not arrive (%v, %v)", l.role, got[before], got[after])
		}
		for _, id := range legacy {
			if got[id] {
				t.Errorf("%s received oversized appeal %s", l.role, id)
			}
		}
	}
	if !strings.Contains(tg.logs.String(), "withheld") {
		t.Error("withholding an operation was not logged")
	}
}
