package blobstore

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFiles makes the files' content durable: one syncfs(2) of the file
// system they are on, which writes everything dirty there and flushes
// the disk once, where an fsync each flushes it once each.
func (d *Dir) syncFiles(files []*os.File) error {
	if len(files) == 0 {
		return nil
	}
	return unix.Syncfs(int(files[0].Fd()))
}

// syncDirs makes the renames into dirs durable, as syncFiles does.
func (d *Dir) syncDirs(dirs []string) error {
	if len(dirs) == 0 {
		return nil
	}
	f, err := os.Open(d.blobs)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.Syncfs(int(f.Fd()))
}
