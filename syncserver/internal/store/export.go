package store

import (
	"context"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
)

// Exporter is an optional extra of a Store, found by type assertion: an
// engine that can give everything it keeps, from one snapshot, for
// another engine to take in whole (kenesh-syncserver migrate moves an
// embedded deployment to PostgreSQL this way). Nothing is left out:
// what Export gives is the store.
type Exporter interface {
	// Export calls fn with every item the store keeps, from one
	// snapshot: the Meta item first, then the rest in no promised order
	// but the log's (Op items in server order). fn's error stops it and
	// is returned as it is.
	Export(ctx context.Context, fn func(Item) error) error
}

// Item is one thing a store keeps; exactly one field is set.
type Item struct {
	Meta *Meta
	// Device is an enrolled device with its TokenHash and LastSeen as
	// kept (Acked is the log's: the Acked items).
	Device *Device
	// Token binds a token's hash to a device.
	Token *TokenItem
	Code  *CodeItem
	// Op is an accepted operation under its server sequence number, with
	// the pull index it was given.
	Op    *OpItem
	Acked *AckedItem
	// Refusal is a refused operation, with its judgement (HLC, Kind,
	// Record) filled in.
	Refusal  *Refusal
	State    *changeset.State
	Conflict *changeset.Conflict

	PublicAppeal  *PublicAppeal
	PublicCouncil *PublicCouncil
	// PublicCompetition is a competition whose winners are published.
	PublicCompetition *PublicCompetition
	Tracking          *Tracking
	TrackingCode      *TrackingCodeItem
	Chunk             *ChunkItem
}

// Meta is what a store keeps of itself: its identity, the log's head and
// clock, and the public projection's version and rule.
type Meta struct {
	Identity   Identity
	Head       uint64
	Clock      hlc.Timestamp
	Public     PublicStamp
	PublicRule int
}

// TokenItem binds the hash of a device's token to the device.
type TokenItem struct {
	Sum    [32]byte
	Device string
}

// CodeItem is an enrollment code under the hash it is found by.
type CodeItem struct {
	Sum  [32]byte
	Code Code
}

// OpItem is an accepted operation of the log.
type OpItem struct {
	Seq   uint64
	Op    *changeset.Op
	Index Index
}

// AckedItem is the highest seq of a device the store judged.
type AckedItem struct {
	Device string
	Seq    uint64
}

// TrackingCodeItem binds the hash of a tracking code to a web submission.
type TrackingCodeItem struct {
	Sum        [32]byte
	Submission string
}

// ChunkItem is a file chunk an owner holds (the owner's usage is their
// sum).
type ChunkItem struct {
	Owner string
	Sum   [32]byte
	Size  int64
}
