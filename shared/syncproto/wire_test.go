package syncproto

import (
	"encoding/json"
	"testing"
)

// WireSize sizes change sets and pull pages without encoding: for plain
// text it is the JSON size exactly.
func TestWireSize(t *testing.T) {
	create := sampleRequest().Ops[0]
	create.Fields = map[string]WireChange{}
	for _, f := range []string{"summary", "description", "appellant", "status", "reg_no", "district", "village"} {
		create.Fields[f] = WireChange{V: json.RawMessage(`"Ак-Суу айылындагы фельдшердик-акушердик пункт: ң ө ү"`)}
	}
	for name, w := range map[string]WireOp{"update": sampleRequest().Ops[0], "create": create} {
		op, err := FromWire(w)
		if err != nil {
			t.Fatal(err)
		}
		real, _ := json.Marshal(ToWire(op))
		est := WireSize(op)
		if est != len(real) {
			t.Errorf("%s: WireSize %d, JSON %d bytes", name, est, len(real))
		}
	}
}
