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

// validJSONCases are inputs around ValidJSON's fast path: plain strings,
// strings with what it hands to json.Valid, and what is not a string.
var validJSONCases = []string{
	``, `"`, `""`, `"a"`, `"Ак-Суу"`, `"2025-09-14"`, `"a"b"`, `"a\"b"`, `"a\\"`, `"a\"`, `"\u0041"`, `"\x"`,
	"\"a\tb\"", "\"a\x00b\"", "\"a\x1fb\"", "\"\xff\xfe\"", "\"\x7f\"", ` "a"`, `"a" `, `"a""b"`, `"a",`,
	`0`, `-1.5e3`, `01`, `true`, `false`, `null`, `nul`, `{}`, `{"a":"b"}`, `["a",1]`, `[`, `{"a":}`,
}

// TestValidJSON: ValidJSON answers as json.Valid does.
func TestValidJSON(t *testing.T) {
	for _, c := range validJSONCases {
		if got, want := ValidJSON([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("ValidJSON(%q) = %v, json.Valid says %v", c, got, want)
		}
	}
}

func FuzzValidJSON(f *testing.F) {
	for _, c := range validJSONCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := ValidJSON(b), json.Valid(b); got != want {
			t.Fatalf("ValidJSON(%q) = %v, json.Valid says %v", b, got, want)
		}
	})
}

// BenchmarkValidJSON checks the values of a demo appeal's creation (as
// syncserver's BenchmarkPush makes it) as Op.Validate does, against
// json.Valid alone.
func BenchmarkValidJSON(b *testing.B) {
	var values [][]byte
	for _, v := range []string{`"60_plus"`, `{"address":"Ак-Суу","name":"Асанова Бүбүсара","phone":"+996 768 000042"}`,
		`"health"`, `"Аймактык ооруканасы"`, `"health"`, `"social_network"`, `"NRN-ATB"`,
		`"Ак-Суу айылындагы фельдшердик-акушердик пунктта бир айдан бери зарыл дарылар жок, бейтаптар райборборго барууга аргасыз."`,
		`"KG-N-ATB"`, `"female"`, `"ky"`, `"KG-N"`, `"2025-09-14"`, `"NRN-ATB-2025-QK5X-0042"`, `"2025-09-14"`,
		`"received"`, `"ФАПта дары-дармек жок"`, `"Ак-Суу"`, `["low_income"]`} {
		values = append(values, []byte(v))
	}
	for _, f := range []struct {
		name  string
		valid func([]byte) bool
	}{{"json.Valid", json.Valid}, {"ValidJSON", ValidJSON}} {
		b.Run(f.name, func(b *testing.B) {
			for b.Loop() {
				for _, v := range values {
					if !f.valid(v) {
						b.Fatalf("%s invalid", v)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(values)), "ns/value")
		})
	}
}
