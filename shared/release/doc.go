// Package release is what an update of the Kenesh app is on its way from
// the people who build it to a laptop: a manifest of one file (its
// release, platform, size and SHA-256) signed with Ed25519 offline, by a
// key that never lives on the server, and checked by the laptop against
// the keys built into it.
package release
