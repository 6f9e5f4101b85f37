package caldate

import (
	"encoding/json"
	"testing"
)

// FitsJSON says what UnmarshalJSON says, for every value.
func TestFitsJSON(t *testing.T) {
	for _, v := range []string{`null`, `""`, `"2026-12-07"`, `"2024-02-29"`, `"2023-02-29"`, `"1900-02-29"`, `"2000-02-29"`, `"0000-01-01"`,
		`"2026-13-01"`, `"2026-00-10"`, `"2026-04-31"`, `"2026-04-30"`, `"2026-12-00"`, `"2026-12-32"`, `"2026-1-07"`, `"20261207"`,
		`"2026-12-07 "`, `"2026\u002d12-07"`, `5`, `true`, `{}`, `[]`, `"+026-12-07"`, `"2026-12-0a"`, `"9999-12-31"`} {
		var d Date
		if got, want := FitsJSON([]byte(v)), d.UnmarshalJSON([]byte(v)) == nil; got != want {
			t.Errorf("FitsJSON(%s) = %v, UnmarshalJSON takes it: %v", v, got, want)
		}
	}
}

func FuzzFitsJSON(f *testing.F) {
	for _, s := range []string{`"2026-12-07"`, `"2024-02-29"`, `null`, `"2026-02-30"`, `7`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid([]byte(s)) {
			return
		}
		var d Date
		if got, want := FitsJSON([]byte(s)), d.UnmarshalJSON([]byte(s)) == nil; got != want {
			t.Fatalf("FitsJSON(%s) = %v, UnmarshalJSON takes it: %v", s, got, want)
		}
	})
}
