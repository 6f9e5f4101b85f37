// Package store keeps a laptop's records in Badger, encrypted at rest: each
// save writes the operation, the record's merged state, its history entry and
// its index row in one durable transaction.
package store
