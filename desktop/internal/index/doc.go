// Package index keeps, in memory (go-memdb), the few fields of every record
// that lists, filters, counts and search need, so that they never read Badger.
package index
