package domain

import "time"

// Meta is what the store knows about a record beyond its fields. It is
// shown, never edited, and never travels as a field.
type Meta struct {
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	Device    string    `json:"device,omitempty"`
	UpdatedAt time.Time `json:"updated_at"`
	Deleted   bool      `json:"deleted,omitempty"`
	// Unreadable names the fields whose stored value does not fit the
	// record type (from a laptop with a bug, or a newer version): they are
	// left out of the record shown, and kept in its history.
	Unreadable []string `json:"unreadable,omitempty"`
}

// NotFields are the JSON properties of record types that are not stored as
// fields: the id (the record key), metadata, and values derived on reading.
var NotFields = []string{"id", "meta", "deadlines", "overdue", "next_statuses"}
