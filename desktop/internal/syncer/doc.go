// Package syncer sends this laptop's operations to the sync server and
// applies what the server sends back: one sync at a time on demand, or a
// background loop that syncs soon after a save, periodically, and when the
// network comes back, backing off while it is down.
package syncer
