//go:build !linux

package blobstore

import (
	"errors"
	"os"
	"sync"
)

// syncFiles makes the files' content durable: their fsyncs at once.
func (d *Dir) syncFiles(files []*os.File) error {
	return syncAll(len(files), func(i int) error { return files[i].Sync() })
}

// syncDirs makes the renames into dirs durable: their fsyncs at once.
func (d *Dir) syncDirs(dirs []string) error {
	return syncAll(len(dirs), func(i int) error { return syncDir(dirs[i]) })
}

// syncAll runs n syncs at once (at most 16 at a time) and returns the
// first error.
func syncAll(n int, fn func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
