package domain

import "slices"

// Roles a device is enrolled with. They are what the programme's people do
// (DOMAIN.md), not a detail of the wire: the policy decides what each may
// read and write, the laptop what it offers, the server whom it enrolls.
// The sync protocol carries them as these strings; never rename one.
const (
	// RoleSecretary records a council's appeals and events.
	RoleSecretary = "secretary"
	// RoleCentral reads every council's records and writes only the review
	// fields (ReviewFields).
	RoleCentral = "central"
	// RoleTrainer publishes training materials.
	RoleTrainer = "trainer"
	// RoleAdmin sets up councils.
	RoleAdmin = "admin"
)

// Roles lists every role, in the order an administrator is offered them.
var Roles = []string{RoleSecretary, RoleCentral, RoleTrainer, RoleAdmin}

// ValidRole reports whether role is one of Roles.
func ValidRole(role string) bool { return slices.Contains(Roles, role) }
