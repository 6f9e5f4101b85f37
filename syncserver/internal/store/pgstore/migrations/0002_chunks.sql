-- The account of file chunks (store.Chunks, issue 14): which chunks each
-- owner (a council's code, or the materials' owner) holds, with their
-- sizes, and each owner's usage, whose row AddChunk locks so that chunks
-- added at once from any process never pass the quota together.
CREATE TABLE chunks (
	owner text COLLATE "C" NOT NULL,
	sum   bytea NOT NULL,          -- SHA-256 of the content
	size  bigint NOT NULL,
	PRIMARY KEY (owner, sum)
);
CREATE TABLE chunk_usage (
	owner  text COLLATE "C" PRIMARY KEY,
	chunks bigint NOT NULL,
	bytes  bigint NOT NULL
);
