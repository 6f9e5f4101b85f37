package syncer

import (
	"fmt"
	"time"

	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/syncproto/syncclient"
)

// ErrBadAnswer means the server answered something no honest Kenesh server
// says: a body that is not a sync frame (a network's login page, a wrong
// address) or a redirect, as the protocol client finds, and, as the
// syncer finds, an acknowledgement of changes this laptop never made or a
// refusal of an operation it did not send. Nothing of such an answer is
// believed: nothing is marked sent, nothing pulled is applied, and the
// sync is tried again later. It is syncclient.ErrBadAnswer.
var ErrBadAnswer = syncclient.ErrBadAnswer

// ClockError says this laptop's clock is wrong: the server refused its
// changes for their clock (syncproto.CodeClock) and the laptop's clock is
// still far from the server's, or its clock is so far from the server's
// that what it pulls must wait. Nothing is lost: the changes stay pending,
// and once the clock is right the next sync stamps them again and sends
// them (records.Restamp). errors.Is(err, syncproto.ErrClock) holds.
type ClockError struct {
	Laptop time.Time // this laptop's clock
	Server time.Time // the server's (zero if it gave none)
	Err    error     // the server's refusal, if it refused
}

func (e *ClockError) Error() string {
	msg := "this laptop's clock is wrong"
	if !e.Server.IsZero() {
		msg += fmt.Sprintf(": it says %s, the server says %s (Bishkek time)", e.Laptop.In(bishkek).Format("2006-01-02 15:04"), e.Server.In(bishkek).Format("2006-01-02 15:04"))
	}
	return msg + "; set the date, time and time zone (Bishkek, UTC+6) in the computer's settings: the changes stay here and are sent once the clock is right"
}

// Unwrap gives syncproto.ErrClock, and the server's refusal if any.
func (e *ClockError) Unwrap() []error {
	if e.Err != nil {
		return []error{syncproto.ErrClock, e.Err}
	}
	return []error{syncproto.ErrClock}
}

var bishkek = time.FixedZone("Asia/Bishkek", 6*60*60)
