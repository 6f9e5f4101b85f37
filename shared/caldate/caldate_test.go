package caldate

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestParseStringArithmetic(t *testing.T) {
	tests := []struct {
		in      string
		add     int
		want    string
		weekday time.Weekday
	}{
		{"2026-03-21", 0, "2026-03-21", time.Saturday},
		{"2026-12-31", 1, "2027-01-01", time.Friday},
		{"2028-02-28", 1, "2028-02-29", time.Tuesday},
		{"2026-03-01", -1, "2026-02-28", time.Saturday},
		{"0001-01-01", 0, "0001-01-01", time.Monday},
		{"9999-12-31", 0, "9999-12-31", time.Friday},
	}
	for _, tt := range tests {
		d, err := Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		got := d.AddDays(tt.add)
		if got.String() != tt.want || got.Weekday() != tt.weekday {
			t.Errorf("%s%+d = %s (%s), want %s (%s)", tt.in, tt.add, got, got.Weekday(), tt.want, tt.weekday)
		}
	}
}

func TestOrderingAndZero(t *testing.T) {
	a, b := MustParse("2026-01-31"), MustParse("2026-02-01")
	if !a.Before(b) || a.Compare(b) != -1 || a.DaysUntil(b) != 1 {
		t.Fatal("ordering broken")
	}
	var z Date
	if !z.IsZero() || z.String() != "" {
		t.Fatal("zero date must be unset")
	}
	for _, bad := range []string{"2026-13-01", "21.03.2026", "", "2026-3-1"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

func TestJSON(t *testing.T) {
	var v struct {
		D Date `json:"d"`
		E Date `json:"e"`
	}
	if err := json.Unmarshal([]byte(`{"d":"2026-03-21","e":null}`), &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	if string(b) != `{"d":"2026-03-21","e":null}` {
		t.Fatalf("round trip %s", b)
	}
	if err := json.Unmarshal([]byte(`{"d":"21/03/2026"}`), &v); err == nil {
		t.Fatal("bad date accepted")
	}
}

// A date's JSON is read alike whether it takes the short way (a plain
// "YYYY-MM-DD") or through the JSON decoder (escapes, other lengths).
func TestUnmarshalJSONForms(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want string // "" for the zero date; "error" when refused
	}{
		{`"2026-03-21"`, "2026-03-21"},
		{`"2026\u002d03-21"`, "2026-03-21"},
		{`"2026-02-30"`, "error"},
		{`"2026-03-2x"`, "error"},
		{`"2026-03-211"`, "error"},
		{`"2026-3-21"`, "error"},
		{`"2026-03\"21"`, "error"},
		{`""`, ""},
		{`null`, ""},
		{`20260321`, "error"},
		{`"21.03.2026"`, "error"},
	} {
		d := MustParse("2000-01-01")
		err := d.UnmarshalJSON([]byte(tt.in))
		got := d.String()
		if d.IsZero() {
			got = ""
		}
		if err != nil {
			got = "error"
		}
		if got != tt.want {
			t.Errorf("%s: %q (%v), want %q", tt.in, got, err, tt.want)
		}
	}
}

// FuzzUnmarshalJSON: whatever the bytes, a date reads as the JSON string
// they hold parsed would, and is refused where that is.
func FuzzUnmarshalJSON(f *testing.F) {
	for _, s := range []string{`"2026-03-21"`, `"2026\u002d03-21"`, `""`, `null`, `"2026-02-30"`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Date
		err := d.UnmarshalJSON(b)
		var want Date
		var wantErr error
		var s string
		switch {
		case string(b) == "null":
		case json.Unmarshal(b, &s) != nil:
			wantErr = errors.New("not a string")
		case s != "":
			want, wantErr = Parse(s)
		}
		if (err == nil) != (wantErr == nil) || err == nil && d != want {
			t.Fatalf("%q: %v (%v), want %v (%v)", b, d, err, want, wantErr)
		}
	})
}
