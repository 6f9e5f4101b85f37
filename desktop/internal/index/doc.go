// Package index keeps, in memory, the few fields of every record that
// lists, filters, counts and search need, in compact columns and an
// inverted word index, so that they never read Badger.
package index
