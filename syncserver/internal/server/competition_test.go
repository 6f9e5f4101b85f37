package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
)

// A competition as a script drives it, with keneshctl against the real
// server on 127.0.0.1: central staff set it up with two jurors (two
// councils' laptops) and a third that is a raw device; each juror scores
// offline, then both sync and both scores are kept; the ranking waits for
// the juror still missing and names them; a juror related to an entry is
// refused with the reason on the laptop and on the server; publishing is
// refused until every juror scored, then accepted. Raw pushes: a laptop
// not on the jury, and a juror writing another juror's score, are
// refused by the server.
func TestCompetitionWithKeneshctl(t *testing.T) {
	if testing.Short() {
		t.Skip("builds keneshctl and runs laptops")
	}
	h := newHarness(t)
	h.council("NRN-ATB", "KG-N")
	h.council("JA-ALA", "KG-J")
	bin := keneshctl(t)
	enroll := func(role, council, name string) (ctl, string) { return h.keneshctlLaptop(t, bin, role, council, name) }
	central, _ := enroll(domain.RoleCentral, "", "Борбор")
	aigul, aigulDev := enroll(domain.RoleSecretary, "NRN-ATB", "Айгүл")
	bakyt, bakytDev := enroll(domain.RoleSecretary, "JA-ALA", "Бакыт")
	raw := h.enroll(domain.RoleSecretary, "NRN-ATB") // the third juror, pushing by hand
	outsider := h.enroll(domain.RoleSecretary, "JA-ALA")
	today := caldate.Of(time.Now().In(time.FixedZone("Asia/Bishkek", 6*3600)))

	comp := fmt.Sprintf(`{"title": "Мыкты журналисттик иш", "audience": "journalists", "deadline": %q, "places": 1,
		"categories": [{"name": "Басма сөз"}],
		"criteria": [{"name": "Маанилүүлүгү", "max": 10}, {"name": "Сапаты", "max": 5}],
		"jurors": [{"name": "Айгүл", "device": %q}, {"name": "Бакыт", "device": %q}, {"name": "Гүлнара", "device": %q}]}`,
		today.AddDays(-1), aigulDev, bakytDev, raw.id)
	c := jsonOf[map[string]any](t, central.ok(comp, "competition", "add"))
	id := c["id"].(string)
	central.ok(`{"author": "Нурлан", "title": "Жер", "category": "Басма сөз", "related": ["Гүлнара"]}`, "competition", "entry", "add", id)
	added := jsonOf[map[string]any](t, central.ok(`{"author": "Айжан", "title": "Суу", "category": "басма сөз", "link": "https://kaktus.example.kg/suu"}`, "competition", "entry", "add", id))
	entry2 := added["added"].(string)
	if code, _, errs := central.try(`{"author": "", "title": "Жаңы", "category": "Видео"}`, "competition", "entry", "add", id); code != 1 ||
		!strings.Contains(errs, ".author: is required") || !strings.Contains(errs, "\"Видео\" is not a category") {
		t.Fatalf("a bad entry: exit %d, %s", code, errs)
	}
	central.ok("", "sync")
	aigul.ok("", "sync")
	bakyt.ok("", "sync")

	// Both score offline, then sync: both kept.
	aigul.ok("", "competition", "score", id, "1", "1=8", "2=4")
	aigul.ok("", "competition", "score", id, "2", "Маанилүүлүгү=6", "Сапаты=3", "--note", "Жакшы")
	bakyt.ok("", "competition", "score", id, "1", "1=6", "2=4")
	bakyt.ok("", "competition", "score", id, "2", "1=9", "2=5")
	if code, _, errs := bakyt.try("", "competition", "score", id, "2", "1=11", "2=5"); code != 1 || !strings.Contains(errs, "11 points for \"Маанилүүлүгү\", which is scored from 0 to 10") {
		t.Fatalf("over the maximum: exit %d, %s", code, errs)
	}
	if code, _, errs := bakyt.try("", "competition", "add"); code == 0 || errs == "" {
		t.Fatalf("a juror sets up a competition: exit %d", code)
	}
	for _, l := range []ctl{aigul, bakyt, central, aigul} {
		l.ok("", "sync")
	}
	shown := jsonOf[map[string]any](t, aigul.ok("", "competition", "show", id))
	if sc := shown["scores"].([]any); len(sc) != 4 {
		t.Fatalf("both jurors' scores after the syncs: %v", sc)
	}
	rank := jsonOf[map[string]any](t, central.ok("", "competition", "ranking", id))
	cat := rank["categories"].([]any)[0].(map[string]any)
	if rank["complete"] != false || fmt.Sprint(cat["missing"]) != "[map[entries:[Суу] juror:Гүлнара]]" {
		t.Fatalf("the ranking waits for Гүлнара alone (related to Жер): %v", rank)
	}
	if code, _, errs := central.try("", "competition", "publish", id); code != 1 || !strings.Contains(errs, "Гүлнара has 1 of its entries to score") {
		t.Fatalf("publishing early: exit %d, %s", code, errs)
	}

	// Raw pushes: the server judges as the laptops do.
	sid := func(juror, entry string) string { return domain.ScoreID(juror, entry) }
	full := jsonOf[map[string]any](t, central.ok("", "competition", "show", id))
	jurors := full["jurors"].([]any)
	aigulJ, gulnaraJ := jurors[0].(map[string]any)["id"].(string), jurors[2].(map[string]any)["id"].(string)
	crit := full["criteria"].([]any)
	c1, c2 := crit[0].(map[string]any)["id"].(string), crit[1].(map[string]any)["id"].(string)
	entry1 := full["entries"].([]any)[0].(map[string]any)["id"].(string)
	score := func(juror, entry string, p1, p2 int) map[string]any {
		return map[string]any{"scores/" + sid(juror, entry): map[string]any{"id": sid(juror, entry), "juror": juror, "entry": entry, "points": map[string]int{c1: p1, c2: p2}}}
	}
	if r := outsider.push(outsider.op(domain.KindCompetition, id, "", changeset.ActionUpdate, score(aigulJ, entry2, 0, 0))); len(r.Refused) != 1 ||
		r.Refused[0].Code != syncproto.CodeForbidden || !strings.Contains(r.Refused[0].Message, "not on the jury") {
		t.Fatalf("a laptop not on the jury: %+v", r.Refused)
	}
	if r := raw.push(raw.op(domain.KindCompetition, id, "", changeset.ActionUpdate, score(aigulJ, entry2, 0, 0))); len(r.Refused) != 1 ||
		r.Refused[0].Code != syncproto.CodeForbidden || !strings.Contains(r.Refused[0].Message, "never written by another") {
		t.Fatalf("a juror overwriting another's score: %+v", r.Refused)
	}
	if r := raw.push(raw.op(domain.KindCompetition, id, "", changeset.ActionUpdate, score(gulnaraJ, entry1, 1, 1))); len(r.Refused) != 1 ||
		r.Refused[0].Code != syncproto.CodeForbidden || !strings.Contains(r.Refused[0].Message, "conflict of interest") {
		t.Fatalf("a related juror: %+v", r.Refused)
	}
	if r := raw.push(raw.op(domain.KindCompetition, id, "", changeset.ActionUpdate, map[string]any{"places": 2})); len(r.Refused) != 1 || r.Refused[0].Code != syncproto.CodeForbidden {
		t.Fatalf("a juror changing the places: %+v", r.Refused)
	}
	if r := raw.push(raw.op(domain.KindCompetition, id, "", changeset.ActionUpdate, score(gulnaraJ, entry2, 7, 3))); len(r.Refused) != 0 {
		t.Fatalf("Гүлнара's own score: %+v", r.Refused)
	}
	central.ok("", "sync")
	pub := jsonOf[map[string]any](t, central.ok("", "competition", "publish", id))
	st := pub["categories"].([]any)[0].(map[string]any)["standings"].([]any)
	// Жер: (12+10)/2 = 11; Суу: (9+14+10)/3 = 11: a tie for the one place.
	if pub["published_on"] != today.String() || len(st) != 2 || fmt.Sprintln(st[0].(map[string]any)["place"], st[1].(map[string]any)["place"]) != "=1 =1\n" ||
		st[0].(map[string]any)["winner"] != true || st[1].(map[string]any)["winner"] != true {
		t.Fatalf("published: %v", pub)
	}
	// Central staff mark Бакыт related to Суу after his score: his score
	// stays, left out; Суу's mean is now (9+10)/2 = 9.5, Жер first alone.
	marked := jsonOf[map[string]any](t, central.ok("", "competition", "related", id, "2", "Бакыт"))
	if fmt.Sprint(marked["entries"].([]any)[1].(map[string]any)["related"]) != "[Бакыт]" || len(marked["scores"].([]any)) != 5 {
		t.Fatalf("marked related: %v", marked)
	}
	st = jsonOf[map[string]any](t, central.ok("", "competition", "ranking", id))["categories"].([]any)[0].(map[string]any)["standings"].([]any)
	if s0, s1 := st[0].(map[string]any), st[1].(map[string]any); s0["place"] != "1" || s0["entry"] != "Жер" || s1["mean"] != "9.50" || s1["jurors"] != float64(2) {
		t.Fatalf("after the mark: %v", st)
	}
	central.ok("", "sync")
	bakyt.ok("", "sync")
	if code, _, errs := bakyt.try("", "competition", "score", id, "2", "1=1", "2=1"); code != 1 || !strings.Contains(errs, "conflict of interest") {
		t.Fatalf("Бакыт scoring Суу once related: exit %d, %s", code, errs)
	}
}
