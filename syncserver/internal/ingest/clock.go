package ingest

import (
	"fmt"
	"time"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
)

// MaxAhead is how far ahead of the server's clock an operation may be
// dated. The clock an operation carries is the laptop's, in UTC. An
// operation dated ahead wins last-writer-wins against every honest edit of
// its fields until real time catches up with it, so this is how long one
// wrong clock may freeze a field. The wrong clocks met in the field: a
// wrong time zone with the local time set right (Bishkek is UTC+6: a
// laptop left on UTC reads six hours ahead, one left on a fresh Windows'
// US Pacific time fourteen), a date typed a day off, a flat CMOS battery
// (years behind). Twelve hours lives with the usual time-zone slip and
// refuses the rest; an operation refused for being up to a day ahead goes
// through once the server's clock has caught up (CodeClock is temporary),
// and one dated 2099 never does. Twelve hours is also half the laptops'
// own bound (hlc.DefaultMaxDrift, 24 h: a laptop does not move its clock
// to a pulled timestamp further ahead of its own): a laptop up to twelve
// hours behind the server still follows every operation the server
// accepted, so its later edits order after them, and the rule "no edit
// before its record's creation" below never refuses one of its edits.
const MaxAhead = 12 * time.Hour

// Epoch is before any operation Kenesh ever made (its first laptops were
// set up in 2026): an operation dated earlier comes from a clock that is
// wrong, typically reset to 2000 or to its BIOS's date by a flat battery.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// clockError stops a push at an operation whose clock is impossible.
type clockError struct{ msg string }

func (e *clockError) Error() string { return e.msg }

const setClock = "this laptop's clock is wrong: set its date, time and time zone; its changes stay on it and are sent once the clock is right"

// checkClock returns why w's clock is impossible ("" when it is not),
// given the clock of the device's previous operation and the server's.
func checkClock(w uint64, seq uint64, prev hlc.Timestamp, now time.Time) string {
	t := hlc.Timestamp(w)
	switch {
	case t == 0:
		return "" // no clock at all: a malformed operation, refused as such
	case t.Millis() > now.Add(MaxAhead).UnixMilli():
		return fmt.Sprintf("change %d is dated %s, %s ahead of the server's clock (%s): %s", seq, t.Time().Format(time.RFC3339),
			t.Time().Sub(now).Round(time.Minute), now.UTC().Format(time.RFC3339), setClock)
	case t.Time().Before(Epoch):
		return fmt.Sprintf("change %d is dated %s, before Kenesh existed: %s", seq, t.Time().Format(time.RFC3339), setClock)
	case t <= prev:
		// A laptop's clock never goes back (it is a hybrid clock that only
		// moves forward, whatever the wall clock does).
		return fmt.Sprintf("change %d is dated %s, not after this laptop's previous change (%s): %s", seq, t.Time().Format(time.RFC3339),
			prev.Time().Format(time.RFC3339), setClock)
	}
	return ""
}

// checkCreated refuses an operation on a council's record dated before
// the record was created (the creating laptop's clock): no laptop edits a
// record before it has seen it, and seeing it moves the laptop's clock
// past its creation (see MaxAhead), so only a clock far behind or a lie
// dates an edit earlier, and it would claim to have come first.
func checkCreated(op *changeset.Op, cur *changeset.State) *clockError {
	if cur == nil || cur.Created == 0 || auth.IsGlobal(op.Kind) || op.HLC >= cur.Created {
		return nil
	}
	return &clockError{msg: fmt.Sprintf("change %d (%s %s) is dated %s, before the record was created (%s): %s", op.Seq, op.Kind, op.Record,
		op.HLC.Time().Format(time.RFC3339), cur.Created.Time().Format(time.RFC3339), setClock)}
}
