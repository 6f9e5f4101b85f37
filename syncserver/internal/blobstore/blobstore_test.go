package blobstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kenesh/kenesh/syncserver/internal/blobstore"
	"github.com/kenesh/kenesh/syncserver/internal/blobstore/blobstoretest"
)

func TestMem(t *testing.T) {
	blobstoretest.Run(t, func(t *testing.T) blobstore.Store { return blobstore.NewMem() })
}

func TestDir(t *testing.T) {
	blobstoretest.Run(t, func(t *testing.T) blobstore.Store {
		d, err := blobstore.OpenDir(t.TempDir(), blobstore.DirOptions{MinFree: 1})
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}

// What a Put cut short by a crash left behind is not a blob, and is
// cleared when the store opens again; blobs are readable by the owner only.
func TestDirCrashLeftovers(t *testing.T) {
	root := t.TempDir()
	d, err := blobstore.OpenDir(root, blobstore.DirOptions{MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Put(context.Background(), "c/1", []byte("whole")); err != nil {
		t.Fatal(err)
	}
	half := filepath.Join(root, "tmp", "put-123")
	os.WriteFile(half, []byte("wh"), 0o600)
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(half, old, old)
	// Another process's Put in flight, made a moment ago, stays.
	inFlight := filepath.Join(root, "tmp", "put-456")
	os.WriteFile(inFlight, []byte("wh"), 0o600)
	n := 0
	d.List(context.Background(), "", func(string, int64) error { n++; return nil })
	if n != 1 {
		t.Errorf("%d blobs listed with a write cut short in tmp", n)
	}
	if _, err := blobstore.OpenDir(root, blobstore.DirOptions{MinFree: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(half); !os.IsNotExist(err) {
		t.Errorf("the leftover is still there: %v", err)
	}
	if _, err := os.Stat(inFlight); err != nil {
		t.Errorf("another process's write in flight was removed: %v", err)
	}
	for _, p := range []string{root, filepath.Join(root, "blobs"), filepath.Join(root, "blobs", "c")} {
		if st, _ := os.Stat(p); st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is %v: others may read it", p, st.Mode().Perm())
		}
	}
}

// A disk with less free than the reserve refuses a Put with ErrDiskFull,
// writing nothing.
func TestDirReserve(t *testing.T) {
	d, err := blobstore.OpenDir(t.TempDir(), blobstore.DirOptions{MinFree: 1 << 62})
	if err != nil {
		t.Fatal(err)
	}
	err = d.Put(context.Background(), "k", []byte("x"))
	if err == nil {
		t.Skip("free space unknown on this system")
	}
	if !errors.Is(err, blobstore.ErrDiskFull) {
		t.Fatalf("put past the reserve: %v", err)
	}
}
