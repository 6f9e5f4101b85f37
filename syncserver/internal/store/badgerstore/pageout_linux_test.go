package badgerstore

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"golang.org/x/sys/unix"
)

func TestBadgerRange(t *testing.T) {
	prefix := []byte("/srv/kenesh/db/")
	for _, c := range []struct {
		line       string
		start, end uintptr
		ok         bool
	}{
		{"7f0000000000-7f0000400000 rw-s 00000000 fd:01 1234   /srv/kenesh/db/000001.vlog", 0x7f0000000000, 0x7f0000400000, true},
		{"7f1000000000-7f1000001000 r--s 00000000 fd:01 1235   /srv/kenesh/db/000042.sst", 0x7f1000000000, 0x7f1000001000, true},
		{"c000000000-c004000000 rw-s 00000000 fd:01 1236   /srv/kenesh/db/00007.mem", 0xc000000000, 0xc004000000, true},
		{"7f1000000000-7f1000001000 r--s 00000000 fd:01 1235   /srv/kenesh/db/000042.sst (deleted)", 0, 0, false},
		{"7f1000000000-7f1000001000 rw-s 00000000 fd:01 1237   /srv/kenesh/db/DISCARD", 0, 0, false},
		{"7f1000000000-7f1000001000 rw-s 00000000 fd:01 1238   /srv/other/db/000001.vlog", 0, 0, false},
		{"c000000000-c004000000 rw-p 00000000 00:00 0 ", 0, 0, false},
		{"00400000-02400000 r-xp 00000000 fd:01 99   /usr/bin/kenesh-syncserver", 0, 0, false},
		{"7f1000001000-7f1000000000 r--s 00000000 fd:01 1235   /srv/kenesh/db/000042.sst", 0, 0, false},
	} {
		start, end, ok := badgerRange([]byte(c.line), prefix)
		if start != c.start || end != c.end || ok != c.ok {
			t.Errorf("%q: %#x-%#x %v, want %#x-%#x %v", c.line, start, end, ok, c.start, c.end, c.ok)
		}
	}
}

// The pages of a file of Badger's kinds, written through a shared map and
// synced, leave the process's resident size when pageOutMaps goes over the
// maps; a file of another directory keeps them, and its bytes and the
// paged-out file's are as written.
func TestPageOutMaps(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	const size = 16 << 20
	mapFile := func(path string) []byte {
		b := mapShared(t, path, size)
		for i := range b {
			b[i] = byte(i % 251)
		}
		if err := unix.Msync(b, unix.MS_SYNC); err != nil {
			t.Fatal(err)
		}
		return b
	}
	ours, theirs := filepath.Join(dir, "000001.vlog"), filepath.Join(other, "000001.vlog")
	a, b := mapFile(ours), mapFile(theirs)
	if r := residentKiB(t, ours); r < size>>10/2 {
		t.Fatalf("before: %d KiB of %s resident, want the pages just written", r, ours)
	}
	maps, err := readMaps(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pageOutMaps(maps, []byte(dir+"/")); err != nil {
		t.Skipf("no MADV_PAGEOUT here: %v", err)
	}
	if r := residentKiB(t, ours); r > 64 {
		t.Errorf("after: %d KiB of %s resident, want its pages handed back", r, ours)
	}
	// pageOut sweeps by itself once the pages written again are more than
	// its slack.
	stop, done := make(chan struct{}), make(chan struct{})
	go func() { defer close(done); pageOut(dir, time.Millisecond, stop) }()
	for i := range a {
		a[i] = byte(i % 251)
	}
	if err := unix.Msync(a, unix.MS_SYNC); err != nil {
		t.Fatal(err)
	}
	// (Up to its slack of pages written after its last sweep may stay.)
	const most = pageOutSlack>>10 + 64
	for deadline := time.Now().Add(20 * time.Second); residentKiB(t, ours) > most && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	<-done
	if r := residentKiB(t, ours); r > most {
		t.Errorf("after pageOut: %d KiB of %s resident, want its pages handed back", r, ours)
	}
	if r := residentKiB(t, theirs); r < size>>10/2 {
		t.Errorf("after: %d KiB of %s resident, want its pages kept (not under the store's directory)", r, theirs)
	}
	for i, m := range [][]byte{a, b} {
		for j := range m {
			if m[j] != byte(j%251) {
				t.Fatalf("map %d, byte %d: %d, want %d", i, j, m[j], j%251)
			}
		}
	}
}

// Pages written while a sweep runs, after its pass over the maps and
// before it reads the resident size it leaves, count in that size; pageOut
// still hands them back, by the sweeps that follow one growth brought while
// they leave Badger's files resident (a CI run under load failed
// TestPageOutMaps when a sweep following writes was the last).
func TestPageOutSweepsWhatASweepMissed(t *testing.T) {
	dir := t.TempDir()
	const size = 16 << 20
	path := filepath.Join(dir, "000001.vlog")
	m := mapShared(t, path, size)
	// The first two sweeps each miss half of the file, written (and
	// synced) between their pass and their reading of the resident size.
	// The first sweep comes at once (nothing swept yet); the second, which
	// hands back the first half, pageOutTicks after it; after the second,
	// nothing grows.
	var sweeps atomic.Int32
	afterPass := func() {
		if n := int(sweeps.Load()); n < 2 {
			half := m[n*size/2 : (n+1)*size/2]
			for i := range half {
				half[i] = byte(i % 251)
			}
			if err := unix.Msync(half, unix.MS_SYNC); err != nil {
				t.Error(err)
			}
		}
		sweeps.Add(1)
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() { defer close(done); sweepPages(dir, time.Millisecond, stop, afterPass) }()
	const most = 64
	for deadline := time.Now().Add(20 * time.Second); (sweeps.Load() < 3 || residentKiB(t, path) > most) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	<-done
	if r := residentKiB(t, path); r > most {
		t.Errorf("after %d sweeps: %d KiB of %s resident, want the pages the sweeps missed handed back", sweeps.Load(), r, path)
	}
}

// mappedBytes counts the resident pages of the store's files' maps, and
// only those.
func TestMappedBytes(t *testing.T) {
	dir := t.TempDir()
	const size = 1 << 20
	var maps [][]byte
	for _, name := range []string{"000003.vlog", "000004.sst", "DISCARD"} {
		maps = append(maps, mapShared(t, filepath.Join(dir, name), size))
	}
	prefix := []byte(dir + "/")
	if b, err := mappedBytes(prefix); err != nil || b != 0 {
		t.Fatalf("mapped, nothing touched: %d bytes, %v; want 0", b, err)
	}
	page := os.Getpagesize()
	for i, n := range []int{size / 2, size / 4, size} { // .vlog, .sst, DISCARD (not Badger's kinds)
		for j := 0; j < n; j += page {
			maps[i][j] = 1
		}
	}
	if b, err := mappedBytes(prefix); err != nil || b != size/2+size/4 {
		t.Fatalf("touched: %d bytes, %v; want %d", b, err, size/2+size/4)
	}
	if b, err := mappedBytes([]byte(t.TempDir() + "/")); err != nil || b != 0 {
		t.Fatalf("another directory: %d bytes, %v; want 0", b, err)
	}
}

// mapShared maps size bytes of a new file at path, shared and writable,
// until the test ends.
func mapShared(t *testing.T, path string, size int) []byte {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(int64(size)); err != nil {
		t.Fatal(err)
	}
	b, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Munmap(b) })
	return b
}

// residentKiB is the Rss of path's mappings in /proc/self/smaps.
func residentKiB(t *testing.T, path string) int {
	t.Helper()
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Skip(err)
	}
	in, kib := false, 0
	for _, line := range strings.Split(string(smaps), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 5 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			in = len(f) == 6 && f[5] == path
		case in && len(f) == 3 && f[0] == "Rss:":
			n, _ := strconv.Atoi(f[1])
			kib += n
		}
	}
	return kib
}

// A store's own files leave the resident size too: after writes and a
// sweep, the pages of its value log, tables and write-ahead logs that the
// maps name are mostly handed back.
func TestStorePagesOut(t *testing.T) {
	dataDir := t.TempDir()
	st, err := Open(context.Background(), dataDir, Options{Small: true, MinFree: 1, PageOut: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	testPagesOut(t, st, filepath.Join(dataDir, DataDir)+"/")
}

// The store's own sweeps find its files by a path that is relative and
// goes through a link.
func TestStorePagesOutThroughLink(t *testing.T) {
	base := t.TempDir()
	if err := os.Mkdir(filepath.Join(base, "real"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(base, "link")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(base)
	st, err := Open(context.Background(), "link", Options{Small: true, MinFree: 1, PageOut: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	value := bytes.Repeat([]byte("kenesh "), 40<<10)
	for i := range 64 {
		if err := st.db.Update(func(x *badger.Txn) error { return x.Set([]byte(fmt.Sprintf("test/%03d", i)), value) }); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(base, "real", DataDir) + "/"
	resident := func() (kib int) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			kib += residentKiB(t, dir+e.Name())
		}
		return kib
	}
	for deadline := time.Now().Add(20 * time.Second); resident() > pageOutSlack>>10+1024 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if r := resident(); r > pageOutSlack>>10+1024 {
		t.Errorf("%d KiB of the store's files resident, want them handed back by its sweeps", r)
	}
}

func testPagesOut(t *testing.T, st *Store, dir string) {
	var err error
	if err != nil {
		t.Fatal(err)
	}
	value := bytes.Repeat([]byte("kenesh "), 40<<10) // 280 KiB: over Small's value threshold, into the value log
	for i := range 64 {
		if err := st.db.Update(func(x *badger.Txn) error { return x.Set([]byte(fmt.Sprintf("test/%03d", i)), value) }); err != nil {
			t.Fatal(err)
		}
	}
	resident := func() int {
		kib := 0
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			kib += residentKiB(t, dir+e.Name())
		}
		return kib
	}
	before := resident()
	if before < 4<<10 {
		t.Fatalf("before: %d KiB of the store's files resident, want the value log's 18 MiB written", before)
	}
	maps, err := readMaps(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pageOutMaps(maps, []byte(dir)); err != nil {
		t.Skipf("no MADV_PAGEOUT here: %v", err)
	}
	if after := resident(); after > before/4 {
		t.Errorf("after: %d KiB of the store's files resident, %d before: want most handed back", after, before)
	}
}
