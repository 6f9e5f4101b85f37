// Package reports computes the figures central staff and secretaries
// report: events, participants, appeals and their handling, the
// programme's indicators, for a period, an oblast, a council or all of
// them, side by side per council, oblast, month or quarter.
//
// Today's figures come from the in-memory index (records.ScanFacts: the
// index's columns and each record's facts), never from the store.
//
// As of a past day. A report as of day D counts every record as the
// operations of its history with a clock at or before the end of D in
// Bishkek (23:59:59.999, UTC+6) made it: the clock is the one of the
// laptop that made each change, which the server keeps within 12 hours of
// its own, so "as of D" means "what had been recorded, anywhere, by the
// end of D", merged exactly as replicas merge. It is the same on every
// laptop holding the same operations. It is not "what this laptop had
// received by D": a council that recorded something on D and synced a week
// later is in a report as of D made after that week, not in one made on D.
// That difference is what the report's log point says: the server cursor
// when it was made and the newest clock it counts, and Replay.Later counts
// the operations after D that today's figures include. Deadlines are
// derived by the rules in force now; overdue appeals and late actions are
// those late on D.
package reports
