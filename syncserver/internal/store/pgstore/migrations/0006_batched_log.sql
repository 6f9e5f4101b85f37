-- The batched log (issue 15): one row of the log per change set, where
-- 0001 kept one row per operation (three b-tree entries each). A row
-- holds consecutive operations of one device that go to one pull index:
-- server seqs first..last, gap-free, and the device's seqs
-- dlast-(last-first)..dlast, so every operation is still found by its
-- server seq (the row whose last is the first at or above it) and by its
-- (device, seq) (the device's row whose dlast is the first at or above
-- it), and every operation is kept. An Append writes one row per change
-- set it accepted (a change set's operations split into more rows only
-- where their device's seqs jump over a refused one or their pull index
-- changes, and after maxRowOps, 2,048, operations).
CREATE TABLE log (
	last   bigint PRIMARY KEY,     -- server seq of the row's last operation
	first  bigint NOT NULL,        -- of its first
	device text COLLATE "C" NOT NULL,
	dlast  bigint NOT NULL,        -- the device's seq of the last
	ix     text COLLATE "C" NOT NULL, -- as ops.ix was: a council, ':global' or ''
	ops    bytea[] NOT NULL,       -- changeset.Op each, storage encoding, in seq order
	UNIQUE (device, dlast)
);
CREATE INDEX log_pull ON log (ix, last) WHERE ix <> '';

-- A row of a large change set is some hundreds of kilobytes, kept out of
-- line (TOAST): compressed with lz4 where the server has it, which costs
-- a fraction of the default's (pglz) CPU.
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
		ALTER TABLE log ALTER COLUMN ops SET COMPRESSION lz4;
	END IF;
END
$$;

-- The rows of the old layout, converted: runs of consecutive operations of
-- one device and one index, cut every 2,048 (their change sets are not
-- known any more; a run of one device's pushes becomes one row per 2,048).
INSERT INTO log (last, first, device, dlast, ix, ops)
SELECT max(seq), min(seq), device, max(dseq), ix, array_agg(op ORDER BY seq)
FROM (
	SELECT seq, device, dseq, ix, op, start, (seq - start) / 2048 AS part
	FROM (
		-- start: the seq that began the operation's run (the running
		-- maximum of the seqs that break a run).
		SELECT seq, device, dseq, ix, op, max(CASE WHEN brk THEN seq END) OVER (ORDER BY seq) AS start
		FROM (
			SELECT seq, device, dseq, ix, op,
				coalesce(NOT (device = lag(device) OVER w AND ix = lag(ix) OVER w
					AND dseq = lag(dseq) OVER w + 1 AND seq = lag(seq) OVER w + 1), true) AS brk
			FROM ops WINDOW w AS (ORDER BY seq)
		) a
	) b
) c
GROUP BY start, part, device, ix;

DROP TABLE ops;
