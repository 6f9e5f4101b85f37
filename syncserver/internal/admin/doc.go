// Package admin is what an administrator does to a server (councils,
// enrollment codes, devices, backups), on an open store or, while the
// server runs, through its control socket.
package admin
