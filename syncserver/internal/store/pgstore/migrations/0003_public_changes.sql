-- Which appeals each version of the public projection put in, changed or
-- took off (store.PublicChangeReader): a process's register follows the
-- projection by reading those alone, where reading it whole (20,000
-- appeals decoded) takes a second.
--
-- Triggers keep them, not the server's code, so that a process of an
-- older release still serving while a newer one migrated (a rolling
-- upgrade) cannot change the projection unseen: every commit that changes
-- a row of public_appeals also moves log_state.public_n by one (pgstore's
-- flush), under the log's lock, so the version that commit makes is the
-- public_n its statements read, plus one.
--
-- log_state is altered first: the migration waits there for an append in
-- progress and then holds the next one at its lock, before it touches
-- public_appeals (the other order could deadlock with an append).
ALTER TABLE log_state ADD COLUMN public_changes_from bigint;
-- The first version whose changes are kept: the next one.
UPDATE log_state SET public_changes_from = public_n + 1;
ALTER TABLE log_state ALTER COLUMN public_changes_from SET NOT NULL;

CREATE TABLE public_changes (
	n  bigint NOT NULL,              -- the version whose commit changed it
	id text COLLATE "C" NOT NULL,    -- the appeal's record id
	PRIMARY KEY (n, id)
);

CREATE FUNCTION public_appeals_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO public_changes (n, id)
		SELECT s.public_n + 1, c.id FROM log_state s, changed c
		ON CONFLICT DO NOTHING;
	RETURN NULL;
END
$$;
-- One statement's rows at once (transition tables), whatever their number:
-- a projection built again writes every published appeal in one statement.
-- An upsert's rows left as they were (its WHERE) are in neither table.
CREATE TRIGGER public_appeals_inserted AFTER INSERT ON public_appeals
	REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION public_appeals_changed();
CREATE TRIGGER public_appeals_updated AFTER UPDATE ON public_appeals
	REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION public_appeals_changed();
CREATE TRIGGER public_appeals_deleted AFTER DELETE ON public_appeals
	REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION public_appeals_changed();
