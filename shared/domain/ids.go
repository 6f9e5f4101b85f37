package domain

import (
	"fmt"

	"github.com/google/uuid"
)

// NewID returns a UUIDv7: made offline, time-ordered (so lists and collection
// items sort by creation), with 74 random bits so laptops never collide.
func NewID() string {
	id, err := uuid.NewV7()
	if err != nil {
		// Only a broken system random source gets here; nothing can be saved safely.
		panic(fmt.Sprintf("domain: make id: %v", err))
	}
	return id.String()
}

// ValidID reports whether s is a canonical UUID string.
func ValidID(s string) bool {
	id, err := uuid.Parse(s)
	return err == nil && id.String() == s
}
