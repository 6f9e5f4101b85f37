// Package facts is what reports count of each record, beyond the index's
// columns, kept with the record's index row: written when the record is
// saved or merged, read by every report without touching the store.
package facts
