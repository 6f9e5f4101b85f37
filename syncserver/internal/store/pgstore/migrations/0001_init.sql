-- The sync server's storage contract on PostgreSQL (package store), schema
-- version 1. Names (device ids, kinds, record ids, councils) follow the
-- protocol's rule (syncproto.ValidName) and are compared byte by byte
-- (COLLATE "C"), as the embedded engine's keys are. Unsigned 64-bit values
-- (clocks) are kept in bigint as their two's complement. JSON is kept as
-- bytea, byte for byte (jsonb refuses a \u0000 that a text may hold), and
-- so is what a refused operation carried, which may be anything.

-- The server's identity and secrets, made at the first start.
CREATE TABLE meta (
	name  text COLLATE "C" PRIMARY KEY,
	value text NOT NULL
);

-- One row, locked (SELECT ... FOR UPDATE) by every Append from its start
-- to its commit: appends are one at a time across every server process, so
-- server sequence numbers are committed in order and a pull never passes
-- one that could still appear (see the package doc).
CREATE TABLE log_state (
	one         boolean PRIMARY KEY DEFAULT true CHECK (one),
	head        bigint NOT NULL,     -- the last server sequence number given
	clock       bigint NOT NULL,     -- the newest timestamp of the server's own operations
	public_n    bigint NOT NULL,     -- the public projection's version
	public_at   timestamptz,         -- when it last moved
	public_rule integer NOT NULL     -- the rule the projection was built by
);
INSERT INTO log_state (head, clock, public_n, public_rule) VALUES (0, 0, 0, 0);

-- The directory.
CREATE TABLE devices (
	id          text COLLATE "C" PRIMARY KEY,
	name        text NOT NULL,
	device_name text NOT NULL DEFAULT '',
	council     text COLLATE "C" NOT NULL DEFAULT '',
	role        text NOT NULL,
	enrolled    timestamptz NOT NULL,
	revoked     boolean NOT NULL DEFAULT false,
	revoked_at  timestamptz,
	token_hash  bytea
);
CREATE TABLE tokens (
	hash   bytea PRIMARY KEY,      -- SHA-256 of the token
	device text COLLATE "C" NOT NULL
);
CREATE TABLE codes (
	hash    bytea PRIMARY KEY,     -- SHA-256 of the enrollment code
	device  text COLLATE "C" NOT NULL DEFAULT '',
	council text COLLATE "C" NOT NULL DEFAULT '',
	role    text NOT NULL,
	name    text NOT NULL,
	created timestamptz NOT NULL,
	expires timestamptz NOT NULL,
	used_by text COLLATE "C" NOT NULL DEFAULT '',
	used_at timestamptz
);
-- When devices last synced (written in batches, apart from the devices so
-- that it never conflicts with enrollment or revocation).
CREATE TABLE seen (
	device text COLLATE "C" PRIMARY KEY,
	at     timestamptz NOT NULL
);

-- The operation log: every accepted operation under its server sequence
-- number, and its judgement by (device, dseq). ix says who pulls it: a
-- council's code, ':global' (every device), or '' (central staff only).
CREATE TABLE ops (
	seq    bigint PRIMARY KEY,
	device text COLLATE "C" NOT NULL,
	dseq   bigint NOT NULL,
	hlc    bigint NOT NULL,
	kind   text COLLATE "C" NOT NULL,
	record text COLLATE "C" NOT NULL,
	ix     text COLLATE "C" NOT NULL,
	op     bytea NOT NULL,         -- changeset.Op, storage encoding
	UNIQUE (device, dseq)
);
CREATE INDEX ops_pull ON ops (ix, seq) WHERE ix <> '';

-- Refused operations: their judgement, and the operation as it came.
CREATE TABLE refusals (
	device  text COLLATE "C" NOT NULL,
	seq     bigint NOT NULL,
	hlc     bigint NOT NULL,
	kind    bytea NOT NULL,
	record  bytea NOT NULL,
	code    bytea NOT NULL,
	message bytea NOT NULL,
	op      bytea,                 -- the wire JSON, byte for byte
	at      timestamptz NOT NULL,
	PRIMARY KEY (device, seq)
);

-- The highest seq of each device judged, accepted or refused.
CREATE TABLE acked (
	device text COLLATE "C" PRIMARY KEY,
	seq    bigint NOT NULL
);

-- Record states and the conflicts the merge kept.
CREATE TABLE states (
	kind  text COLLATE "C" NOT NULL,
	id    text COLLATE "C" NOT NULL,
	state bytea NOT NULL,          -- changeset.State, storage encoding
	PRIMARY KEY (kind, id)
);
CREATE TABLE conflicts (
	kind     text COLLATE "C" NOT NULL,
	record   text COLLATE "C" NOT NULL,
	field    text COLLATE "C" NOT NULL,
	hlc      bigint NOT NULL,      -- the loser's
	device   text COLLATE "C" NOT NULL,
	conflict bytea NOT NULL,       -- changeset.Conflict, JSON
	PRIMARY KEY (kind, record, field, hlc, device)
);

-- The public projection, written in the Append that makes it.
CREATE TABLE public_appeals (
	id     text COLLATE "C" PRIMARY KEY,
	appeal bytea NOT NULL          -- store.PublicAppeal, JSON
);
CREATE TABLE public_councils (
	code    text COLLATE "C" PRIMARY KEY,
	council bytea NOT NULL         -- store.PublicCouncil, JSON
);
CREATE TABLE trackings (
	submission text COLLATE "C" PRIMARY KEY,
	council    text COLLATE "C" NOT NULL,
	status     text NOT NULL,
	appeal     text COLLATE "C" NOT NULL,
	tracking   bytea NOT NULL      -- store.Tracking, JSON
);
CREATE INDEX trackings_appeal ON trackings (appeal) WHERE appeal <> '';
CREATE INDEX trackings_waiting ON trackings (council) WHERE status = 'waiting';
CREATE TABLE tracking_codes (
	hash       bytea PRIMARY KEY,  -- SHA-256 of the tracking code
	submission text COLLATE "C" NOT NULL
);
