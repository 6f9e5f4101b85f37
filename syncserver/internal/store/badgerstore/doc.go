// Package badgerstore is the sync server's embedded storage engine: the
// store.Store contract on Badger in one data directory, encrypted at rest,
// with one writing process (Badger locks the directory) and the log's
// single writer inside it: Appends waiting for it are committed together,
// in one transaction and one sync of Badger's log (group.go).
//
// Log entries and record states, written for every operation pushed, are in
// changeset's compact storage encoding, and a device's judged operations in
// a small binary entry (opentry.go); the rest is JSON. Every decoder also
// reads the JSON an older store wrote. The key layout is in keys.go.
package badgerstore
