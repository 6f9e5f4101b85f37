//go:build unix

package admin

import (
	"net"
	"syscall"
)

// listenPrivate listens on the Unix socket path under a umask that leaves
// the new file readable and writable by its owner only, so that the
// control socket is never, even for the moment between its creation and
// the chmod after it, open to other users of the machine.
func listenPrivate(path string) (net.Listener, error) {
	old := syscall.Umask(0o177)
	defer syscall.Umask(old)
	return net.Listen("unix", path)
}
