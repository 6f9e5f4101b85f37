-- Competitions whose winners are published (issue 17), in the public
-- projection beside the appeals and councils: store.PublicCompetition,
-- what domain.Competition.Public allows.
CREATE TABLE public_competitions (
	id          text COLLATE "C" PRIMARY KEY,
	competition bytea NOT NULL     -- store.PublicCompetition, JSON
);
