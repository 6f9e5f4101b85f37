package policy

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

// TestHeaderOnly: for the writes HeaderOnly names, CheckWrite and
// CheckRecord judge a state and its header alone (decoded from its
// encoding by changeset.StateHeader) alike, on states with every kind of
// field a council's or central staff's laptop writes, tombstones too.
func TestHeaderOnly(t *testing.T) {
	today := caldate.MustParse("2026-12-07")
	devs := []Device{
		{Role: domain.RoleSecretary, Council: "NRN-ATB"}, {Role: domain.RoleSecretary, Council: "OSH-ARA"},
		{Role: domain.RoleCentral}, {Role: domain.RoleTrainer}, {Role: domain.RoleAdmin},
	}
	kinds := []string{domain.KindAppeal, domain.KindEvent, domain.KindMaterialCopy, domain.KindResponse, domain.KindSubmission, domain.KindGrant}
	fieldSets := []map[string]string{
		nil,
		{"council": `"NRN-ATB"`, "reg_no": `"NRN-ATB-2026-K7QH-0001"`, "status": `"received"`},
		{"council": `"OSH-ARA"`, "summary": `"x"`},
		{changeset.DeletedField: `true`},
		{"published": `true`, "council": `"NRN-ATB"`},
	}
	for _, f := range domain.ReviewFields {
		fieldSets = append(fieldSets, map[string]string{f: `"x"`})
	}
	n := 0
	for _, kind := range kinds {
		for _, dev := range devs {
			if !HeaderOnly(dev, kind) {
				continue
			}
			for _, council := range []string{"NRN-ATB", "OSH-ARA", ""} {
				for _, created := range []uint64{0, 5} {
					for _, stFields := range fieldSets {
						st := &changeset.State{}
						create := &changeset.Op{Device: "a", Seq: 1, HLC: 5, Kind: kind, Record: "r", Council: council, Action: changeset.ActionCreate, Fields: changes(stFields)}
						if created == 0 {
							create.Action = changeset.ActionUpdate
						}
						if err := st.Merge(create); err != nil {
							t.Fatal(err)
						}
						enc, _ := st.AppendBinary(nil)
						hdr, err := changeset.StateHeader(enc)
						if err != nil {
							t.Fatal(err)
						}
						for _, action := range []changeset.Action{changeset.ActionCreate, changeset.ActionUpdate, changeset.ActionDelete} {
							for _, opCouncil := range []string{"NRN-ATB", "OSH-ARA"} {
								for _, opFields := range fieldSets {
									op := &changeset.Op{Device: "b", Seq: 1, HLC: 9, Kind: kind, Record: "r", Council: opCouncil, Action: action, Fields: changes(opFields)}
									full, head := CheckWrite(dev, op, st), CheckWrite(dev, op, hdr)
									if fmt.Sprint(full) != fmt.Sprint(head) {
										t.Fatalf("%s by %+v on %+v: the state gives %v, its header %v", kind, dev, st, full, head)
									}
									if full, head := CheckRecord(st, today), CheckRecord(hdr, today); fmt.Sprint(full) != fmt.Sprint(head) {
										t.Fatalf("CheckRecord of %+v: %v, its header %v", st, full, head)
									}
									n++
								}
							}
						}
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("HeaderOnly names no write")
	}
}

func changes(fields map[string]string) map[string]changeset.Change {
	out := make(map[string]changeset.Change, len(fields))
	for k, v := range fields {
		out[k] = changeset.Change{Value: json.RawMessage(v)}
	}
	return out
}
