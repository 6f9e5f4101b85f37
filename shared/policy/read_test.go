package policy

import (
	"testing"

	"github.com/kenesh/kenesh/shared/domain"
)

func TestMayRead(t *testing.T) {
	sec := Device{Role: domain.RoleSecretary, Council: "NRN-ATB"}
	tests := []struct {
		name    string
		dev     Device
		kind    string
		council string
		want    bool
	}{
		{"secretary, own council's appeal", sec, domain.KindAppeal, "NRN-ATB", true},
		{"secretary, own council's event", sec, domain.KindEvent, "NRN-ATB", true},
		{"secretary, another council's appeal", sec, domain.KindAppeal, "OSH-ARV", false},
		{"secretary, another council's event", sec, domain.KindEvent, "OSH-ARV", false},
		{"secretary, a record of no council", sec, domain.KindAppeal, "", false},
		{"secretary, councils", sec, domain.KindCouncil, "OSH-ARV", true},
		{"secretary, materials", sec, domain.KindMaterial, "", true},
		{"central, any council's appeal", Device{Role: domain.RoleCentral}, domain.KindAppeal, "OSH-ARV", true},
		{"trainer, an appeal", Device{Role: domain.RoleTrainer}, domain.KindAppeal, "NRN-ATB", false},
		{"trainer, materials", Device{Role: domain.RoleTrainer}, domain.KindMaterial, "", true},
		{"admin, an event", Device{Role: domain.RoleAdmin, Council: "NRN-ATB"}, domain.KindEvent, "NRN-ATB", false},
		{"unknown role", Device{Role: "guest", Council: "NRN-ATB"}, domain.KindAppeal, "NRN-ATB", false},
		{"no role", Device{}, domain.KindCouncil, "", false},
	}
	for _, tt := range tests {
		if got := MayRead(tt.dev, tt.kind, tt.council); got != tt.want {
			t.Errorf("%s: MayRead = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// The attendance list of a training is read as appellants' data is: by
// every device that reads the council's appeals, and by no other.
func TestMayReadAttendance(t *testing.T) {
	devs := []Device{
		{Role: domain.RoleSecretary, Council: "NRN-ATB"}, {Role: domain.RoleSecretary, Council: "OSH-ARV"},
		{Role: domain.RoleCentral}, {Role: domain.RoleTrainer}, {Role: domain.RoleAdmin, Council: "NRN-ATB"},
		{Role: "guest", Council: "NRN-ATB"}, {},
	}
	for _, dev := range devs {
		for _, council := range []string{"NRN-ATB", "OSH-ARV", ""} {
			if got, want := MayReadAttendance(dev, council), MayRead(dev, domain.KindAppeal, council); got != want {
				t.Errorf("%+v, council %q: MayReadAttendance = %v, appellants' rule %v", dev, council, got, want)
			}
		}
	}
	if !MayReadAttendance(Device{Role: domain.RoleSecretary, Council: "NRN-ATB"}, "NRN-ATB") || MayReadAttendance(Device{Role: domain.RoleTrainer}, "NRN-ATB") {
		t.Error("the council's secretary reads its training's attendance, a trainer does not")
	}
}
