// Package syncclient speaks the sync protocol (package syncproto) to one
// server over HTTP: the one client of the laptop, syncbench and the
// server's tests.
package syncclient
