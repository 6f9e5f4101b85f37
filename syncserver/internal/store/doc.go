// Package store keeps the sync server's state in Badger: the server-ordered
// operation log with its per-council pull indexes, merged record states,
// conflicts, devices, token and enrollment-code hashes, and refusals.
package store
