package blobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/kenesh/kenesh/internal/diskspace"
)

// DirOptions tune a Dir.
type DirOptions struct {
	// MinFree is the disk space (bytes) a Put leaves free; below it Put
	// fails with ErrDiskFull. It should be more than the reserve of the
	// server's database on the same disk, so that files fill up first and
	// the records keep their room. 0 means DefaultDirMinFree.
	MinFree uint64
}

// DefaultDirMinFree is twice the server store's default reserve
// (badgerstore.DefaultMinFree): files stop before the records would.
const DefaultDirMinFree = 512 << 20

// Dir keeps blobs as files in a local directory: the key is the path
// under root/blobs with blobSuffix added (a character no key has, so the
// file of key "a/b" never stands where the directory of key "a/b/c"
// must), each blob written to root/tmp first, synced, and renamed into
// place, so a crash never leaves a part of a blob under a key. Several
// processes may share a directory (servers on one PostgreSQL database):
// a Put is a rename, and what opening clears of root/tmp is only what is
// older than any Put takes.
type Dir struct {
	root    string
	blobs   string
	tmp     string
	minFree uint64
}

var _ Store = (*Dir)(nil)

// staleTmp is the age past which a file in root/tmp is what a crash left:
// no Put of at most MaxBlobBytes takes it.
const staleTmp = time.Hour

// blobSuffix ends the name of every blob's file.
const blobSuffix = "~"

// OpenDir opens (or makes) a directory store at root, readable only by
// its owner, and removes what an interrupted Put left in root/tmp.
func OpenDir(root string, o DirOptions) (*Dir, error) {
	d := &Dir{root: root, blobs: filepath.Join(root, "blobs"), tmp: filepath.Join(root, "tmp"), minFree: o.MinFree}
	if d.minFree == 0 {
		d.minFree = DefaultDirMinFree
	}
	for _, p := range []string{root, d.blobs, d.tmp} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			return nil, fmt.Errorf("open file store %s: %w", root, err)
		}
		// Files of appeals are personal data: the owner alone reads them,
		// also in a directory made before by someone else's umask.
		if err := os.Chmod(p, 0o700); err != nil {
			return nil, fmt.Errorf("open file store %s: %w", root, err)
		}
	}
	left, err := os.ReadDir(d.tmp)
	if err != nil {
		return nil, fmt.Errorf("open file store %s: %w", root, err)
	}
	for _, e := range left {
		// Another process's Put in flight is younger than this.
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > staleTmp {
			os.Remove(filepath.Join(d.tmp, e.Name()))
		}
	}
	return d, nil
}

func (d *Dir) path(key string) string {
	return filepath.Join(d.blobs, filepath.FromSlash(key)) + blobSuffix
}

func (d *Dir) Put(ctx context.Context, key string, data []byte) error {
	if err := checkPut(ctx, key, data); err != nil {
		return err
	}
	if err := diskspace.CheckSpace(d.root, d.minFree+uint64(len(data)), ErrDiskFull); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	f, err := os.CreateTemp(d.tmp, "put-")
	if err != nil {
		return fmt.Errorf("put %s: %w", key, classify(err))
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("put %s: %w", key, classify(err))
	}
	dst := d.path(key)
	if err := d.mkdirs(filepath.Dir(dst)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("put %s: %w", key, classify(err))
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("put %s: %w", key, classify(err))
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return fmt.Errorf("put %s: %w", key, classify(err))
	}
	return nil
}

// PutBatch implements Store: every blob is written to root/tmp first, as
// Put does, then they are synced together (syncFiles: on Linux one
// syncfs of the disk), renamed into place, and their directories synced
// together (syncDirs): a batch of blobs costs the disk about two syncs,
// where a Put each costs two each.
func (d *Dir) PutBatch(ctx context.Context, blobs []Blob) error {
	if err := checkBatch(ctx, blobs); err != nil {
		return err
	}
	if len(blobs) == 0 {
		return nil
	}
	var total uint64
	for _, b := range blobs {
		total += uint64(len(b.Data))
	}
	if err := diskspace.CheckSpace(d.root, d.minFree+total, ErrDiskFull); err != nil {
		return fmt.Errorf("put %d blobs: %w", len(blobs), err)
	}
	tmps := make([]string, 0, len(blobs))
	defer func() {
		for _, t := range tmps {
			os.Remove(t) // what was not renamed into place
		}
	}()
	files := make([]*os.File, 0, len(blobs))
	closeAll := func() error {
		var first error
		for _, f := range files {
			if err := f.Close(); err != nil && first == nil {
				first = err
			}
		}
		files = nil
		return first
	}
	defer closeAll()
	for _, b := range blobs {
		f, err := os.CreateTemp(d.tmp, "put-")
		if err != nil {
			return fmt.Errorf("put %s: %w", b.Key, classify(err))
		}
		files = append(files, f)
		tmps = append(tmps, f.Name())
		if _, err := f.Write(b.Data); err != nil {
			return fmt.Errorf("put %s: %w", b.Key, classify(err))
		}
	}
	if err := d.syncFiles(files); err != nil {
		return fmt.Errorf("put %d blobs: %w", len(blobs), classify(err))
	}
	if err := closeAll(); err != nil {
		return fmt.Errorf("put %d blobs: %w", len(blobs), classify(err))
	}
	dirs := map[string]bool{}
	for i, b := range blobs {
		dst := d.path(b.Key)
		if err := d.mkdirs(filepath.Dir(dst)); err != nil {
			return fmt.Errorf("put %s: %w", b.Key, classify(err))
		}
		if err := os.Rename(tmps[i], dst); err != nil {
			return fmt.Errorf("put %s: %w", b.Key, classify(err))
		}
		tmps[i] = ""
		dirs[filepath.Dir(dst)] = true
	}
	tmps = nil
	list := make([]string, 0, len(dirs))
	for dir := range dirs {
		list = append(list, dir)
	}
	if err := d.syncDirs(list); err != nil {
		return fmt.Errorf("put %d blobs: %w", len(blobs), classify(err))
	}
	return nil
}

// mkdirs makes dir and its missing parents under d.blobs, syncing the
// parent of each one made, so the blob's path survives a crash too.
func (d *Dir) mkdirs(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := d.mkdirs(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(filepath.Dir(dir))
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

func classify(err error) error { return diskspace.Classify(err, ErrDiskFull) }

func (d *Dir) Get(ctx context.Context, key string) ([]byte, error) {
	if err := checkKey(ctx, "get", key); err != nil {
		return nil, err
	}
	f, err := os.Open(d.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("get %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("get %s: %w", key, ErrNotFound)
	}
	if st.Size() > MaxBlobBytes {
		return nil, fmt.Errorf("get %s: %w (%d bytes on disk)", key, ErrTooLarge, st.Size())
	}
	b := make([]byte, st.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return b, nil
}

func (d *Dir) Stat(ctx context.Context, key string) (int64, error) {
	if err := checkKey(ctx, "stat", key); err != nil {
		return 0, err
	}
	st, err := os.Stat(d.path(key))
	if errors.Is(err, fs.ErrNotExist) || err == nil && !st.Mode().IsRegular() {
		return 0, fmt.Errorf("stat %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("stat %s: %w", key, err)
	}
	return st.Size(), nil
}

func (d *Dir) Delete(ctx context.Context, key string) error {
	if err := checkKey(ctx, "delete", key); err != nil {
		return err
	}
	if err := os.Remove(d.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}

func (d *Dir) List(ctx context.Context, prefix string, fn func(key string, size int64) error) error {
	// Walk the deepest directory every key with the prefix is under.
	start := d.blobs
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		if !ValidKey(prefix[:i]) {
			return nil // no key has it
		}
		start = filepath.Join(d.blobs, filepath.FromSlash(prefix[:i]))
	}
	type entry struct {
		key  string
		size int64
	}
	var all []entry
	err := filepath.WalkDir(start, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while walking, or no such directory
			}
			return err
		}
		if e.IsDir() {
			return ctx.Err()
		}
		rel, err := filepath.Rel(d.blobs, p)
		if err != nil {
			return err
		}
		key, ok := strings.CutSuffix(filepath.ToSlash(rel), blobSuffix)
		if !ok || !strings.HasPrefix(key, prefix) || !e.Type().IsRegular() {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		all = append(all, entry{key, info.Size()})
		return nil
	})
	if err != nil {
		return fmt.Errorf("list %s: %w", prefix, err)
	}
	// Bytewise key order: a directory walk puts "a/b" after "a-c".
	sort.Slice(all, func(i, j int) bool { return all[i].key < all[j].key })
	for _, e := range all {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(e.key, e.size); err != nil {
			return err
		}
	}
	return nil
}

func (d *Dir) Close() error { return nil }
