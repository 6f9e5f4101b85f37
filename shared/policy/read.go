package policy

import "github.com/kenesh/kenesh/shared/domain"

// MayRead reports whether dev may read a record of kind that belongs to
// council: the rule the server's read scope applies when it chooses what a
// laptop pulls (syncserver/internal/auth.ReadScope), stated once here so a
// laptop can apply it to what it shows and exports. Central staff read
// everything; a secretary reads their own council's appeals, events and
// web submissions; every device reads councils and training materials; a
// device of no known role reads nothing.
func MayRead(dev Device, kind, council string) bool {
	switch dev.Role {
	case domain.RoleCentral:
		return true
	case domain.RoleSecretary:
		return IsGlobal(kind) || council == dev.Council
	case domain.RoleTrainer, domain.RoleAdmin:
		return IsGlobal(kind)
	}
	return false
}

// MayExportPersonal reports whether dev may export records with the
// personal data an anonymised export leaves out (domain.Anonymised): the
// roles that read a council's appeals, as they are, on their own laptop
// (a secretary their council's, central staff every council's). What
// each may export is still only what MayRead allows.
func MayExportPersonal(dev Device) bool {
	return dev.Role == domain.RoleSecretary || dev.Role == domain.RoleCentral
}

// MayReadAttendance reports whether dev may read the attendance list of a
// training of council: names and organisations of people, personal data
// treated as an appellant's (Law No. 58), so the rule is the one that
// decides who reads a council's appeals. Anonymised exports leave the
// names out (domain.Anonymised).
func MayReadAttendance(dev Device, council string) bool {
	return MayRead(dev, domain.KindAppeal, council)
}
