// Package blobstore is where the sync server keeps file chunks: a small
// contract (Store: opaque blobs under keys) with a local directory as the
// default engine (Dir) and an in-memory one for tests (Mem); an
// S3-compatible object store fits the same contract for deployments that
// outgrow one disk. Every engine passes the conformance suite in
// blobstoretest.
package blobstore
