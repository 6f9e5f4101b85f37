// Package store keeps a laptop's records in Badger, encrypted at rest: each
// save writes the operation, the record's merged state, its history entry and
// its index row in one durable transaction.
//
// Operations and states are in changeset's compact storage encoding (JSON
// from an older store is still read); conflicts and meta values are JSON.
package store
