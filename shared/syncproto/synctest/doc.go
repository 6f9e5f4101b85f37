// Package synctest is an in-process fake sync server and the protocol
// conformance suite that it and the real server both pass.
package synctest
