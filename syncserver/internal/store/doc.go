// Package store keeps the sync server's state in Badger: the server-ordered
// operation log with its per-council pull indexes, merged record states,
// conflicts, devices, token and enrollment-code hashes, and refusals.
//
// Log entries and record states, written for every operation pushed, are in
// changeset's compact storage encoding, and a device's judged operations in
// a small binary entry (opentry.go); the rest is JSON. Every decoder also
// reads the JSON an older store wrote.
package store
