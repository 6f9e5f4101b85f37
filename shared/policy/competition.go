package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// Competitions: central staff set up a competition (rules, categories,
// criteria, jury, entries) under no council, and every device reads it;
// a juror's device writes only its own scores (scores/ScoreID(juror,
// entry), where the juror is the one the competition names with that
// device), whatever the device's role. The whole competition is checked
// after every merge, on the server, the fake server and every laptop, by
// CheckCompetition: a juror related to an entry is refused there.

// CompetitionSchema: a competition's categories, criteria, jurors,
// entries and scores are items.
var CompetitionSchema = changeset.Schema{Collections: domain.CompetitionCollections}

const scorePrefix = domain.CompetitionScoreFields + changeset.ItemSep

// MaySetUpCompetition reports whether dev sets up competitions: creates
// and changes one (rules, categories, criteria, jury, entries, conflicts
// of interest), publishes its winners and removes it. Central staff
// only; every other device writes no more than its juror's scores.
func MaySetUpCompetition(dev Device) bool { return dev.Role == domain.RoleCentral }

// checkCompetition decides a write to a competition by any device.
func checkCompetition(dev Device, op *changeset.Op, cur *changeset.State) *Refusal {
	if op.Council != "" {
		return refuse(syncproto.CodeInvalid, "competition %s is for every council: its operation names none, not %q", op.Record, trunc(op.Council))
	}
	scores := fieldsWithPrefix(op, scorePrefix)
	var other []string
	for f := range op.Fields {
		if !strings.HasPrefix(f, scorePrefix) {
			other = append(other, f)
		}
	}
	sort.Strings(other)
	if MaySetUpCompetition(dev) && op.Action == changeset.ActionCreate && cur != nil && cur.Created != 0 {
		return refuse(syncproto.CodeInvalid, "competition %s exists: it is created once, then changed", op.Record)
	}
	if !MaySetUpCompetition(dev) {
		if op.Action != changeset.ActionUpdate || cur == nil || cur.Created == 0 {
			return refuse(syncproto.CodeForbidden, "central staff set up and remove competitions; a juror's laptop scores the entries of one it received")
		}
		if len(other) > 0 {
			return refuse(syncproto.CodeForbidden, "a juror's laptop writes only its own scores (%s); the competition's %s are written by central staff",
				domain.CompetitionScoreFields, strings.Join(other, ", ")).about(domain.CodeForbidden, other...)
		}
	}
	if len(scores) == 0 {
		return nil
	}
	if op.Action == changeset.ActionCreate || op.Action == changeset.ActionDelete {
		return refuse(syncproto.CodeForbidden, "a juror's scores are written to a competition that exists, not with its creation or removal").about(domain.CodeForbidden, scores...)
	}
	comp, err := competitionAsWritten(op, cur)
	if err != nil {
		return invalid(err)
	}
	juror, ok := comp.JurorOf(op.Device)
	if !ok {
		return refuse(syncproto.CodeForbidden, "device %s is not on the jury of competition %q: only a juror's own laptop writes that juror's scores", trunc(op.Device), comp.Title).about(domain.CodeForbidden, scores...)
	}
	var foreign []string
	for _, f := range scores {
		id := strings.TrimPrefix(f, scorePrefix)
		if !ownScore(comp, juror, id, op.Fields[f].Value, cur, f) {
			foreign = append(foreign, f)
		}
	}
	if len(foreign) > 0 {
		return refuse(syncproto.CodeForbidden, "%s scores as %s and writes only that juror's scores, not %s: one juror's score is never written by another",
			trunc(op.Device), juror.Name, strings.Join(foreign, ", ")).about(domain.CodeForbidden, foreign...)
	}
	return nil
}

// ownScore reports whether score item id is juror's: its id is juror's
// score of an entry, and its value (or, when op withdraws it, the value
// it had) says so.
func ownScore(comp *domain.Competition, juror domain.Juror, id string, val json.RawMessage, cur *changeset.State, field string) bool {
	if len(val) == 0 || string(val) == "null" {
		if cur == nil {
			return false
		}
		old, ok := cur.Fields[field]
		if !ok {
			return false
		}
		val = old.Value
	}
	var s domain.Score
	if err := json.Unmarshal(val, &s); err != nil {
		return false
	}
	return s.Juror == juror.ID && id == domain.ScoreID(juror.ID, s.Entry)
}

// competitionAsWritten is the competition as cur with op's fields.
func competitionAsWritten(op *changeset.Op, cur *changeset.State) (*domain.Competition, error) {
	vals := map[string]json.RawMessage{}
	if cur != nil {
		vals = cur.Values()
	}
	for f, ch := range op.Fields {
		vals[f] = ch.Value
	}
	var c domain.Competition
	if err := CompetitionSchema.FromFields(vals, &c); err != nil {
		var fe *changeset.FieldsError
		if !errors.As(err, &fe) {
			return nil, fmt.Errorf("competition %s: %w", op.Record, err)
		}
	}
	c.ID = op.Record
	return &c, nil
}

// CompetitionOf reads a competition record.
func CompetitionOf(st *changeset.State) (*domain.Competition, error) {
	var c domain.Competition
	if err := CompetitionSchema.FromFields(st.Values(), &c); err != nil {
		return nil, fmt.Errorf("competition %s: %w", st.ID, err)
	}
	c.ID = st.ID
	return &c, nil
}

// CheckCompetition judges a competition as operation op leaves it
// (next): the competition whole (domain.Competition.Validate), refusing
// op only for the faults of what it wrote
// (domain.CompetitionFaultFields): a juror's score of an entry the juror
// is related to, or out of bounds, is refused; central staff marking a
// juror related to an entry already scored is not (the score is then
// left out of the ranking).
func CheckCompetition(op *changeset.Op, next *changeset.State, today caldate.Date) *Refusal {
	if next.Deleted() {
		return nil
	}
	c, err := CompetitionOf(next)
	if err != nil {
		return invalid(err)
	}
	return ownFaults("competition", op, c.Validate(today), domain.CompetitionFaultFields)
}
