package ingest

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// PublicRule is the version of the rule by which the public projection is
// made from the records (below, and domain.Appeal.Public and InRegister).
// Raise it whenever that rule changes: a server whose store was projected
// by an older rule projects every record again when it opens (Project),
// so an appeal the new rule hides leaves the register at once.
//
//	1  2026-12: published appeals (domain.PublicAppeal), councils, tracking of web submissions
//	2  2026-12: competitions whose winners are published (domain.PublicCompetition)
const PublicRule = 2

// The public projection: what the public register, the open data, the
// public form and the tracking pages read, and all they read. It is made
// here, from the merged states, in the Append that accepted the
// operations that changed them, and only from an allow-list:
//
//   - an appeal: only while domain.Appeal.InRegister holds (central staff
//     published it, the council marked it ready, its status may be
//     published, it is not deleted), only domain.Appeal.Public (no
//     contacts, address, PIN, village, internal text, note, consultation
//     or file; the name only with recorded consent), plus its answer's
//     legal deadline; otherwise it is taken off;
//   - a council: its code, name, oblast and district (public bodies);
//   - a competition: only while domain.Competition.Public allows it
//     (published by central staff, every category's ranking complete,
//     not deleted), only its title, audience, day of publication and
//     each category's winners (place, title, author, link): never the
//     jury, the scores, the conflicts of interest or the other entries;
//   - a web submission: its tracking (store.Tracking: council, the days
//     it was received and handled, its status, and the number, status and
//     days of the appeal it became), never what the citizen wrote.
//
// Unpublishing, a status that may not be published, or a deletion takes
// an appeal off in the same commit as the operation that did it.

// projectAll projects the states an Append wrote. It runs after every
// state is put, so a web submission pushed with the appeal it became sees
// that appeal as the same push left it, in whichever order they came.
// fresh are the records whose state the store did not hold before this
// Append.
func (g *Ingester) projectAll(w store.LogTx, states []*changeset.State, fresh map[store.RecordKey]bool) error {
	for _, st := range states {
		if err := g.project(w, st, fresh[store.RecordKey{Kind: st.Kind, ID: st.ID}]); err != nil {
			return fmt.Errorf("public projection of %s %s: %w", st.Kind, st.ID, err)
		}
	}
	return nil
}

// project makes the projection of one record's state; fresh says the
// store held no state of the record before this Append.
func (g *Ingester) project(w store.LogTx, st *changeset.State, fresh bool) error {
	switch st.Kind {
	case domain.KindAppeal:
		return g.projectAppeal(w, st, fresh)
	case domain.KindCouncil:
		return projectCouncil(w, st)
	case domain.KindCompetition:
		return projectCompetition(w, st)
	case domain.KindSubmission:
		return g.projectSubmission(w, st)
	}
	return nil
}

func (g *Ingester) projectAppeal(w store.LogTx, st *changeset.State, fresh bool) error {
	published := fieldIs(st, "published", "true")
	var had *store.PublicAppeal
	// An appeal's public copy is made only from its state (here), and a
	// state is never deleted: an appeal new to the store has none. (Its
	// trackings are looked for all the same: a web submission can name
	// the appeal it became before that appeal's push arrives.)
	if _, ever := st.Fields["published"]; !published && !fresh && ever {
		// An appeal published once and no longer: its public copy, if
		// it has one, goes. One whose "published" was never written (a
		// field stays in a state once written) never had a copy, made
		// only while it was published (here and Project), so the
		// projection is not read for it: nearly every appeal of a push
		// that rewrites states again and again (the spread backlog).
		var err error
		if had, err = w.PublicAppeal(st.ID); err != nil {
			return err
		}
	}
	tracks, err := w.TrackingsOfAppeal(st.ID)
	if err != nil {
		return err
	}
	if !published && had == nil && len(tracks) == 0 {
		return nil
	}
	a := g.appealOf(st)
	if a != nil && a.InRegister() {
		if err := w.PutPublicAppeal(&store.PublicAppeal{ID: st.ID, PublicAppeal: a.Public()}); err != nil {
			return err
		}
	} else if published || had != nil {
		if err := w.DeletePublicAppeal(st.ID); err != nil {
			return err
		}
	}
	for _, t := range tracks {
		if t.Council != st.Council {
			continue // never another council's appeal (see projectSubmission)
		}
		follow(t, a)
		if err := w.PutTracking(t); err != nil {
			return err
		}
	}
	return nil
}

func projectCouncil(w store.LogTx, st *changeset.State) error {
	if st.Deleted() {
		return w.DeletePublicCouncil(st.ID)
	}
	var c domain.Council
	if err := (changeset.Schema{}).FromFields(st.Values(), &c); err != nil {
		// A council the merge accepted always decodes (ingest checks it);
		// one that does not is not offered to the public.
		return w.DeletePublicCouncil(st.ID)
	}
	return w.PutPublicCouncil(&store.PublicCouncil{Code: st.ID, Name: c.Name, Oblast: c.Oblast, District: c.District})
}

func projectCompetition(w store.LogTx, st *changeset.State) error {
	var c domain.Competition
	if err := (changeset.Schema{Collections: domain.CompetitionCollections}).FromFields(st.Values(), &c); err != nil {
		// A competition that does not decode shows nothing.
		return w.DeletePublicCompetition(st.ID)
	}
	if st.Deleted() {
		c.Meta = &domain.Meta{Deleted: true}
	}
	p, ok := c.Public()
	if !ok {
		return w.DeletePublicCompetition(st.ID)
	}
	return w.PutPublicCompetition(&store.PublicCompetition{ID: st.ID, PublicCompetition: p})
}

func (g *Ingester) projectSubmission(w store.LogTx, st *changeset.State) error {
	var s domain.Submission
	if err := (changeset.Schema{}).FromFields(st.Values(), &s); err != nil {
		var fe *changeset.FieldsError
		if !errors.As(err, &fe) {
			return err
		}
		g.log.Warn("web submission fields that do not fit its type are left out of its tracking", "submission", st.ID, "fields", fe.Fields)
	}
	t := &store.Tracking{Submission: st.ID, Council: st.Council, ReceivedOn: s.ReceivedOn, Status: s.Status, HandledOn: s.HandledOn}
	if s.Status == domain.SubmissionRefused && slices.Contains(domain.SubmissionRefusals, s.Refusal) {
		t.Refusal = s.Refusal
	}
	if t.Status != domain.SubmissionRegistered && t.Status != domain.SubmissionMerged {
		return w.PutTracking(t)
	}
	// The appeal it became: only one of the same council. A laptop writes
	// its own council's submissions only, but the id it names is its word:
	// another council's appeal would show that appeal's progress.
	ast, err := w.State(domain.KindAppeal, s.Appeal)
	if err != nil {
		return err
	}
	if ast != nil && ast.Council == st.Council {
		t.Appeal = s.Appeal
		follow(t, g.appealOf(ast))
	}
	return w.PutTracking(t)
}

// follow copies into t the progress of the appeal it became (a may be nil
// when the appeal does not decode or is gone).
func follow(t *store.Tracking, a *domain.Appeal) {
	t.RegNo, t.AppealStatus, t.Published = "", "", false
	t.RegisteredOn, t.AnsweredOn, t.ClosedOn = caldate.Date{}, caldate.Date{}, caldate.Date{}
	if a == nil || a.Meta != nil && a.Meta.Deleted {
		return
	}
	p := a.Public()
	t.RegNo, t.AppealStatus, t.RegisteredOn, t.AnsweredOn, t.ClosedOn = p.RegNo, p.Status, p.RegisteredOn, p.AnsweredOn, p.ClosedOn
	t.Published = a.InRegister()
}

// appealOf decodes an appeal's state with its derived deadlines, or nil
// when it cannot be decoded at all. Fields that do not fit (a laptop with
// a bug) are left out, as the laptops show it.
func (g *Ingester) appealOf(st *changeset.State) *domain.Appeal {
	var a domain.Appeal
	if err := (changeset.Schema{Collections: domain.AppealCollections}).FromFields(st.Values(), &a); err != nil {
		var fe *changeset.FieldsError
		if !errors.As(err, &fe) {
			g.log.Warn("an appeal that does not decode is kept off the public register", "appeal", st.ID, "err", err)
			return nil
		}
		g.log.Warn("appeal fields that do not fit its type are left out of its public copy", "appeal", st.ID, "fields", fe.Fields)
	}
	a.ID = st.ID
	a.Meta = &domain.Meta{Deleted: st.Deleted()}
	if !a.ReceivedOn.IsZero() {
		if d, err := g.rules.Compute(a.ReceivedOn, a.RegisteredOn, a.ExtensionDays); err == nil {
			a.Deadlines = &d
		}
	}
	return &a
}

// fieldIs reports whether a state's field holds exactly the JSON v.
func fieldIs(st *changeset.State, name, v string) bool {
	f, ok := st.Fields[name]
	return ok && string(f.Value) == v
}

// projectBatch is how many records one Append of Project projects.
const projectBatch = 500

// Project makes the public projection again from every appeal, council
// and web submission the store holds, when it was made by an older rule
// (PublicRule) or never: a store from before the register, or a new rule.
// Each batch reads the states inside its own Append, so laptops pushing
// meanwhile lose nothing: a record they change is projected by their
// push as well. Projecting a record twice gives the same projection.
func (g *Ingester) Project(ctx context.Context) error {
	var rule int
	if err := g.st.Append(ctx, func(w store.LogTx) (err error) { rule, err = w.PublicRule(); return err }); err != nil {
		return fmt.Errorf("public projection: %w", err)
	}
	if rule >= PublicRule {
		return nil
	}
	n := 0
	for _, kind := range []string{domain.KindCouncil, domain.KindAppeal, domain.KindSubmission} {
		var ids []string
		err := g.st.EachState(ctx, kind, func(st *changeset.State) error {
			if kind != domain.KindAppeal || fieldIs(st, "published", "true") {
				ids = append(ids, st.ID)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("public projection: %w", err)
		}
		for len(ids) > 0 {
			batch := ids[:min(projectBatch, len(ids))]
			ids = ids[len(batch):]
			err := g.st.Append(ctx, func(w store.LogTx) error {
				for _, id := range batch {
					st, err := w.State(kind, id)
					if err != nil {
						return err
					}
					if st != nil {
						if err := g.project(w, st, false); err != nil {
							return err
						}
					}
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("public projection: %w", err)
			}
			n += len(batch)
		}
	}
	if err := g.st.Append(ctx, func(w store.LogTx) error { return w.SetPublicRule(PublicRule) }); err != nil {
		return fmt.Errorf("public projection: %w", err)
	}
	g.log.Info("public projection made", "rule", PublicRule, "was", rule, "records", n)
	return nil
}

// encodedProjected says whether project reads anything of the appeal id
// whose state was merged on its encoding (mergeEncoded), published saying
// whether that state holds a "published" field (changeset.MergeEncodedHas):
// projectAppeal does nothing for an appeal that was never published (a
// "published" field, once written, stays in its state) and that no web
// submission tracks, nearly every appeal of a spread backlog, and such
// an appeal is not decoded for it. A state merged on its encoding was
// read ahead, so it is not new to the store (projectAll's fresh).
func encodedProjected(w store.LogTx, id string, published bool) (bool, error) {
	if published {
		return true, nil
	}
	tracks, err := w.TrackingsOfAppeal(id)
	return len(tracks) > 0, err
}
