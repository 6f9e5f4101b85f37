package badgerstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/internal/badgerdb"
)

// ErrWrongKey is a key that does not open the store.
var ErrWrongKey = errors.New("the key does not open this data (is it another server's key file?)")

// ErrNeedKey is an encrypted store opened without its key.
var ErrNeedKey = errors.New("the data is encrypted: its key file is needed")

// Suffixes of the directories an encryption of a plaintext store works in,
// beside DataDir.
const (
	encryptingSuffix = ".encrypting" // the encrypted copy being made
	plaintextSuffix  = ".plaintext"  // the old store, until the copy replaces it
	encryptedMarker  = "KENESH-ENCRYPTED-COPY-COMPLETE"
)

// IsEncrypted reports whether dataDir holds a store encrypted at rest
// (false when it holds none, or one from before encryption at rest).
func IsEncrypted(dataDir string) (bool, error) {
	path := filepath.Join(dataDir, DataDir)
	if err := recoverEncryption(path); err != nil {
		return false, err
	}
	return encrypted(path)
}

func encrypted(path string) (bool, error) {
	if _, err := os.Stat(filepath.Join(path, badger.KeyRegistryFileName)); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	kr, err := badger.OpenKeyRegistry(badger.KeyRegistryOptions{Dir: path, ReadOnly: true})
	if errors.Is(err, badger.ErrEncryptionKeyMismatch) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("read the store's key registry: %w", err)
	}
	kr.Close()
	return false, nil
}

// encryptPlaintext rewrites the plaintext store at path encrypted with
// o.Key: a copy is made beside it, marked complete, then put in its place,
// and the plaintext removed. A crash at any point leaves either the old
// store (the next open starts over) or the new one (the next open
// finishes); see recoverEncryption.
func encryptPlaintext(ctx context.Context, path string, o Options) (err error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	log.Warn("the store is not encrypted at rest (made by an older kenesh-syncserver): encrypting it now", "dir", path)
	tmp := path + encryptingSuffix
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	plain := o
	plain.Key = nil
	src, err := badgerdb.Open(options(path, plain))
	if err != nil {
		return fmt.Errorf("open the plaintext store: %w", classify(err))
	}
	defer func() {
		if src != nil {
			src.Close()
		}
	}()
	dst, err := badgerdb.Open(options(tmp, o))
	if err != nil {
		return fmt.Errorf("create the encrypted store: %w", classify(err))
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := src.Backup(pw, 0)
		pw.CloseWithError(err)
	}()
	err = dst.Load(pr, 64)
	pr.CloseWithError(io.ErrClosedPipe) // unblock the backup if Load stopped early
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if cerr := src.Close(); err == nil {
		err = cerr
	}
	src = nil
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = writeMarker(filepath.Join(tmp, encryptedMarker))
	}
	if err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("encrypt the store: %w", classify(err))
	}
	if err := os.Rename(path, path+plaintextSuffix); err != nil {
		return fmt.Errorf("encrypt the store: %w", err)
	}
	if err := recoverEncryption(path); err != nil {
		return err
	}
	log.Warn("the store is encrypted at rest now", "dir", path, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func writeMarker(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// recoverEncryption finishes or undoes an encryption a crash interrupted.
func recoverEncryption(path string) error {
	tmp, plain := path+encryptingSuffix, path+plaintextSuffix
	_, errPath := os.Stat(path)
	_, errPlain := os.Stat(plain)
	_, errDone := os.Stat(filepath.Join(tmp, encryptedMarker))
	if errPath == nil && errPlain == nil && errDone == nil && isEmptyDir(path) {
		// An empty directory where the store was (made by something that
		// looked before this ran) is no store.
		if err := os.Remove(path); err != nil {
			return fmt.Errorf("finish encrypting the store: %w", err)
		}
		errPath = os.ErrNotExist
	}
	switch {
	case errPlain == nil && errors.Is(errPath, os.ErrNotExist) && errDone == nil:
		// The plaintext was moved aside after the copy was complete.
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("finish encrypting the store: %w", err)
		}
		syncDir(filepath.Dir(path))
		fallthrough
	case errPlain == nil && errPath == nil:
		if err := os.RemoveAll(plain); err != nil {
			return fmt.Errorf("remove the plaintext store: %w", err)
		}
		os.Remove(filepath.Join(path, encryptedMarker))
	case errPlain != nil && errPath == nil:
		// An interrupted copy, or none: the store in place is the one.
		if err := os.RemoveAll(tmp); err != nil {
			return err
		}
	}
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// RotateKey re-encrypts the store's data keys under newKey, so that the
// old key no longer opens it. Badger encrypts the data with data keys it
// rotates itself (every ten days), kept in its key registry under the
// store's key: only that registry is rewritten (atomically, by Badger).
// The store must not be open.
func RotateKey(dataDir string, oldKey, newKey []byte) error {
	path := filepath.Join(dataDir, DataDir)
	kr, err := badger.OpenKeyRegistry(badger.KeyRegistryOptions{Dir: path, ReadOnly: true, EncryptionKey: oldKey,
		EncryptionKeyRotationDuration: 10 * 24 * time.Hour})
	if errors.Is(err, badger.ErrEncryptionKeyMismatch) {
		return fmt.Errorf("rotate the key: %w", ErrWrongKey)
	}
	if err != nil {
		return fmt.Errorf("rotate the key: %w", err)
	}
	defer kr.Close()
	err = badger.WriteKeyRegistry(kr, badger.KeyRegistryOptions{Dir: path, EncryptionKey: newKey,
		EncryptionKeyRotationDuration: 10 * 24 * time.Hour})
	if err != nil {
		return fmt.Errorf("rotate the key: %w", err)
	}
	return nil
}
