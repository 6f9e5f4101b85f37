package main

import (
	"strings"
	"testing"
)

const trainingJSON = `{"council": "NRN-ATB", "kind": "training", "title": "Кайрылуулар менен иштөө", "date": "2026-03-05", "oblast": "KG-N"}`

func TestTrainingCommands(t *testing.T) {
	c := newCLI(t)
	c.ok("", "init", "--device-name", "Ат-Башы ноутбугу")
	c.ok("", "council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы коомдук кеңеши", "--oblast", "KG-N", "--district", "KG-N-ATB")
	c.ok("", "council", "home", "NRN-ATB")
	ev := decode[map[string]any](t, c.ok(trainingJSON, "event", "add"))["id"].(string)

	one := decode[[]map[string]any](t, c.ok("", "training", "attend", ev, "--name", "Асель Токтогулова", "--gender", "female", "--group", "council_members", "--organisation", "Ат-Башы АӨ"))
	if len(one) != 1 || one[0]["name"] != "Асель Токтогулова" || one[0]["id"] == "" {
		t.Fatalf("attend: %v", one)
	}
	two := decode[[]map[string]any](t, c.ok(`[{"name": "Бакыт Асанов", "gender": "male", "group": "journalists", "council": "NRN-KOC"},
		{"name": "Нурлан Осмонов", "group": "officials"}]`, "training", "attend", ev))
	if len(two) != 2 {
		t.Fatalf("attend from JSON: %v", two)
	}
	// Corrected by id.
	c.ok("", "training", "attend", ev, "--id", one[0]["id"].(string), "--name", "Асель Токтогулова", "--gender", "female", "--group", "civil_society")

	list := decode[map[string]any](t, c.ok("", "training", "attendance", ev))
	people := list["attendees"].([]any)
	if len(people) != 3 || people[0].(map[string]any)["name"] != "Асель Токтогулова" || people[0].(map[string]any)["group"] != "civil_society" || list["total"].(float64) != 3 {
		t.Fatalf("attendance: %v", list)
	}
	counted := list["counted"].(map[string]any)
	if counted["journalists"].(map[string]any)["male"].(float64) != 1 || counted["officials"].(map[string]any)["unspecified"].(float64) != 1 {
		t.Errorf("counted: %v", counted)
	}

	removed := decode[map[string]any](t, c.ok("", "training", "remove", ev, two[1]["id"].(string)))
	if removed["attendees"].(float64) != 2 {
		t.Fatalf("remove: %v", removed)
	}
	hist := c.ok("", "event", "history", ev)
	if !strings.Contains(hist, "attendees/"+two[1]["id"].(string)) {
		t.Errorf("the removal is not in the history:\n%s", hist)
	}
	if res := c.ok("", "training", "results", ev); strings.TrimSpace(res) != "[]" {
		t.Errorf("results with no tests: %s", res)
	}

	hearing := decode[map[string]any](t, c.ok(`{"council": "NRN-ATB", "kind": "hearing", "title": "Угуу", "date": "2026-03-05", "oblast": "KG-N"}`, "event", "add"))["id"].(string)
	for _, tt := range []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stderr string
	}{
		{"a bad attendee names each fault", "", []string{"training", "attend", ev, "--name", "Бакыт", "--gender", "man", "--group", "students"}, 1, ".gender: \"man\" is not known"},
		{"no group", `{"name": "Бакыт"}`, []string{"training", "attend", ev}, 1, ".group: is required"},
		{"an unknown field", `{"name": "Бакыт", "grup": "citizens"}`, []string{"training", "attend", ev}, 1, `field "grup"`},
		{"flags without a name", "", []string{"training", "attend", ev, "--group", "citizens"}, 2, "--name"},
		{"an empty list", `[]`, []string{"training", "attend", ev}, 2, "empty"},
		{"a hearing", "", []string{"training", "attend", hearing, "--name", "Бакыт", "--group", "citizens"}, 1, "not a training"},
		{"the attendance of a hearing", "", []string{"training", "attendance", hearing}, 1, "not a training"},
		{"no such attendee", "", []string{"training", "remove", ev, "01a21153-0b83-732a-a9d2-550af7253b78"}, 1, "no attendee"},
		{"no such material", "", []string{"training", "material", ev, "01a21153-0b83-732a-a9d2-550af7253b78"}, 1, "material list"},
		{"no event", "", []string{"training", "attendance"}, 2, "usage"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := c.run(tt.stdin, tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.stderr) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", code, tt.code, errs, tt.stderr)
			}
			if out != "" {
				t.Fatalf("output on failure: %q", out)
			}
		})
	}
	if n := len(decode[map[string]any](t, c.ok("", "training", "attendance", ev))["attendees"].([]any)); n != 2 {
		t.Errorf("the refusals changed the list: %d attendees", n)
	}
}

// A test before and after, linked to the training, gives its results.
func TestTrainingResultsCommand(t *testing.T) {
	c := newCLI(t)
	c.ok("", "init", "--device-name", "Ат-Башы ноутбугу")
	c.ok("", "council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы коомдук кеңеши", "--oblast", "KG-N", "--district", "KG-N-ATB")
	c.ok("", "council", "home", "NRN-ATB")
	ev := decode[map[string]any](t, c.ok(trainingJSON, "event", "add"))["id"].(string)
	c.ok("", "form", "publish", "../../../shared/xlsform/testdata/training_test.xlsx")
	c.ok(`{"stage": "pre", "q1": "d30", "q2": "anyone", "q3": ["request"], "confidence": 2}`, "response", "add", "training_test", "--event", ev)
	c.ok(`{"stage": "post", "q1": "d14", "q2": "council", "q3": ["request", "hearing"], "confidence": 5}`, "response", "add", "training_test", "--event", ev)
	res := decode[[]map[string]any](t, c.ok("", "training", "results", ev))
	if len(res) != 1 || res[0]["pre"].(float64) != 1 || res[0]["post"].(float64) != 1 ||
		res[0]["score_pre"].(map[string]any)["value"].(float64) != 0 || res[0]["score_post"].(map[string]any)["value"].(float64) != 1 {
		t.Fatalf("results: %v", res)
	}
}
