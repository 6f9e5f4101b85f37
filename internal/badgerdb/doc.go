// Package badgerdb is the Badger plumbing the laptop's and the server's
// stores share: opening safely after a crash, logging through slog, and
// telling a full disk or a locked directory from other failures.
package badgerdb
