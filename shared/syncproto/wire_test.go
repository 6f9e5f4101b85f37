package syncproto

import (
	"encoding/json"
	"testing"
)

// WireSize sizes pull pages without encoding: it must not be below the
// real size (pages would overshoot MaxPull) nor far above it (pages would
// be needlessly small).
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
		if est < len(real) || est > len(real)*3/2 {
			t.Errorf("%s: WireSize %d, JSON %d bytes", name, est, len(real))
		}
	}
}
