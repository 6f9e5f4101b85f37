package syncer

import "errors"

// ErrBadAnswer means the server answered something no honest Kenesh server
// says: an acknowledgement of changes this laptop never made, a refusal of
// an operation it did not send, a body that is not a sync frame (a
// network's login page, a wrong address), a redirect. Nothing of such an
// answer is believed: nothing is marked sent, nothing pulled is applied,
// and the sync is tried again later.
var ErrBadAnswer = errors.New("the server's answer is impossible (a wrong address, a network's login page, or a fault on the server); nothing was marked as sent")
