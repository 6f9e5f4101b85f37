// Package update fetches a newer release of Kenesh from the sync server in
// the background, a piece at a time so that a cut link loses at most a
// piece, checks it against the release keys built into this program, and
// keeps it ready for "restart to update"; a release that does not verify
// changes nothing.
package update
