package store

import (
	"context"
	"errors"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

// ErrCodeTaken is returned by ProjectionTx.BindCode for a tracking code
// (by its hash) that is bound already: the caller draws another.
var ErrCodeTaken = errors.New("the tracking code is in use")

// Public is what the public side reads: the public projection (published
// appeals and councils, as the public may see them) and the tracking of
// web submissions. It holds no record as the councils wrote it: only the
// allow-listed copies ingest made (PublicAppeal, PublicCouncil,
// Tracking), in the Append that accepted the operations they come from
// (ProjectionTx), so what the public sees changes in the same commit as
// the log, and nothing unpublished is ever in it.
type Public interface {
	// PublicVersion is the projection's version as last committed. It
	// is cheap: a reader calls it on every request to tell whether what
	// it keeps in memory is still current.
	PublicVersion(ctx context.Context) (PublicStamp, error)
	// ReadPublic runs fn in a read-only snapshot of the projection.
	ReadPublic(ctx context.Context, fn func(PublicReader) error) error
}

// PublicStamp says which state of the projection a reader holds: N grows
// by one with every commit that changed a published appeal or a council
// of it (never for tracking alone), and At is when that commit was made
// (zero for N = 0, a projection never written).
type PublicStamp struct {
	N  uint64
	At time.Time
}

// PublicChangeReader is what a PublicReader also does when its engine
// keeps which appeals each version of the projection changed (badgerstore
// and pgstore do; an engine that does not is read whole at every
// version): a reader
// that holds the projection as of version n follows it by reading only
// what changed since, where reading it whole (20,000 appeals decoded)
// took a second.
type PublicChangeReader interface {
	// AppealsChangedSince calls fn with the id of every appeal put in,
	// changed in or taken off the projection by the commits after
	// version n, up to this snapshot's (an id may come more than once;
	// Appeal says what it is now). complete is false, and fn is not
	// called, when the engine no longer keeps the changes back to n (it
	// keeps those of many recent versions, not all, and none from before
	// it began to keep them): the reader then reads the projection whole.
	AppealsChangedSince(n uint64, fn func(id string) error) (complete bool, err error)
}

// ChallengeSwitch is what an engine that several server processes share
// also does (pgstore): it keeps the switch of the citizens' form's
// challenge, so that an administrator turns it on or off for every
// process at once, and it outlasts their restarts. An engine of one
// process (badgerstore) keeps none: that process holds the switch, and
// admin reaches it through the control socket.
type ChallengeSwitch interface {
	// Challenge says whether the switch is on (off until first set).
	Challenge(ctx context.Context) (bool, error)
	// SetChallenge turns it on or off.
	SetChallenge(ctx context.Context, on bool) error
}

// PublicReader reads the projection in a snapshot. Values it returns are
// the caller's.
type PublicReader interface {
	// Version is the snapshot's stamp.
	Version() (PublicStamp, error)
	// EachAppeal calls fn with every published appeal, in no promised
	// order.
	EachAppeal(fn func(*PublicAppeal) error) error
	// EachCouncil calls fn with every council, in code order.
	EachCouncil(fn func(*PublicCouncil) error) error
	// EachCompetition calls fn with every competition whose winners are
	// published, in id order.
	EachCompetition(fn func(*PublicCompetition) error) error
	// Appeal returns a published appeal by its record id, or ErrNotFound.
	Appeal(id string) (*PublicAppeal, error)
	// Tracking returns a web submission's tracking by the hash of its
	// code, or ErrNotFound.
	Tracking(sum [32]byte) (*Tracking, error)
	// Waiting counts the web submissions of council still waiting in its
	// inbox (Tracking.Status "waiting").
	Waiting(council string) (int, error)
}

// ProjectionTx writes the projection in an Append (LogTx has it), so a
// publication and what the public sees of it are one commit.
type ProjectionTx interface {
	// PublicAppeal returns the projection's copy of appeal id, or nil.
	PublicAppeal(id string) (*PublicAppeal, error)
	// PutPublicAppeal puts p in the projection under p.ID, replacing what
	// was there; the projection's version moves when the commit changed
	// anything (a put of the same value changes nothing).
	PutPublicAppeal(p *PublicAppeal) error
	// DeletePublicAppeal takes appeal id off the projection; nothing
	// when it is not there.
	DeletePublicAppeal(id string) error
	// PutPublicCouncil and DeletePublicCouncil do the same for councils.
	PutPublicCouncil(c *PublicCouncil) error
	DeletePublicCouncil(code string) error
	// PutPublicCompetition and DeletePublicCompetition do the same for
	// competitions whose winners are published.
	PutPublicCompetition(c *PublicCompetition) error
	DeletePublicCompetition(id string) error

	// Tracking returns the tracking of web submission id, or nil.
	TrackingOf(submission string) (*Tracking, error)
	// PutTracking keeps t under t.Submission, replacing what was there.
	// The engine keeps what readers look it up by: its code (BindCode),
	// the appeal it names (TrackingsOfAppeal) and, while its status is
	// "waiting", its council's count (Waiting).
	PutTracking(t *Tracking) error
	// TrackingsOfAppeal returns the tracking of every web submission
	// whose Appeal is appeal, in submission id order.
	TrackingsOfAppeal(appeal string) ([]*Tracking, error)
	// BindCode binds the hash of a tracking code to web submission id:
	// PublicReader.Tracking finds it by that hash from then on. A hash
	// bound already is ErrCodeTaken, and the transaction must not commit.
	BindCode(sum [32]byte, submission string) error
	// Waiting is PublicReader.Waiting, with this transaction's writes.
	Waiting(council string) (int, error)
	// PublicRule is the version of the projection's rule the projection
	// was last built by (0 on a new store), and SetPublicRule records
	// it: a server whose rule is newer builds the projection again from
	// the states (ingest.Project).
	PublicRule() (int, error)
	SetPublicRule(n int) error
}

// PublicAppeal is a published appeal in the projection: its record id
// (the key, never shown) and what domain.Appeal.Public allows. These are
// the only fields of an appeal that ever reach the projection.
type PublicAppeal struct {
	ID string `json:"id"`
	domain.PublicAppeal
}

// PublicCouncil is a council in the projection: the public form offers it
// and the register names it. The only fields copied.
type PublicCouncil struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Oblast   string `json:"oblast"`
	District string `json:"district,omitempty"`
}

// PublicCompetition is a competition whose winners are published: its
// record id (the key, never shown) and what domain.Competition.Public
// allows. These are the only fields of a competition that ever reach the
// projection.
type PublicCompetition struct {
	ID string `json:"id"`
	domain.PublicCompetition
}

// Tracking is what the tracking page of a web submission shows, and all
// it may show: no name, contact, text or note of anyone. Ingest keeps it
// from the submission's state and, once the council registered it, from
// its appeal's.
type Tracking struct {
	Submission string       `json:"submission"` // the web submission's record id
	Council    string       `json:"council"`
	ReceivedOn caldate.Date `json:"received_on"`
	// Status is the submission's (waiting, registered, merged, refused).
	Status    domain.SubmissionStatus `json:"status"`
	HandledOn caldate.Date            `json:"handled_on,omitzero"`
	// Refusal is why it was refused: a code (domain.SubmissionRefusals),
	// never the council's note.
	Refusal string `json:"refusal,omitempty"`
	// Appeal is the record id of the appeal it became or joined (never
	// shown); the rest is that appeal's progress.
	Appeal       string        `json:"appeal,omitempty"`
	RegNo        string        `json:"reg_no,omitempty"`
	AppealStatus domain.Status `json:"appeal_status,omitempty"`
	RegisteredOn caldate.Date  `json:"registered_on,omitzero"`
	AnsweredOn   caldate.Date  `json:"answered_on,omitzero"`
	ClosedOn     caldate.Date  `json:"closed_on,omitzero"`
	// Published: the appeal is in the public register, under RegNo.
	Published bool `json:"published,omitempty"`
}
