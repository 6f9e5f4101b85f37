package badgerstore

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// pageOut asks the kernel, every interval until stop closes, to take back
// the pages of the store's files that Badger maps: its tables (.sst), value
// log (.vlog) and memtables' write-ahead logs (.mem). Badger writes all
// three by copying into shared memory maps of the files and keeps them
// mapped, so every page it writes stays in the process's resident size
// until the kernel runs short of memory: about 165 MiB of the server's
// peak RSS during a push of 100,000 records, against the 300 MB
// for the whole server (BENCHMARKS.md, mem4). Those pages are the kernel's
// file cache, not the server's memory; leaving them counted against the
// server made an honest push look like a leak and would make a container's
// or an OOM killer's view of it the same.
//
// It reads the ranges from /proc/self/maps, since Badger does not expose
// its maps, and calls madvise(MADV_PAGEOUT) on each. A range can be
// unmapped (a compaction deleting a table) and the address reused by other
// memory between the read and the call; MADV_PAGEOUT never changes a byte
// (unlike MADV_DONTNEED, which zeroes anonymous memory): the kernel reclaims
// the clean pages of a file mapping, skips dirty ones (Badger syncs every
// table, value log write and write-ahead log write, so they are clean soon
// after) and swaps anonymous ones out only if there is swap, whence they
// come back when touched. A page reclaimed is read from the disk again if
// Badger reads it: a compaction reading a level-0 table, a pull reading the
// log's batches; its blocks and indexes are cached (block and index
// caches) apart from the maps. A kernel without MADV_PAGEOUT (before Linux
// 5.4) answers EINVAL: then it stops.
func pageOut(dir string, interval time.Duration, stop <-chan struct{}) {
	sweepPages(dir, interval, stop, nil)
}

// sweepPages is pageOut with a hook for tests: afterPass, if not nil, runs
// between a sweep's pass over the maps and its reading of the resident
// size it leaves.
func sweepPages(dir string, interval time.Duration, stop <-chan struct{}, afterPass func()) {
	prefix := []byte(strings.TrimSuffix(dir, "/") + "/")
	t := time.NewTicker(interval)
	defer t.Stop()
	var buf []byte
	// The file-backed resident bytes after the last sweep, the ticks since
	// it, and whether it came after pages were written.
	swept, ticks, again := uint64(0), 0, false
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		ticks++
		// A sweep reads the maps and walks every range Badger maps; the
		// process's file-backed resident size, one line of statm, says
		// whether there is anything to sweep: more pages than the slack
		// written since the last sweep. Pages written while a sweep runs,
		// after it passed them and before it reads the resident size it
		// leaves (the goroutine descheduled on a loaded machine), count in
		// that size, so growth alone would never bring a sweep for them.
		// A sweep that growth brought is followed by another pageOutTicks
		// later, and that one by another while it leaves more than
		// pageOutSettled of Badger's files resident: smaps says how much,
		// but reading it walks the whole process (~12 ms with a 400 MB
		// heap), too dear for every sweep of a push, cheap once writes
		// have paused. An idle server does not sweep.
		res, err := fileResident()
		grew := err != nil || res >= swept+pageOutSlack
		if !grew && !(again && ticks >= pageOutTicks) {
			continue
		}
		if buf, err = readMaps(buf[:0]); err != nil {
			return
		}
		if errors.Is(pageOutMaps(buf, prefix), unix.EINVAL) {
			return
		}
		if afterPass != nil {
			afterPass()
		}
		swept, _ = fileResident()
		ticks, again = 0, grew
		if !grew {
			left, err := mappedBytes(prefix)
			again = err != nil || left >= pageOutSettled
		}
	}
}

// pageOutTicks is how many intervals after a sweep that growth brought, or
// one that left pages, pageOut sweeps again (2 s at DefaultPageOut).
const pageOutTicks = 8

// pageOutSlack is how far the process's file-backed resident size may grow
// past what it was after the last sweep before pageOut sweeps again.
const pageOutSlack = 4 << 20

// pageOutSettled is how much of Badger's files a sweep may leave resident
// without another following it.
const pageOutSettled = 256 << 10

// fileResident is the process's resident pages that map files or shared
// memory (the third field of /proc/self/statm), in bytes.
func fileResident() (uint64, error) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return 0, fmt.Errorf("/proc/self/statm: %q", b)
	}
	pages, err := strconv.ParseUint(f[2], 10, 64)
	return pages * uint64(os.Getpagesize()), err
}

// mappedBytes is the resident bytes of the ranges of /proc/self/smaps that
// map a file under prefix of Badger's kinds.
func mappedBytes(prefix []byte) (uint64, error) {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var kib uint64
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		// A range's header starts with its addresses ("7f..-7f.. rw-s
		// ... path"), its fields with a name and a colon ("Rss:  12 kB").
		name, rest, _ := bytes.Cut(line, []byte(" "))
		if !bytes.HasSuffix(name, []byte(":")) {
			_, _, in = badgerRange(line, prefix)
			continue
		}
		if !in || !bytes.Equal(name, []byte("Rss:")) {
			continue
		}
		n, err := strconv.ParseUint(string(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte(" kB"))), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/self/smaps: %q: %w", line, err)
		}
		kib += n
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("/proc/self/smaps: %w", err)
	}
	return kib << 10, nil
}

// readMaps appends /proc/self/maps to buf.
func readMaps(buf []byte) ([]byte, error) {
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return buf, err
	}
	defer f.Close()
	w := bytes.NewBuffer(buf)
	_, err = w.ReadFrom(f)
	return w.Bytes(), err
}

// pageOutMaps calls madvise(MADV_PAGEOUT) on each range of maps (the text
// of /proc/self/maps) that maps a file under prefix of Badger's: its error
// is EINVAL if the kernel does not know the advice.
func pageOutMaps(maps, prefix []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		start, end, ok := badgerRange(sc.Bytes(), prefix)
		if !ok {
			continue
		}
		_, _, errno := unix.Syscall(unix.SYS_MADVISE, start, end-start, unix.MADV_PAGEOUT)
		if errno == unix.EINVAL {
			return errno
		}
		// ENOMEM: the range is no longer mapped; the next pass reads the
		// maps again.
	}
	return nil
}

// badgerRange reads one line of /proc/self/maps ("start-end perms offset
// dev inode path"): the range, if it maps a table, value log or
// write-ahead log under prefix.
func badgerRange(line, prefix []byte) (start, end uintptr, ok bool) {
	i := bytes.Index(line, prefix)
	if i < 0 {
		return 0, 0, false
	}
	path := line[i:]
	if !bytes.HasSuffix(path, []byte(".sst")) && !bytes.HasSuffix(path, []byte(".vlog")) && !bytes.HasSuffix(path, []byte(".mem")) {
		return 0, 0, false
	}
	addr, _, _ := bytes.Cut(line, []byte(" "))
	lo, hi, found := bytes.Cut(addr, []byte("-"))
	if !found {
		return 0, 0, false
	}
	a, err1 := strconv.ParseUint(string(lo), 16, 64)
	b, err2 := strconv.ParseUint(string(hi), 16, 64)
	if err1 != nil || err2 != nil || b <= a {
		return 0, 0, false
	}
	return uintptr(a), uintptr(b), true
}
