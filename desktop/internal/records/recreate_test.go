package records

import (
	"encoding/json"
	"reflect"
	"sort"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/policy"
)

// leaveOut takes out of a creation sent again what policy.CheckWrite and
// policy.CheckFields refuse it for, but never what the edit wrote, and
// nothing when the refusal is not about a field.
func TestLeaveOut(t *testing.T) {
	secretary := policy.Device{Role: domain.RoleSecretary, Council: "NRN-ATB"}
	central := policy.Device{Role: domain.RoleCentral}
	item := "consultations" + changeset.ItemSep + domain.NewID()
	creation := func(extra map[string]string) *changeset.Op {
		f := map[string]changeset.Change{}
		for k, v := range map[string]string{"council": `"NRN-ATB"`, "reg_no": `"NRN-ATB-2026-AB12-0001"`, "channel": `"phone"`, "summary": `"Дары жок"`} {
			f[k] = changeset.Change{Value: json.RawMessage(v)}
		}
		for k, v := range extra {
			f[k] = changeset.Change{Value: json.RawMessage(v)}
		}
		return &changeset.Op{Device: domain.NewID(), Seq: 2, HLC: 1, Kind: domain.KindAppeal, Record: domain.NewID(), Council: "NRN-ATB",
			Action: changeset.ActionCreate, Author: "Ат-Башы", Fields: f}
	}
	cases := []struct {
		name    string
		dev     policy.Device
		council string // the operation's, when not the laptop's
		extra   map[string]string
		edited  []string
		want    []string
		passes  bool // CheckWrite takes what is left
	}{
		{"nothing to leave out", secretary, "", nil, []string{"summary"}, nil, true},
		{"review fields written before enrollment", secretary, "", map[string]string{"review_note": `"Каралды"`, "published": "true"},
			[]string{"summary"}, []string{"published", "review_note"}, true},
		{"text where an item belongs", secretary, "", map[string]string{item: `"кеңеш берилди"`}, []string{"summary"}, []string{item}, true},
		{"both", secretary, "", map[string]string{item: `"кеңеш берилди"`, "review_note": `"Каралды"`}, nil, []string{item, "review_note"}, true},
		{"the edit's own write is refused, not left out", secretary, "", map[string]string{"review_note": `"Каралды"`},
			[]string{"summary", "review_note"}, nil, false},
		{"another council's record: no field at fault", secretary, "TLS-BKR", map[string]string{"review_note": `"Каралды"`}, nil, nil, false},
		{"central staff create no appeal: no field at fault", central, "", nil, nil, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			op := creation(c.extra)
			if c.council != "" {
				op.Council = c.council
				op.Fields["council"] = changeset.Change{Value: json.RawMessage(`"` + c.council + `"`)}
				op.Fields["reg_no"] = changeset.Change{Value: json.RawMessage(`"` + c.council + `-2026-AB12-0001"`)}
			}
			edited := map[string]changeset.Change{}
			for _, f := range c.edited {
				edited[f] = op.Fields[f]
			}
			n := len(op.Fields)
			got := leaveOut(c.dev, op, edited)
			sort.Strings(got)
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("left out %v, want %v", got, c.want)
			}
			if len(op.Fields) != n-len(c.want) {
				t.Fatalf("%d fields left of %d, %d left out", len(op.Fields), n, len(got))
			}
			if r := policy.CheckWrite(c.dev, op, nil); (r == nil) != c.passes {
				t.Fatalf("what is left: %v, want it taken: %v", r, c.passes)
			}
		})
	}
}
