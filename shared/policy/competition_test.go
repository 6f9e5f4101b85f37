package policy

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	hlcpkg "github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
)

const (
	compID = "0190e0b2-0000-7000-8000-0000000000cc"
	crit1  = "0190e0b2-0000-7000-8000-00000000c001"
	jur1   = "0190e0b2-0000-7000-8000-00000000a001"
	jur2   = "0190e0b2-0000-7000-8000-00000000a002"
	lap1   = "0190e0b2-0000-7000-8000-00000000d001" // the jurors' laptops
	lap2   = "0190e0b2-0000-7000-8000-00000000d002"
	lap9   = "0190e0b2-0000-7000-8000-00000000d009" // not on the jury
	ent1   = "0190e0b2-0000-7000-8000-00000000e001"
	ent2   = "0190e0b2-0000-7000-8000-00000000e002"
)

func compOp(dev string, action changeset.Action, hlc uint64, fields map[string]string) *changeset.Op {
	o := &changeset.Op{Device: dev, Seq: hlc, HLC: hlcpkg.Timestamp(hlc), Kind: domain.KindCompetition, Record: compID, Action: action, Fields: map[string]changeset.Change{}}
	for k, v := range fields {
		o.Fields[k] = changeset.Change{Value: json.RawMessage(v)}
	}
	return o
}

// newCompetition: one criterion out of 10, jurors on the laptops lap1
// and lap2; juror 2 is related to entry 1.
func newCompetition() *changeset.Op {
	return compOp("central", changeset.ActionCreate, 10, map[string]string{
		"title": `"Мыкты макала"`, "audience": `"journalists"`, "deadline": `"2026-05-01"`,
		"criteria/" + crit1: `{"id":"` + crit1 + `","name":"Маанилүүлүгү","max":10}`,
		"jurors/" + jur1:    `{"id":"` + jur1 + `","name":"Айгүл","device":"` + lap1 + `"}`,
		"jurors/" + jur2:    `{"id":"` + jur2 + `","name":"Бакыт","device":"` + lap2 + `"}`,
		"entries/" + ent1:   `{"id":"` + ent1 + `","author":"Нурлан","title":"Жер","related":["` + jur2 + `"]}`,
		"entries/" + ent2:   `{"id":"` + ent2 + `","author":"Айжан","title":"Суу"}`,
	})
}

func scoreField(juror, entry string, points int) (string, string) {
	id := domain.ScoreID(juror, entry)
	v, _ := json.Marshal(domain.Score{ID: id, Juror: juror, Entry: entry, Points: map[string]int{crit1: points}})
	return "scores/" + id, string(v)
}

func scoreOp(dev string, hlc uint64, juror, entry string, points int) *changeset.Op {
	f, v := scoreField(juror, entry, points)
	return compOp(dev, changeset.ActionUpdate, hlc, map[string]string{f: v})
}

// Central staff set a competition up; a juror's laptop, whatever its
// role, writes only that juror's scores; no one writes another juror's.
func TestCompetitionWrites(t *testing.T) {
	central := Device{Role: domain.RoleCentral}
	sec := Device{Role: domain.RoleSecretary, Council: "NRN-ATB"}
	existing := &changeset.State{}
	if _, _, err := existing.Apply(newCompetition()); err != nil {
		t.Fatal(err)
	}
	f1, v1 := scoreField(jur1, ent2, 7)
	withScore := existing.Clone()
	if _, _, err := withScore.Apply(compOp(lap1, changeset.ActionUpdate, 20, map[string]string{f1: v1})); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		dev  Device
		op   *changeset.Op
		cur  *changeset.State
		want syncproto.Code
		word string
	}{
		{"central staff set it up", central, newCompetition(), nil, "", ""},
		{"created twice", central, newCompetition(), existing, syncproto.CodeInvalid, "created once"},
		{"under a council", central, func() *changeset.Op { o := newCompetition(); o.Council = "NRN-ATB"; return o }(), nil, syncproto.CodeInvalid, "names none"},
		{"central staff add an entry", central, compOp("central", changeset.ActionUpdate, 11, map[string]string{"entries/x": `{"id":"x"}`}), existing, "", ""},
		{"a secretary's laptop on the jury scores", sec, scoreOp(lap1, 12, jur1, ent2, 7), existing, "", ""},
		{"a juror scores on a central laptop", central, scoreOp(lap2, 12, jur2, ent2, 7), existing, "", ""},
		{"a juror withdraws their score", sec, compOp(lap1, changeset.ActionUpdate, 21, map[string]string{f1: `null`}), withScore, "", ""},
		{"a juror writes another juror's score", sec, scoreOp(lap2, 12, jur1, ent2, 7), existing, syncproto.CodeForbidden, "scores as Бакыт and writes only that juror's scores"},
		{"a juror withdraws another's score", sec, compOp(lap2, changeset.ActionUpdate, 21, map[string]string{f1: `null`}), withScore, syncproto.CodeForbidden, "never written by another"},
		{"a score under another juror's id", sec, compOp(lap2, changeset.ActionUpdate, 12, map[string]string{"scores/" + domain.ScoreID(jur1, ent2): func() string { _, v := scoreField(jur2, ent2, 1); return v }()}), existing, syncproto.CodeForbidden, "not scores/"},
		{"a laptop not on the jury", sec, scoreOp(lap9, 12, jur1, ent2, 7), existing, syncproto.CodeForbidden, "not on the jury"},
		{"a juror changes the criteria", sec, compOp(lap1, changeset.ActionUpdate, 12, map[string]string{"criteria/" + crit1: `{}`}), existing, syncproto.CodeForbidden, "criteria/" + crit1 + " are written by central staff"},
		{"a juror makes a competition", sec, newCompetition(), nil, syncproto.CodeForbidden, "central staff set up"},
		{"a juror removes it", sec, compOp(lap1, changeset.ActionDelete, 12, map[string]string{changeset.DeletedField: `true`}), existing, syncproto.CodeForbidden, "central staff set up and remove"},
		{"a trainer", Device{Role: domain.RoleTrainer}, newCompetition(), nil, syncproto.CodeForbidden, ""},
	}
	for _, c := range cases {
		r := CheckWrite(c.dev, c.op, c.cur)
		switch {
		case c.want == "" && r != nil:
			t.Errorf("%s: refused: %v", c.name, r)
		case c.want != "" && (r == nil || r.Code != c.want || !strings.Contains(r.Message, c.word)):
			t.Errorf("%s: %v, want %s with %q", c.name, r, c.want, c.word)
		}
	}
	if !IsGlobal(domain.KindCompetition) || !MayRead(sec, domain.KindCompetition, "") {
		t.Error("every device reads a competition (a juror may be any laptop)")
	}
}

// The whole competition is checked after each merge: a juror's score of
// an entry they are related to is refused with the reason; central staff
// marking a juror related to an entry already scored is not.
func TestCheckCompetition(t *testing.T) {
	today := caldate.MustParse("2026-06-01")
	st := &changeset.State{}
	create := newCompetition()
	if _, _, err := st.Apply(create); err != nil {
		t.Fatal(err)
	}
	if r := CheckCompetition(create, st, today); r != nil {
		t.Fatalf("a valid competition: %v", r)
	}
	apply := func(st *changeset.State, op *changeset.Op) *changeset.State {
		next := st.Clone()
		if _, _, err := next.Apply(op); err != nil {
			t.Fatal(err)
		}
		return next
	}
	related := scoreOp(lap2, 20, jur2, ent1, 5)
	r := CheckCompetition(related, apply(st, related), today)
	if r == nil || r.Code != syncproto.CodeForbidden || !strings.Contains(r.Message, "Бакыт is marked as related to the entry \"Жер\" by Нурлан (a conflict of interest)") {
		t.Fatalf("a related juror's score: %+v", r)
	}
	over := scoreOp(lap1, 21, jur1, ent1, 11)
	r = CheckCompetition(over, apply(st, over), today)
	if r == nil || r.Code != syncproto.CodeInvalid || len(r.Fields) != 1 || !strings.Contains(r.Message, "11 points") {
		t.Fatalf("over the maximum: %+v", r)
	}
	good := scoreOp(lap1, 22, jur1, ent1, 9)
	if r := CheckCompetition(good, apply(st, good), today); r != nil {
		t.Fatalf("a good score: %v", r)
	}
	st = apply(st, good)
	// Central staff mark juror 1 related to entry 1 after the score: kept, not refused.
	mark := compOp("central", changeset.ActionUpdate, 23, map[string]string{
		"entries/" + ent1: `{"id":"` + ent1 + `","author":"Нурлан","title":"Жер","related":["` + jur1 + `","` + jur2 + `"]}`})
	if r := CheckCompetition(mark, apply(st, mark), today); r != nil {
		t.Fatalf("marking a conflict after the score: %v", r)
	}
	// A juror's laptop named by a word (a typo, or keneshctl before the
	// rule) is refused with what a laptop's id is, to the op writing that
	// juror; an op that does not write it is not refused for it.
	word := compOp("central", changeset.ActionUpdate, 25, map[string]string{
		"jurors/" + jur2: `{"id":"` + jur2 + `","name":"Бакыт","device":"laptop-of-bakyt"}`})
	legacy := apply(st, word)
	r = CheckCompetition(word, legacy, today)
	if r == nil || r.Code != syncproto.CodeInvalid || len(r.Fields) != 1 || r.Fields[0].Field != "jurors/"+jur2+".device" ||
		!strings.Contains(r.Message, `"laptop-of-bakyt" is not a laptop's id`) {
		t.Fatalf("a juror's laptop named by a word: %+v", r)
	}
	rules := compOp("central", changeset.ActionUpdate, 26, map[string]string{"rules": `"Иштер 2026-жылы жарыяланган."`})
	if r := CheckCompetition(rules, apply(legacy, rules), today); r != nil {
		t.Fatalf("the rules edited beside a juror named by a word before: %v", r)
	}
	// Publishing before every juror scored is refused, naming who is missing.
	pub := compOp("central", changeset.ActionUpdate, 24, map[string]string{"published_on": `"2026-06-01"`})
	r = CheckCompetition(pub, apply(st, pub), today)
	if r == nil || !strings.Contains(r.Message, "Айгүл has 1 of its entries to score") || !strings.Contains(r.Message, "Бакыт has 1") {
		t.Fatalf("publishing too early: %+v", r)
	}
}

// What any laptop pushes to a competition is outside input to the server:
// any field and value, from a juror's or central staff's device, is
// judged (allowed or refused) without a panic, and a score it lets
// through is that device's juror's.
func FuzzCompetitionOp(f *testing.F) {
	f.Add("scores/"+domain.ScoreID(jur1, ent2), []byte(`{"id":"x","juror":"`+jur1+`","entry":"`+ent2+`","points":{"`+crit1+`":7}}`), true)
	f.Add("entries/"+ent1, []byte(`{"id":"`+ent1+`","related":[null,5]}`), false)
	f.Add("criteria/"+crit1, []byte(`{"max":-1}`), false)
	f.Add("scores/"+domain.ScoreID(jur2, ent1), []byte(`null`), true)
	today := caldate.MustParse("2026-06-01")
	f.Fuzz(func(t *testing.T, field string, value []byte, juror bool) {
		cur := &changeset.State{}
		if _, _, err := cur.Apply(newCompetition()); err != nil {
			t.Fatal(err)
		}
		dev, who := Device{Role: domain.RoleCentral}, "central"
		if juror {
			dev, who = Device{Role: domain.RoleSecretary, Council: "NRN-ATB"}, lap1
		}
		op := compOp(who, changeset.ActionUpdate, 20, map[string]string{})
		op.Fields[field] = changeset.Change{Value: value}
		if op.Validate() != nil {
			return
		}
		if CheckWrite(dev, op, cur) != nil {
			return
		}
		next := cur.Clone()
		if _, _, err := next.Apply(op); err != nil {
			return
		}
		if CheckCompetition(op, next, today) != nil {
			return
		}
		if juror && strings.HasPrefix(field, "scores/") && string(value) != "null" {
			c, err := CompetitionOf(next)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range c.Scores {
				if "scores/"+s.ID == field && s.Juror != jur1 {
					t.Fatalf("lap1 wrote %s's score: %+v", s.Juror, s)
				}
			}
		}
	})
}
