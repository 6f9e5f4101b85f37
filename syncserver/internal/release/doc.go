// Package release keeps the app releases an administrator published on
// the sync server, each file with its offline signature, and serves the
// newest for each platform to laptops, in byte ranges.
package release
