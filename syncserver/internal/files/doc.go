// Package files is the sync server's side of the files endpoints: file
// chunks sealed in a blob store, accounted for their owners with quotas
// in the storage contract, and reached only through records a device may
// read.
package files
