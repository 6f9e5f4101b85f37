package main

import (
	"strings"
	"testing"
)

// A juror's laptop is named by its id (domain.LaptopID, the rule the
// app's form and the server keep too): a word is refused naming the
// juror's field and what an id looks like; an id pasted with braces and
// capitals is saved as every laptop writes it, and names the juror in
// "competition related" written either way.
func TestCompetitionJurorLaptop(t *testing.T) {
	c := newCLI(t)
	c.ok("", "init", "--device-name", "Бишкек, борбордук кеңсе")
	me := decode[struct{ Device struct{ ID string } }](t, c.ok("", "status")).Device.ID
	const bakyt = "0193f2a4-7c1e-7d2a-9b3e-5f6a7b8c9d0e"
	comp := func(device string) string {
		return `{"title": "Мыкты журналисттик иш 2026", "audience": "journalists", "deadline": "2026-10-01",
			"criteria": [{"name": "Маанилүүлүгү", "max": 10}],
			"jurors": [{"name": "Айгүл", "device": "` + me + `"}, {"name": "Бакыт", "device": "` + device + `"}]}`
	}
	code, _, errs := c.run(comp("laptop-of-bakyt"), "competition", "add")
	if code != 1 || !strings.Contains(errs, `.device: "laptop-of-bakyt" is not a laptop's id`) || !strings.Contains(errs, "keneshctl status") {
		t.Fatalf("a juror's laptop named by a word: exit %d\n%s", code, errs)
	}
	if code, _, errs := c.run(comp(bakyt[:35]+"x"), "competition", "add"); code != 1 || !strings.Contains(errs, "is not a laptop's id") {
		t.Fatalf("a laptop's id mistyped: exit %d\n%s", code, errs)
	}
	v := decode[struct {
		ID     string
		Jurors []struct{ ID, Name, Device string }
	}](t, c.ok(comp("{"+strings.ToUpper(bakyt)+"}"), "competition", "add"))
	if len(v.Jurors) != 2 || v.Jurors[1].Device != bakyt {
		t.Fatalf("a laptop's id with braces and capitals: %+v", v)
	}
	c.ok(`{"author": "Нурлан", "title": "Жер"}`, "competition", "entry", "add", v.ID)
	related := decode[struct{ Entries []struct{ Related []string } }](t, c.ok("", "competition", "related", v.ID, "1", strings.ReplaceAll(strings.ToUpper(bakyt), "-", "")))
	if len(related.Entries) != 1 || len(related.Entries[0].Related) != 1 || related.Entries[0].Related[0] != "Бакыт" {
		t.Fatalf("a juror named by their laptop's id in capitals: %+v", related)
	}
}
