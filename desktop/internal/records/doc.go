// Package records holds the use cases of recording: each save validates the
// record, turns the change into an operation, commits operation and state in
// one store transaction, updates the index and notifies subscribers.
package records
