//go:build !unix

package admin

import "net"

// listenPrivate listens on the Unix socket path as it is: there is no
// umask on Windows. The socket file inherits the access control list of
// the data directory that holds it, so it is as private as that directory;
// an operator running the server on Windows keeps the data directory to
// the service's account.
func listenPrivate(path string) (net.Listener, error) {
	return net.Listen("unix", path)
}
