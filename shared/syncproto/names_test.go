package syncproto

import (
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
)

func TestValidName(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"appeal", true},
		{"0193A2B4-7C1D-7E2F-8A3B-4C5D6E7F8091", true},
		{"NRN-ATB", true},
		{"Ат-Башы", true},
		{strings.Repeat("a", MaxNameBytes), true},
		{"", false},
		{strings.Repeat("a", MaxNameBytes+1), false},
		{"a:b", false},
		{":", false},
		{"a\x00b", false},
		{"\xff\xfe", true}, // not UTF-8, but neither ":" nor NUL (as strings.ContainsAny judged it)
		{"\xff:", false},
	} {
		if got := ValidName(tc.s); got != tc.want {
			t.Errorf("ValidName(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestCheckNames(t *testing.T) {
	if err := CheckNames("d/1", "appeal", "r", "NRN-ATB"); err != nil {
		t.Fatal(err)
	}
	if err := CheckNames("d/1", "council", "NRN-ATB", ""); err != nil {
		t.Fatalf("an empty council: %v", err)
	}
	for _, n := range [][3]string{{"", "r", "c"}, {"appeal", "a:b", "c"}, {"appeal", "r", "x:y"}, {"appeal", "r\x00", ""}} {
		err := CheckNames("d/7", n[0], n[1], n[2])
		if err == nil || !strings.Contains(err.Error(), "d/7") || !strings.Contains(err.Error(), "without ':'") {
			t.Errorf("CheckNames%q: %v", n, err)
		}
	}
}

func TestCheckOpNames(t *testing.T) {
	op := &changeset.Op{Device: "d", Seq: 7, Kind: "appeal", Record: "r", Council: "NRN-ATB"}
	if err := CheckOpNames(op); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { CheckOpNames(op) }); n != 0 {
		t.Fatalf("a valid operation's names cost %v allocations", n)
	}
	op.Record = "a:b"
	if err := CheckOpNames(op); err == nil || err.Error() != CheckNames("d/7", "appeal", "a:b", "NRN-ATB").Error() {
		t.Fatalf("a record id with ':': %v", err)
	}
}
