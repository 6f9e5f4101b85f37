// Package blobstoretest is the conformance suite every engine of the
// blob store contract passes (after restic's backend tests).
package blobstoretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/kenesh/kenesh/syncserver/internal/blobstore"
)

// Run runs the suite against stores newStore makes, a new empty one per
// test.
func Run(t *testing.T, newStore func(t *testing.T) blobstore.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s blobstore.Store)
	}{
		{"PutGet", testPutGet},
		{"PutBatch", testPutBatch},
		{"Replace", testReplace},
		{"NotFound", testNotFound},
		{"Delete", testDelete},
		{"List", testList},
		{"Keys", testKeys},
		{"Limits", testLimits},
		{"Concurrent", testConcurrent},
		{"Cancelled", testCancelled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

var ctx = context.Background()

func put(t *testing.T, s blobstore.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(ctx, key, data); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

// What is put is got back, byte for byte, with its size; the caller's
// slice is not kept.
func testPutGet(t *testing.T, s blobstore.Store) {
	data := []byte("Ат-Башы: ң ө ү\x00\xff")
	put(t, s, "chunks/ab/abcdef", data)
	put(t, s, "empty", nil)
	data[0] = 'X'
	got, err := s.Get(ctx, "chunks/ab/abcdef")
	if err != nil || string(got) != "Ат-Башы: ң ө ү\x00\xff" {
		t.Fatalf("get: %q %v", got, err)
	}
	got[0] = 'Y' // the store's copy is not the caller's either
	if again, _ := s.Get(ctx, "chunks/ab/abcdef"); again[0] == 'Y' {
		t.Error("Get gave out the store's own slice")
	}
	if n, err := s.Stat(ctx, "chunks/ab/abcdef"); err != nil || n != int64(len(data)) {
		t.Errorf("stat: %d %v", n, err)
	}
	if got, err := s.Get(ctx, "empty"); err != nil || len(got) != 0 {
		t.Errorf("an empty blob: %q %v", got, err)
	}
	big := bytes.Repeat([]byte{7}, blobstore.MaxBlobBytes)
	put(t, s, "big", big)
	if got, err := s.Get(ctx, "big"); err != nil || !bytes.Equal(got, big) {
		t.Errorf("a blob of the largest size: %v", err)
	}
}

// A blob put again under its key replaces the old one whole.
func testReplace(t *testing.T, s blobstore.Store) {
	put(t, s, "k", []byte("first, longer"))
	put(t, s, "k", []byte("second"))
	put(t, s, "k", []byte("second"))
	if got, _ := s.Get(ctx, "k"); string(got) != "second" {
		t.Errorf("got %q", got)
	}
}

func testNotFound(t *testing.T, s blobstore.Store) {
	if _, err := s.Get(ctx, "no/such"); !errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("get: %v", err)
	}
	if _, err := s.Stat(ctx, "no/such"); !errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("stat: %v", err)
	}
	put(t, s, "a/b", []byte("x"))
	if _, err := s.Get(ctx, "a"); !errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("a key that is only a prefix of another: %v", err)
	}
}

func testDelete(t *testing.T, s blobstore.Store) {
	put(t, s, "d/1", []byte("x"))
	if err := s.Delete(ctx, "d/1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "d/1"); !errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
	if err := s.Delete(ctx, "d/1"); err != nil {
		t.Errorf("deleting again: %v", err)
	}
}

// List gives every key under a prefix, in bytewise order, with sizes.
func testList(t *testing.T, s blobstore.Store) {
	keys := []string{"a-c", "a/b", "a/b/c", "a/bb", "ab", "b", "chunks/00/x", "chunks/0a/y", "owners/NRN-ATB/1", "owners/NRN-ATBX/2"}
	for i, k := range slices.Backward(keys) {
		_ = i
		put(t, s, k, bytes.Repeat([]byte{1}, len(k)))
	}
	list := func(prefix string) []string {
		var out []string
		err := s.List(ctx, prefix, func(k string, n int64) error {
			if n != int64(len(k)) {
				t.Errorf("%s: size %d, want %d", k, n, len(k))
			}
			out = append(out, k)
			return nil
		})
		if err != nil {
			t.Fatalf("list %q: %v", prefix, err)
		}
		return out
	}
	for _, c := range []struct {
		prefix string
		want   []string
	}{
		{"", keys},
		{"a", []string{"a-c", "a/b", "a/b/c", "a/bb", "ab"}},
		{"a/", []string{"a/b", "a/b/c", "a/bb"}},
		{"a/b", []string{"a/b", "a/b/c", "a/bb"}},
		{"chunks/0", []string{"chunks/00/x", "chunks/0a/y"}},
		{"owners/NRN-ATB/", []string{"owners/NRN-ATB/1"}},
		{"zz", nil},
		{"no/such/dir/", nil},
	} {
		if got := list(c.prefix); !slices.Equal(got, c.want) {
			t.Errorf("list %q: %v, want %v", c.prefix, got, c.want)
		}
	}
	stop := errors.New("stop")
	n := 0
	err := s.List(ctx, "", func(string, int64) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("an error of fn: %v after %d", err, n)
	}
}

// Keys every engine can name a file or object by, and nothing else.
func testKeys(t *testing.T, s blobstore.Store) {
	for _, bad := range []string{"", "/a", "a/", "a//b", "../a", "a/../b", ".", "a/./b", "a b", "a:b", "a\\b", "ключ", "a\x00b", string(bytes.Repeat([]byte{'a'}, blobstore.MaxKeyBytes+1))} {
		if err := s.Put(ctx, bad, []byte("x")); !errors.Is(err, blobstore.ErrInvalidKey) {
			t.Errorf("put %q: %v", bad, err)
		}
		if _, err := s.Get(ctx, bad); !errors.Is(err, blobstore.ErrInvalidKey) {
			t.Errorf("get %q: %v", bad, err)
		}
	}
	put(t, s, "A-z_0.9/x", []byte("x"))
}

func testLimits(t *testing.T, s blobstore.Store) {
	if err := s.Put(ctx, "big", make([]byte, blobstore.MaxBlobBytes+1)); !errors.Is(err, blobstore.ErrTooLarge) {
		t.Errorf("a blob over the limit: %v", err)
	}
	if _, err := s.Get(ctx, "big"); !errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("a refused blob was kept: %v", err)
	}
}

// Many writers and readers at once, on the same keys and on others: every
// blob read is one that was put, whole.
func testConcurrent(t *testing.T, s blobstore.Store) {
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				shared := bytes.Repeat([]byte{byte(i % 2)}, 100_000+i%2)
				if err := s.Put(ctx, "shared", shared); err != nil {
					t.Error(err)
					return
				}
				own := fmt.Sprintf("own/%d/%d", w, i)
				if err := s.Put(ctx, own, []byte(own)); err != nil {
					t.Error(err)
					return
				}
				got, err := s.Get(ctx, "shared")
				if err != nil || (len(got) != 100_000 && len(got) != 100_001) || !bytes.Equal(got, bytes.Repeat(got[:1], len(got))) {
					t.Errorf("a blob read while others were put is not one that was put (%d bytes, %v)", len(got), err)
					return
				}
			}
		}()
	}
	wg.Wait()
	n := 0
	s.List(ctx, "own/", func(string, int64) error { n++; return nil })
	if n != 8*20 {
		t.Errorf("%d blobs listed, %d put", n, 8*20)
	}
}

func testCancelled(t *testing.T, s blobstore.Store) {
	c, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Put(c, "k", []byte("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("put: %v", err)
	}
	if _, err := s.Get(ctx, "k"); !errors.Is(err, blobstore.ErrNotFound) {
		t.Errorf("a cancelled put was made: %v", err)
	}
}

// A batch: every blob there whole, one there replaced; the caller's
// slices not kept; a bad key or a blob too large refuses the batch
// before anything of it is written.
func testPutBatch(t *testing.T, s blobstore.Store) {
	put(t, s, "chunks/01/replaced", []byte("old"))
	var blobs []blobstore.Blob
	for i := range 40 {
		blobs = append(blobs, blobstore.Blob{Key: fmt.Sprintf("chunks/%02x/blob-%d", i%7, i), Data: bytes.Repeat([]byte{byte(i)}, 100+i)})
	}
	blobs = append(blobs, blobstore.Blob{Key: "chunks/01/replaced", Data: []byte("new")})
	if err := s.PutBatch(ctx, blobs); err != nil {
		t.Fatal(err)
	}
	blobs[0].Data[0] = 0xff
	for i, b := range blobs {
		got, err := s.Get(ctx, b.Key)
		want := b.Data
		if i == 0 {
			want = bytes.Repeat([]byte{0}, 100)
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %q %v", b.Key, got, err)
		}
	}
	if err := s.PutBatch(ctx, nil); err != nil {
		t.Errorf("an empty batch: %v", err)
	}
	for _, bad := range [][]blobstore.Blob{
		{{Key: "chunks/02/fine", Data: []byte("x")}, {Key: "../escape", Data: []byte("x")}},
		{{Key: "chunks/02/fine", Data: []byte("x")}, {Key: "chunks/02/big", Data: make([]byte, blobstore.MaxBlobBytes+1)}},
	} {
		if err := s.PutBatch(ctx, bad); err == nil {
			t.Errorf("a batch with %s was taken", bad[1].Key)
		}
		if _, err := s.Stat(ctx, "chunks/02/fine"); !errors.Is(err, blobstore.ErrNotFound) {
			t.Errorf("a refused batch wrote a blob: %v", err)
		}
	}
}
