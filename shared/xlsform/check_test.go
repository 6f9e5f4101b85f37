package xlsform

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

var checkDay = caldate.MustParse("2026-03-12")

// validNeeds is a whole, valid response to the council needs assessment.
const validNeeds = `{
	"respondent_name": "Асанова Айгүл", "gender": "female", "age": 41, "role": "secretary",
	"oblast": "KG-N", "district": "KG-N-ATB", "members": 15, "women": 6, "founded": "2019-04-02",
	"trained": "yes", "trained_topics": ["law", "appeals"], "needed_topics": ["budget", "media"],
	"budget": 120.5, "comment": "Жергиликтүү бюджетти көзөмөлдөөнү үйрөнгүбүз келет"
}`

func answers(t *testing.T, base string, change string) Answers {
	t.Helper()
	var a Answers
	if err := json.Unmarshal([]byte(base), &a); err != nil {
		t.Fatal(err)
	}
	if change != "" {
		var c map[string]json.RawMessage
		if err := json.Unmarshal([]byte(change), &c); err != nil {
			t.Fatal(err)
		}
		for k, v := range c {
			if string(v) == "null" {
				delete(a, k)
				continue
			}
			a[k] = v
		}
	}
	return a
}

// faults lists "question:code" of a validation error, sorted.
func faults(err error) string {
	var ve *domain.ValidationError
	if !errors.As(err, &ve) {
		if err != nil {
			return "not a ValidationError: " + err.Error()
		}
		return ""
	}
	var out []string
	for _, f := range ve.Fields {
		out = append(out, f.Field+":"+f.Code)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func TestCheckCouncilNeeds(t *testing.T) {
	f := loadForm(t, "council_needs")
	cases := []struct {
		name, change, want string
	}{
		{"valid", "", ""},
		{"optional left out", `{"women": null, "budget": null, "comment": null, "founded": null}`, ""},
		{"empty values are unanswered", `{"comment": "", "budget": null, "founded": null}`, ""},
		{"required missing", `{"respondent_name": null, "gender": null}`, "gender:required respondent_name:required"},
		{"required empty text", `{"respondent_name": ""}`, "respondent_name:required"},
		{"age below the constraint", `{"age": 16}`, "age:out_of_range"},
		{"age not whole", `{"age": 41.5}`, "age:bad_format"},
		{"age as text", `{"age": "41"}`, "age:bad_format"},
		{"unknown question", `{"favourite": "x"}`, "favourite:unknown_code"},
		{"not a choice", `{"gender": "other"}`, "gender:unknown_code"},
		{"district of another oblast (choice filter)", `{"district": "KG-C-SOK"}`, "district:unknown_code"},
		{"district after the oblast changed", `{"oblast": "KG-C", "district": "KG-C-SOK"}`, ""},
		{"relevant other role needs its text", `{"role": "other"}`, "role_other:required"},
		{"other role given", `{"role": "other", "role_other": "Байкоочу"}`, ""},
		{"answer to a question not asked", `{"role_other": "Байкоочу"}`, "role_other:not_allowed"},
		{"trained topics not asked when not trained", `{"trained": "no"}`, "trained_topics:not_allowed"},
		{"not trained", `{"trained": "no", "trained_topics": null}`, ""},
		{"too many topics", `{"trained_topics": ["law", "budget", "appeals", "media"]}`, "trained_topics:out_of_range"},
		{"a topic twice", `{"trained_topics": ["law", "law"]}`, "trained_topics:bad_format"},
		{"select_multiple as text", `{"trained_topics": "law"}`, "trained_topics:bad_format"},
		{"none with others", `{"needed_topics": ["none", "law"]}`, "needed_topics:out_of_range"},
		{"none alone", `{"needed_topics": ["none"]}`, ""},
		{"more women than members (constraint naming another answer)", `{"women": 16}`, "women:out_of_range"},
		{"founded in the future", `{"founded": "2026-03-13"}`, "founded:out_of_range"},
		{"founded today", `{"founded": "2026-03-12"}`, ""},
		{"a date written otherwise", `{"founded": "02.04.2019"}`, "founded:bad_format"},
		{"negative budget", `{"budget": -1}`, "budget:out_of_range"},
		{"budget as text", `{"budget": "many"}`, "budget:bad_format"},
		{"comment too long for its constraint", `{"comment": "` + strings.Repeat("ө", 501) + `"}`, "comment:out_of_range"},
		{"a note takes no answer", `{"intro": "x"}`, "intro:not_allowed"},
		{"a group takes no answer", `{"needs": "x"}`, "needs:not_allowed"},
		// The needs group is asked when members > 0: without members
		// (required anyway), none of its questions are asked.
		{"group not asked", `{"members": null, "women": null}`, "budget:not_allowed comment:not_allowed members:required needed_topics:not_allowed trained:not_allowed trained_topics:not_allowed"},
		{"several at once", `{"age": 5, "gender": "x", "oblast": null}`, "age:out_of_range district:unknown_code gender:unknown_code oblast:required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := f.Check(answers(t, validNeeds, c.change), checkDay)
			if got := faults(err); got != c.want {
				t.Errorf("got %q, want %q (%v)", got, c.want, err)
			}
		})
	}
}

func TestCheckMessages(t *testing.T) {
	f := loadForm(t, "council_needs")
	err := f.Check(answers(t, validNeeds, `{"age": 12, "district": "KG-C-SOK"}`), checkDay)
	for _, want := range []string{
		"age: does not meet its constraint . >= 18 and . <= 99: Age must be 18 to 99",
		`district: "KG-C-SOK" is not offered with the answers given (choice_filter oblast=${oblast})`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v\nwant %s", err, want)
		}
	}
	err = f.Check(answers(t, validNeeds, `{"role":"other"}`), checkDay)
	if err == nil || !strings.Contains(err.Error(), "role_other: is required") {
		t.Error(err)
	}
	err = f.Check(answers(t, validNeeds, `{"trained":"no"}`), checkDay)
	if err == nil || !strings.Contains(err.Error(), "trained_topics: is not asked (relevant selected(${trained}, 'yes') is false): leave it out") {
		t.Error(err)
	}
	err = f.Check(answers(t, validNeeds, `{"members": null, "women": null}`), checkDay)
	if err == nil || !strings.Contains(err.Error(), "budget: is not asked (its group needs is not asked: relevant ${members} > 0 is false)") {
		t.Error(err)
	}
}

func TestCheckOtherForms(t *testing.T) {
	fb := loadForm(t, "event_feedback")
	tt := loadForm(t, "training_test")
	cases := []struct {
		f             *Form
		answers, want string
	}{
		{fb, `{"rating": 5, "again": "yes"}`, ""},
		{fb, `{"rating": 1}`, "why_low:required"},
		{fb, `{"rating": 1, "why_low": "Залда суук болду", "again": "no", "suggest": "Жылуу зал"}`, ""},
		{fb, `{"rating": 5, "again": "yes", "suggest": "x"}`, "suggest:not_allowed"},
		{fb, `{"rating": 6}`, "rating:out_of_range"},
		{fb, `{}`, "rating:required"},
		{tt, `{"stage": "pre", "q1": "d14", "q2": "anyone", "q3": ["request", "hearing"]}`, ""},
		{tt, `{"stage": "post", "q1": "d14", "q2": "anyone", "confidence": 4}`, "q3:required"},
		{tt, `{"stage": "later", "q1": "d90", "q2": "anyone", "q3": ["fine"]}`, "q1:unknown_code stage:unknown_code"},
	}
	for _, c := range cases {
		var a Answers
		if err := json.Unmarshal([]byte(c.answers), &a); err != nil {
			t.Fatal(err)
		}
		if got := faults(c.f.Check(a, checkDay)); got != c.want {
			t.Errorf("%s %s: got %q, want %q", c.f.ID, c.answers, got, c.want)
		}
	}
}

func TestStateAndPrune(t *testing.T) {
	f := loadForm(t, "council_needs")
	a := answers(t, validNeeds, `{"oblast": "KG-J", "role": "other", "role_other": "Байкоочу"}`)
	st := f.Evaluate(a, checkDay)
	if !st.Relevant("role_other") || !st.Relevant("needs") || !st.Relevant("trained_topics") {
		t.Error("relevance")
	}
	var offered []string
	for _, c := range st.Offered(f.Question("district")) {
		offered = append(offered, c.Name)
	}
	if strings.Join(offered, ",") != "KG-J-ALA,KG-J-NOO" {
		t.Errorf("districts offered in KG-J: %v", offered)
	}
	if !st.Required(f.Question("age")) || st.Required(f.Question("women")) {
		t.Error("required")
	}
	a["trained"] = json.RawMessage(`"no"`)
	a["role"] = json.RawMessage(`"chair"`)
	p := f.Prune(a, checkDay)
	if _, ok := p["trained_topics"]; ok {
		t.Error("trained_topics kept after trained became no")
	}
	if _, ok := p["role_other"]; ok {
		t.Error("role_other kept")
	}
	if len(p) != len(a)-2 {
		t.Errorf("pruned %d of %d", len(a)-len(p), len(a))
	}
}

func TestDecodeRefuses(t *testing.T) {
	f := loadForm(t, "training_test")
	js, _ := json.Marshal(f)
	cases := []struct{ from, to, want string }{
		{`"form_id":"training_test"`, `"form_id":"1x"`, `settings sheet, column form_id: "1x" is not a form id`},
		{`"type":"integer"`, `"type":"geopoint"`, `"geopoint" is not a supported type`},
		{`"list":"q1"`, `"list":"nope"`, `list "nope" is not in the choices sheet`},
		{`"name":"q2"`, `"name":"q1"`, "q1 is the name of row"},
		{`"required":"true()"`, `"required":"pulldata()"`, "function pulldata() is not supported"},
		{`"version":"v3"`, `"version":""`, "is not a version"},
		{`"ky":"Окуунун тести"`, `"fr":"Test"`, `language "fr" is none of ky, ru, en`},
		{`"correct":["d14"]`, `"correct":["d90"]`, `"d90" is not a choice of list q1`},
		{`"form_id"`, `"form_idx"`, "unknown field"},
	}
	for _, c := range cases {
		bad := strings.Replace(string(js), c.from, c.to, 1)
		if bad == string(js) {
			t.Fatalf("%s not in %s", c.from, js)
		}
		_, err := Decode([]byte(bad))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %s", c.to, err, c.want)
		}
	}
}
