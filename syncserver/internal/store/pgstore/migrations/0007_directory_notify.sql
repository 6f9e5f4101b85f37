-- Every write of a device or a token, whatever makes it (an enrollment, a
-- revocation, a restore, an operator's own SQL), notifies the channel
-- kenesh_directory once its transaction commits, with the tables' schema
-- as its payload (channels are the database's: another schema's
-- deployment, or test, may listen there too). Each server process
-- keeps the devices its laptops' tokens name in memory while it listens
-- there, and forgets them all at each notification (pgstore's
-- tokencache.go): a revocation made through any process reaches every
-- other within the notification's delivery.
CREATE FUNCTION kenesh_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('kenesh_directory', TG_TABLE_SCHEMA);
	RETURN NULL;
END
$$;

CREATE TRIGGER devices_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON devices
	FOR EACH STATEMENT EXECUTE FUNCTION kenesh_directory_changed();
CREATE TRIGGER tokens_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tokens
	FOR EACH STATEMENT EXECUTE FUNCTION kenesh_directory_changed();
