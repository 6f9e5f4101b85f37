//go:build unix

package diskspace

import "golang.org/x/sys/unix"

// FreeBytes is the space available to this user on dir's file system.
func FreeBytes(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}
