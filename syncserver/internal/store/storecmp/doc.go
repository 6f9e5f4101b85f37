// Package storecmp compares two of the server's stores through the storage
// contract alone, whatever their engines: what kenesh-syncserver migrate
// checks before it says a deployment moved with nothing lost.
package storecmp
