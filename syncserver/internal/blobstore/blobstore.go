package blobstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Errors every engine returns as they are (errors.Is).
var (
	// ErrNotFound: no blob under the key.
	ErrNotFound = errors.New("no such blob")
	// ErrInvalidKey: the key breaks ValidKey.
	ErrInvalidKey = errors.New("not a blob key")
	// ErrTooLarge: a blob over MaxBlobBytes.
	ErrTooLarge = errors.New("blob too large")
	// ErrDiskFull: the engine has no room left; nothing of the write was
	// made.
	ErrDiskFull = errors.New("the disk of the file store is (nearly) full")
)

// MaxBlobBytes bounds one blob: a chunk of a file (at most 1 MiB) sealed,
// with room to spare. Blobs are written and read whole, so this also
// bounds what one call holds in memory.
const MaxBlobBytes = 4 << 20

// MaxKeyBytes bounds a key.
const MaxKeyBytes = 512

// Store keeps blobs: opaque bytes under keys. Its methods are safe for
// concurrent use, by goroutines of one process and, where the engine
// allows it (an object store), by several processes.
//
// A key is segments of ASCII letters, digits, '.', '_' and '-' joined by
// '/' (ValidKey): what every engine can name a file or an object by
// without escaping. The caller chooses keys; the engine gives them no
// meaning, except that List walks them by prefix.
type Store interface {
	// Put stores data under key, replacing a blob there, atomically (a
	// reader sees the old blob or the new one whole, never a part, also
	// after a crash) and durably before it returns. Putting the same blob
	// again changes nothing. data is not kept after it returns.
	Put(ctx context.Context, key string, data []byte) error
	// PutBatch stores each blob as Put does (atomically each, replacing
	// one there), all of them durable before it returns, with fewer
	// syncs of the disk than a Put each. Keys and sizes are checked
	// before anything is written; on a later error, each blob is there
	// whole or not at all.
	PutBatch(ctx context.Context, blobs []Blob) error
	// Get returns the blob under key, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Stat returns the size of the blob under key, or ErrNotFound.
	Stat(ctx context.Context, key string) (int64, error)
	// Delete removes the blob under key; removing one that is not there
	// is no error.
	Delete(ctx context.Context, key string) error
	// List calls fn with the key and size of every blob whose key starts
	// with prefix, in key order (bytewise), from one moment's view: blobs
	// put or deleted while it runs may or may not be seen. An error of fn
	// stops it and is returned as it is.
	List(ctx context.Context, prefix string, fn func(key string, size int64) error) error
	// Close releases the store; nothing may be called after it.
	Close() error
}

// Blob is a blob to put: its key and content.
type Blob struct {
	Key  string
	Data []byte
}

// checkBatch is what every engine checks before a PutBatch.
func checkBatch(ctx context.Context, blobs []Blob) error {
	for _, b := range blobs {
		if err := checkPut(ctx, b.Key, b.Data); err != nil {
			return err
		}
	}
	return nil
}

// ValidKey reports whether key may name a blob: 1 to MaxKeyBytes bytes of
// segments of [A-Za-z0-9._-] joined by '/', no segment empty, "." or "..".
func ValidKey(key string) bool {
	if key == "" || len(key) > MaxKeyBytes {
		return false
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
				return false
			}
		}
	}
	return true
}

// checkPut is what every engine checks before a Put.
func checkPut(ctx context.Context, key string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !ValidKey(key) {
		return fmt.Errorf("put %.80q: %w", key, ErrInvalidKey)
	}
	if len(data) > MaxBlobBytes {
		return fmt.Errorf("put %s: %w (%d bytes, at most %d)", key, ErrTooLarge, len(data), MaxBlobBytes)
	}
	return nil
}

// checkKey is what every engine checks before reading or deleting.
func checkKey(ctx context.Context, op, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !ValidKey(key) {
		return fmt.Errorf("%s %.80q: %w", op, key, ErrInvalidKey)
	}
	return nil
}
