package store

import "context"

// DirectoryCatcher is an optional extra of a Store, found by type
// assertion: an engine of several server processes that keeps
// DeviceByToken's answers in each process's memory, forgotten when
// another process's write of a device or a token is notified to it
// (pgstore), so that such a write is seen there within the notification's
// delivery rather than at once. CatchUpDirectory returns once every write
// of the directory committed, by any process, before it was called has
// been seen by this process. Tests call it between a write through one
// process and a read through another; the server never needs to.
type DirectoryCatcher interface {
	CatchUpDirectory(ctx context.Context) error
}
