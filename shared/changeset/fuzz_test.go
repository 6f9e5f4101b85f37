package changeset

import (
	"encoding/json"
	"testing"
)

// FuzzOpDecodeApply feeds arbitrary bytes through the path an operation from
// outside takes: decode, validate, apply. Nothing may panic, and a valid
// operation applied twice must change nothing the second time.
func FuzzOpDecodeApply(f *testing.F) {
	f.Add([]byte(`{"device":"A","seq":1,"hlc":100,"kind":"appeal","record":"r","action":"create","fields":{"title":{"v":"ң"}}}`))
	f.Add([]byte(`{"device":"A","seq":2,"hlc":101,"kind":"appeal","record":"r","action":"update","fields":{"items/1":{"v":null,"b":100}}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var o Op
		if err := json.Unmarshal(data, &o); err != nil {
			return
		}
		if err := o.Validate(); err != nil {
			return
		}
		var s State
		if _, _, err := s.Apply(&o); err != nil {
			t.Fatalf("valid op failed to apply: %v", err)
		}
		changed, _, err := s.Apply(&o)
		if err != nil || len(changed) != 0 {
			t.Fatalf("second apply changed %v (err %v)", changed, err)
		}
		var back rec
		_ = (Schema{Collections: []string{"items"}}).FromFields(s.Values(), &back)
	})
}
