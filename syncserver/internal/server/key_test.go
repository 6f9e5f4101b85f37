package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/kenesh/kenesh/syncserver/internal/serverkey"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
)

// A key rotation cut off after the store was re-keyed but before the key
// file was replaced is finished at the next open: the new key opens the
// store and takes the key file's place.
func TestInterruptedKeyRotationIsFinished(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "srv")
	s, err := New(ctx, Config{DataDir: dir, Small: true, MinFree: 1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	loc := serverkey.Location{Path: dir + ".key"}
	old, err := serverkey.Load(loc.Path)
	if err != nil {
		t.Fatal(err)
	}
	next, err := serverkey.Create(loc.Path + newSuffix)
	if err != nil {
		t.Fatal(err)
	}
	if err := badgerstore.RotateKey(dir, old, next); err != nil {
		t.Fatal(err)
	}
	// The crash: the key file is still the old one.
	st, key, err := OpenStore(ctx, dir, loc, badgerstore.Options{Small: true, MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if now, _ := serverkey.Load(loc.Path); !bytes.Equal(key, next) || !bytes.Equal(now, next) {
		t.Fatal("the new key did not take the key file's place")
	}
	if olds, _ := filepath.Glob(loc.Path + ".old-*"); len(olds) != 1 {
		t.Fatalf("old key files: %v", olds)
	}
	if _, err := os.Stat(loc.Path + newSuffix); err == nil {
		t.Fatal("the new key's temporary file is left")
	}
}
