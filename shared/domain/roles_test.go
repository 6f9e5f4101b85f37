package domain

import "testing"

func TestValidRole(t *testing.T) {
	for _, r := range Roles {
		if !ValidRole(r) {
			t.Errorf("%q is in Roles but not valid", r)
		}
	}
	for _, r := range []string{"", "Secretary", "root", "secretary "} {
		if ValidRole(r) {
			t.Errorf("%q is valid", r)
		}
	}
}
