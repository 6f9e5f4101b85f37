-- Releasing the chunks no record names (issue 14; store.Chunks says the
-- rule): an owner's hold is condemned first (condemned: since when; not
-- held for HeldChunks), and released by a later sweep; a chunk's blob
-- has a generation, moved on and marked dying when it is given up, whose
-- row AddChunk and ReleaseChunks lock so that a chunk is never added for
-- a blob being deleted.
ALTER TABLE chunks ADD COLUMN condemned timestamptz;
CREATE INDEX chunks_sum ON chunks (sum);
CREATE TABLE chunk_blobs (
	sum   bytea PRIMARY KEY,
	gen   bigint NOT NULL DEFAULT 0,
	dying timestamptz
);
