package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// A refused operation of many bytes is kept by the server as a bounded
// summary (store.CutRefusedOp), not as the bytes sent: attackmem's flood
// of operations with 8 KiB authors and no fields, refused one by one,
// filled a memtable a request when each was stored whole. The laptop is
// still told which operations were refused and why, again when it sends
// them again, and the server's record says which, why, when, and what
// they were (kind, record, field names, a prefix of their values).
func TestRefusalOfALongOperationIsKeptBounded(t *testing.T) {
	h := newHarness(t)
	h.council("NRN-ATB", "KG-N")
	h.council("OSH-NOO", "KG-O")
	sec := h.enroll(domain.RoleSecretary, "NRN-ATB")

	// No fields, an author of 8 KiB (invalid), as attackmem sends them.
	empty := sec.op(domain.KindAppeal, domain.NewID(), "NRN-ATB", changeset.ActionUpdate, nil)
	empty.Author = strings.Repeat("8", 8<<10)
	// Another council's appeal (forbidden), with 64 KiB of text.
	f := appealFields("OSH-NOO")
	f["text"] = strings.Repeat("жер ", 16<<10)
	other := sec.op(domain.KindAppeal, domain.NewID(), "OSH-NOO", changeset.ActionCreate, f)
	ops := []syncproto.WireOp{empty, other}

	check := func(resp *syncproto.SyncResponse) {
		t.Helper()
		if resp.Acked != other.Seq || len(resp.Refused) != 2 {
			t.Fatalf("acknowledged %d, refused %+v; want both refused", resp.Acked, resp.Refused)
		}
		for i, r := range resp.Refused {
			if r.Seq != ops[i].Seq || r.Code == "" || r.Message == "" {
				t.Errorf("refusal %+v of seq %d: want its seq, code and reason", r, ops[i].Seq)
			}
		}
		if c := resp.Refused[1].Code; c != syncproto.CodeWrongCouncil && c != syncproto.CodeForbidden {
			t.Errorf("another council's appeal refused as %q", c)
		}
	}
	check(sec.push(ops...))
	check(sec.push(ops...)) // sent again: told again

	var got []store.Refusal
	if err := h.srv.st.Refusals(context.Background(), sec.id, func(r store.Refusal) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d refusals kept, want 2", len(got))
	}
	for i, r := range got {
		var w struct {
			Kind   string                     `json:"k"`
			Record string                     `json:"r"`
			Author string                     `json:"u"`
			Fields map[string]json.RawMessage `json:"f"`
			Cut    struct {
				Bytes int `json:"bytes"`
			} `json:"cut"`
		}
		if err := json.Unmarshal(r.Op, &w); err != nil {
			t.Fatalf("refusal %d: %v: %s", r.Seq, err, r.Op)
		}
		if len(r.Op) > store.MaxRefusedOp || r.Seq != ops[i].Seq || r.Code == "" || r.Message == "" || r.At.IsZero() ||
			w.Kind != domain.KindAppeal || w.Record != ops[i].Record || w.Cut.Bytes < 8<<10 {
			t.Errorf("refusal %d kept: %d bytes, %+v; want a summary under %d bytes with its kind, record and length", r.Seq, len(r.Op), w, store.MaxRefusedOp)
		}
	}
	if v := string(got[1].Op); !strings.Contains(v, `"text":{`) || !strings.Contains(v, "жер жер") {
		t.Errorf("the forbidden appeal's summary lacks its field names or a prefix of its values: %s", v)
	}
}
