//go:build unix

package admin

import "syscall"

// withPrivateUmask runs listen with a umask that leaves a new file readable
// and writable by its owner only, so that the control socket is never, even
// for the moment between its creation and the chmod after it, open to other
// users of the machine.
func withPrivateUmask[T any](listen func() (T, error)) (T, error) {
	old := syscall.Umask(0o177)
	defer syscall.Umask(old)
	return listen()
}
