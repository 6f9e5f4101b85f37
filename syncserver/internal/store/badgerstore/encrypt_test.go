package badgerstore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

func plaintextStore(t *testing.T, dir string) *changeset.Op {
	t.Helper()
	st, err := Open(context.Background(), dir, Options{Small: true, MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	op := &changeset.Op{Device: "d", Seq: 1, HLC: 1 << 40, Kind: "appeal", Record: "r", Council: "NRN-ATB", Action: changeset.ActionCreate,
		Fields: map[string]changeset.Change{"summary": {Value: []byte(`"Токтогулов Эрмек"`)}}}
	err = st.Append(context.Background(), func(w store.LogTx) error { _, err := w.Accept(op, store.Index{Council: "NRN-ATB"}); return err })
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return op
}

func logged(t *testing.T, dir string, key []byte) int {
	t.Helper()
	st, err := Open(context.Background(), dir, Options{Small: true, MinFree: 1, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n := 0
	st.EachOp(context.Background(), 0, func(uint64, *changeset.Op) error { n++; return nil })
	return n
}

// Encrypting a plaintext store survives a crash at any step: the copy cut
// off (the plaintext stays, the next open starts over), and the copy
// complete with the plaintext moved aside (the next open finishes).
func TestEncryptionRecoversFromACrash(t *testing.T) {
	key := bytes.Repeat([]byte{3}, 32)

	dir := t.TempDir()
	plaintextStore(t, dir)
	path := filepath.Join(dir, DataDir)
	// A crash during the copy: a partial copy beside the plaintext.
	os.MkdirAll(path+encryptingSuffix, 0o700)
	os.WriteFile(filepath.Join(path+encryptingSuffix, "000001.sst"), []byte("cut"), 0o600)
	if n := logged(t, dir, key); n != 1 {
		t.Fatalf("after a crash during the copy: %d operations", n)
	}
	if enc, _ := IsEncrypted(dir); !enc {
		t.Fatal("not encrypted")
	}

	// A crash after the plaintext was moved aside: make a complete copy
	// by hand, in the state the crash leaves.
	dir2 := t.TempDir()
	plaintextStore(t, dir2)
	path2 := filepath.Join(dir2, DataDir)
	if err := encryptPlaintext(context.Background(), path2, Options{Small: true, MinFree: 1, Key: key}); err != nil {
		t.Fatal(err)
	}
	// Undo the last steps: the encrypted store back to the copy's name,
	// a plaintext beside it.
	os.Rename(path2, path2+encryptingSuffix)
	writeMarker(filepath.Join(path2+encryptingSuffix, encryptedMarker))
	os.MkdirAll(path2+plaintextSuffix, 0o700)
	if n := logged(t, dir2, key); n != 1 {
		t.Fatalf("after a crash between the renames: %d operations", n)
	}
	if _, err := os.Stat(path2 + plaintextSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("the plaintext was left behind")
	}
	// And the store refuses to open without its key, or with another.
	if _, err := Open(context.Background(), dir2, Options{Small: true, MinFree: 1}); !errors.Is(err, ErrNeedKey) {
		t.Fatalf("without a key: %v", err)
	}
	if _, err := Open(context.Background(), dir2, Options{Small: true, MinFree: 1, Key: bytes.Repeat([]byte{4}, 32)}); !errors.Is(err, ErrWrongKey) {
		t.Fatalf("another key: %v", err)
	}
}
