package xlsform

import (
	"encoding/json"
	"math"
	"testing"
)

func TestIsCorrect(t *testing.T) {
	f := loadForm(t, "training_test")
	for _, c := range []struct {
		q, answer string
		want      bool
	}{
		{"q1", `"d14"`, true},
		{"q1", `"d30"`, false},
		{"q1", `""`, false},
		{"q1", `["d14"]`, false},
		{"q3", `["request", "hearing"]`, true},
		{"q3", `["hearing", "request"]`, true},
		{"q3", `["request"]`, false},
		{"q3", `["request", "hearing", "fine"]`, false},
		{"q3", `["request", "request"]`, false},
		{"q3", `[]`, false},
		{"confidence", `5`, false}, // no correct answer
		{"stage", `"pre"`, false},
	} {
		if got := f.Question(c.q).IsCorrect(json.RawMessage(c.answer)); got != c.want {
			t.Errorf("%s %s: IsCorrect = %v, want %v", c.q, c.answer, got, c.want)
		}
	}
}

// TestLearn counts seven responses by hand: two before, three after, two
// that say neither.
func TestLearn(t *testing.T) {
	f := loadForm(t, "training_test")
	if !f.Staged() {
		t.Fatal("the training test is not staged")
	}
	var rs []Answers
	for _, s := range []string{
		`{"stage": "pre", "q1": "d14", "q2": "anyone", "q3": ["request"], "confidence": 2}`,                     // 1 of 3
		`{"stage": "pre", "q1": "d30", "q2": "council", "q3": ["hearing", "request"]}`,                          // 2 of 3
		`{"stage": "post", "q1": "d14", "q2": "council", "q3": ["request", "hearing"], "confidence": 4}`,        // 3 of 3
		`{"stage": "post", "q1": "d14", "q2": "anyone", "q3": ["request", "hearing", "fine"], "confidence": 5}`, // 1 of 3
		`{"stage": "post", "q1": "d14"}`, // 1 of 3: unanswered is not correct
		`{"q1": "d14", "q2": "council", "q3": ["request", "hearing"]}`,
		`{"stage": "later", "q1": "d14"}`,
	} {
		var a Answers
		if err := json.Unmarshal([]byte(s), &a); err != nil {
			t.Fatal(err)
		}
		rs = append(rs, a)
	}
	l := f.Learn(rs)
	if l.Pre != 2 || l.Post != 3 || l.Unstaged != 2 || l.Marked != 3 || l.FormID != "training_test" {
		t.Fatalf("counts: %+v", l)
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	if l.ScorePre.N != 2 || !near(l.ScorePre.Value, 0.5) || l.ScorePost.N != 3 || !near(l.ScorePost.Value, 5.0/9) {
		t.Errorf("scores: pre %+v, post %+v; want 0.5 of 2, 5/9 of 3", l.ScorePre, l.ScorePost)
	}
	want := []QuestionResult{
		{Name: "q1", Measure: MeasureCorrect, Pre: Stat{2, 0.5}, Post: Stat{3, 1}},
		{Name: "q2", Measure: MeasureCorrect, Pre: Stat{2, 0.5}, Post: Stat{3, 1.0 / 3}},
		{Name: "q3", Measure: MeasureCorrect, Pre: Stat{2, 0.5}, Post: Stat{3, 1.0 / 3}},
		{Name: "confidence", Measure: MeasureMean, Pre: Stat{1, 2}, Post: Stat{2, 4.5}},
	}
	if len(l.Questions) != len(want) {
		t.Fatalf("questions: %+v", l.Questions)
	}
	for i, w := range want {
		g := l.Questions[i]
		if g.Name != w.Name || g.Measure != w.Measure || g.Pre.N != w.Pre.N || g.Post.N != w.Post.N ||
			!near(g.Pre.Value, w.Pre.Value) || !near(g.Post.Value, w.Post.Value) || g.Question != f.Question(w.Name) {
			t.Errorf("question %d: %+v, want %+v", i, g, w)
		}
	}
	// No responses: nothing counted, no values.
	if e := f.Learn(nil); e.Pre != 0 || e.ScorePre != (Stat{}) || e.Questions[0].Post != (Stat{}) {
		t.Errorf("no responses: %+v", e)
	}
	// A form with no stage question counts every response as unstaged.
	fb := loadForm(t, "event_feedback")
	if fb.Staged() || fb.StageOf(rs[0]) != "" {
		t.Error("event_feedback is not staged")
	}
}
