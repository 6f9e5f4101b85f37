package diskspace

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// IsNoSpace reports whether err is a full disk, however it was wrapped.
func IsNoSpace(err error) bool {
	return err != nil && (errors.Is(err, syscall.ENOSPC) || strings.Contains(err.Error(), "no space left on device"))
}

// CheckSpace refuses to go on when dir's file system has less than min
// bytes free for this user: it returns full, wrapped with the figures.
// A write refused beforehand is far easier to recover from than a store
// that runs out of disk in the middle of one. When the free space cannot
// be read it returns nil and lets the write itself tell.
func CheckSpace(dir string, min uint64, full error) error {
	if dir == "" {
		return nil // in memory
	}
	free, err := FreeBytes(dir)
	if err != nil {
		return nil
	}
	if free < min {
		return fmt.Errorf("%w (%d MiB free, %d MiB kept in reserve)", full, free>>20, min>>20)
	}
	return nil
}

// Classify wraps err in full when it is a full disk (IsNoSpace), so that
// callers can tell it with errors.Is and say what to do; other errors are
// returned as they are.
func Classify(err, full error) error {
	if IsNoSpace(err) {
		return fmt.Errorf("%w (%v)", full, err)
	}
	return err
}
