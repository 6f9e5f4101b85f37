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

// MaterialCopyID is the record id of what device holds of material (a
// MaterialCopy): the same on every call, so a laptop keeps one record per
// material, and different for every device, so two laptops never write
// the same one. It is a name-based UUID (version 5) of both ids.
func MaterialCopyID(material, device string) string {
	return uuid.NewSHA1(materialCopySpace, []byte(material+"/"+device)).String()
}

// materialCopySpace is the namespace of MaterialCopyID; never change it.
var materialCopySpace = uuid.MustParse("5d0c6a3e-2f0e-4b8e-9d43-6b1f3f0a9c21")
