package server

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
)

// Every role × write/read × own/other council, judged per operation.
func TestAuthorizationMatrix(t *testing.T) {
	h := newHarness(t)
	h.council("NRN-ATB", "KG-N")
	h.council("OSH-NOO", "KG-O")
	secA := h.enroll(domain.RoleSecretary, "NRN-ATB")
	secB := h.enroll(domain.RoleSecretary, "OSH-NOO")
	central := h.enroll(domain.RoleCentral, "")
	trainer := h.enroll(domain.RoleTrainer, "")
	adm := h.enroll(domain.RoleAdmin, "")

	// Records each council already sent.
	appealA, appealB := domain.NewID(), domain.NewID()
	if r := secA.push(secA.op(domain.KindAppeal, appealA, "NRN-ATB", changeset.ActionCreate, appealFields("NRN-ATB"))); len(r.Refused) != 0 {
		t.Fatalf("own appeal refused: %+v", r.Refused)
	}
	if r := secB.push(secB.op(domain.KindAppeal, appealB, "OSH-NOO", changeset.ActionCreate, appealFields("OSH-NOO"))); len(r.Refused) != 0 {
		t.Fatalf("own appeal refused: %+v", r.Refused)
	}

	type write struct {
		name string
		op   func(d *device) syncproto.WireOp
	}
	writes := []write{
		{"create appeal in NRN-ATB", func(d *device) syncproto.WireOp {
			return d.op(domain.KindAppeal, domain.NewID(), "NRN-ATB", changeset.ActionCreate, appealFields("NRN-ATB"))
		}},
		{"create appeal in OSH-NOO", func(d *device) syncproto.WireOp {
			return d.op(domain.KindAppeal, domain.NewID(), "OSH-NOO", changeset.ActionCreate, appealFields("OSH-NOO"))
		}},
		{"edit NRN-ATB appeal text", func(d *device) syncproto.WireOp {
			return d.op(domain.KindAppeal, appealA, "NRN-ATB", changeset.ActionUpdate, map[string]any{"summary": "Оңдолду"})
		}},
		{"review NRN-ATB appeal", func(d *device) syncproto.WireOp {
			return d.op(domain.KindAppeal, appealA, "NRN-ATB", changeset.ActionUpdate, map[string]any{"published": true, "review_note": "Текшерилди"})
		}},
		{"forge NRN-ATB appeal as OSH-NOO", func(d *device) syncproto.WireOp {
			return d.op(domain.KindAppeal, appealA, "OSH-NOO", changeset.ActionUpdate, map[string]any{"summary": "Башка кеңеш"})
		}},
		{"publish a material", func(d *device) syncproto.WireOp {
			return d.op(domain.KindMaterial, domain.NewID(), "", changeset.ActionCreate, materialFields())
		}},
		{"add a council", func(d *device) syncproto.WireOp {
			return d.op(domain.KindCouncil, "TLS-BKR", "TLS-BKR", changeset.ActionCreate, map[string]any{"name": "Бакай-Ата", "oblast": "KG-T"})
		}},
	}
	// want[device][write]: true = accepted, else the refusal code.
	ok := syncproto.Code("")
	forb, wrong := syncproto.CodeForbidden, syncproto.CodeWrongCouncil
	want := map[*device][]syncproto.Code{
		secA:    {ok, wrong, ok, forb, wrong, forb, forb},
		secB:    {wrong, ok, wrong, wrong, wrong, forb, forb},
		central: {forb, forb, forb, ok, wrong, forb, forb},
		trainer: {forb, forb, forb, forb, forb, ok, forb},
		adm:     {forb, forb, forb, forb, forb, forb, ok},
	}
	for d, codes := range want {
		// One change set per device: a refused operation must not stop the
		// others from being judged.
		ops := make([]syncproto.WireOp, len(writes))
		for i, w := range writes {
			ops[i] = w.op(d)
		}
		resp := d.push(ops...)
		if resp.Acked != ops[len(ops)-1].Seq {
			t.Errorf("%s: acked %d, want %d (refusals are acknowledged too)", d.role+" "+d.cncl, resp.Acked, ops[len(ops)-1].Seq)
		}
		refused := map[uint64]syncproto.Code{}
		for _, r := range resp.Refused {
			refused[r.Seq] = r.Code
			if r.Message == "" {
				t.Errorf("%s: refusal of seq %d says nothing", d.role, r.Seq)
			}
		}
		for i, w := range writes {
			if got := refused[ops[i].Seq]; got != codes[i] {
				t.Errorf("%s %s: %s: got %q, want %q", d.role, d.cncl, w.name, got, codes[i])
			}
		}
	}

	// A second laptop of OSH-NOO, whose records the first one must see.
	secB2 := h.enroll(domain.RoleSecretary, "OSH-NOO")
	secB2.push(secB2.op(domain.KindAppeal, domain.NewID(), "OSH-NOO", changeset.ActionCreate, appealFields("OSH-NOO")))

	// Reads: what each device pulls, by kind and council.
	type seen struct{ kind, council string }
	visible := func(d *device) map[seen]bool {
		m := map[seen]bool{}
		for _, op := range d.pullAll() {
			if op.Device == d.id {
				t.Errorf("%s pulled its own operation %d", d.role, op.Seq)
			}
			m[seen{op.Kind, op.Council}] = true
		}
		return m
	}
	reads := []struct {
		d       *device
		sees    []seen
		notSees []seen
	}{
		{secA, []seen{{domain.KindAppeal, "NRN-ATB"}, {domain.KindCouncil, "OSH-NOO"}, {domain.KindMaterial, ""}, {domain.KindCouncil, "TLS-BKR"}},
			[]seen{{domain.KindAppeal, "OSH-NOO"}}},
		{secB, []seen{{domain.KindAppeal, "OSH-NOO"}, {domain.KindCouncil, "NRN-ATB"}, {domain.KindMaterial, ""}},
			[]seen{{domain.KindAppeal, "NRN-ATB"}}},
		{central, []seen{{domain.KindAppeal, "NRN-ATB"}, {domain.KindAppeal, "OSH-NOO"}, {domain.KindMaterial, ""}, {domain.KindCouncil, "NRN-ATB"}}, nil},
		{trainer, []seen{{domain.KindCouncil, "NRN-ATB"}}, []seen{{domain.KindAppeal, "NRN-ATB"}, {domain.KindAppeal, "OSH-NOO"}}},
		{adm, []seen{{domain.KindMaterial, ""}, {domain.KindCouncil, "OSH-NOO"}}, []seen{{domain.KindAppeal, "NRN-ATB"}, {domain.KindAppeal, "OSH-NOO"}}},
	}
	for _, r := range reads {
		got := visible(r.d)
		for _, s := range r.sees {
			if !got[s] {
				t.Errorf("%s %s does not see %s of %q", r.d.role, r.d.cncl, s.kind, s.council)
			}
		}
		for _, s := range r.notSees {
			if got[s] {
				t.Errorf("%s %s sees %s of %q", r.d.role, r.d.cncl, s.kind, s.council)
			}
		}
	}
}

func TestRevokedDeviceIsRefusedAndCannotEnrollAgain(t *testing.T) {
	h := newHarness(t)
	h.council("NRN-ATB", "KG-N")
	d := h.enroll(domain.RoleSecretary, "NRN-ATB")
	d.push(d.op(domain.KindAppeal, domain.NewID(), "NRN-ATB", changeset.ActionCreate, appealFields("NRN-ATB")))
	if _, err := h.admin.Revoke(t.Context(), d.id); err != nil {
		t.Fatal(err)
	}
	status, _, eb := d.rawSync(d.frame(&syncproto.SyncRequest{Proto: syncproto.Proto, Device: d.id, Pull: true}))
	if status != http.StatusForbidden || eb.Code != syncproto.CodeRevoked {
		t.Fatalf("revoked device: %d %+v", status, eb)
	}
	err := (&syncproto.Error{Code: eb.Code, Message: eb.Message})
	if !errors.Is(err, syncproto.ErrRevoked) {
		t.Fatalf("the laptop cannot tell it was revoked: %v", err)
	}
	// A new code does not bring a revoked laptop back.
	is, err2 := h.admin.Enroll(t.Context(), auth.IssueRequest{Council: "NRN-ATB", Role: domain.RoleSecretary, Name: "again"})
	if err2 != nil {
		t.Fatal(err2)
	}
	st, body := h.postJSON(syncproto.PathEnroll, syncproto.EnrollRequest{Proto: syncproto.Proto, Code: is.Code, DeviceID: d.id})
	if st != http.StatusForbidden {
		t.Fatalf("re-enrolling a revoked device: %d %s", st, body)
	}
	devs, _ := h.admin.Devices(t.Context())
	if len(devs) != 1 || !devs[0].Revoked || devs[0].RevokedAt == nil {
		t.Fatalf("devices after revoke: %+v", devs)
	}
}

// materialFields are a valid material's fields: the server checks a
// material whole, since every laptop downloads its file.
func materialFields() map[string]any {
	return map[string]any{"title": "Аялдардын укуктары", "language": "ky", "version": 1, "published_on": time.Now().Format(time.DateOnly),
		"file": domain.Attachment{ID: domain.NewID(), Name: "колдонмо.pdf", Size: 3, SHA256: strings.Repeat("a", 64),
			Chunks: []domain.Chunk{{SHA256: strings.Repeat("b", 64), Size: 3}}, AddedOn: caldate.Of(time.Now())}}
}
