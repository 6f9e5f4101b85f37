package xlsform

import (
	"encoding/json"
	"slices"
)

// What people learned at a training, from a test they take before it and
// after it: one form, filled by each person twice.
//
// The rules, kept simple so that anyone can count the same by hand:
//   - A response says when it was taken by its answer to the question
//     named stage (StageQuestion), a select_one whose choices are pre
//     (before the training) and post (after). A response with another
//     answer, or none, is counted in neither (Unstaged).
//   - A question with correct answers (the survey sheet's "correct"
//     column, Question.Correct) is answered correctly when its answer is
//     the correct choice (a select_one) or exactly the correct choices (a
//     select_multiple, in any order). Its result is the share of the
//     stage's responses that answered it correctly; a response that left
//     it unanswered did not.
//   - A response's score is the share of the form's marked questions it
//     answered correctly; the stage's score is the mean of its responses'.
//   - An integer or decimal question with no correct answer (a
//     self-assessment: "how ready do you feel, 1-5") has as result the
//     mean of the answers given at each stage.
//   - Other questions (texts, dates, selects with no correct answer) have
//     no result.

// StageQuestion is the name of the question that says whether a test was
// taken before (StagePre) or after (StagePost) a training.
const (
	StageQuestion = "stage"
	StagePre      = "pre"
	StagePost     = "post"
)

// Measures of a question's result.
const (
	MeasureCorrect = "correct" // the share answered correctly, 0 to 1
	MeasureMean    = "mean"    // the mean of the answers
)

// Stat is a result at one stage: N responses counted (those of the stage;
// for a mean, those that answered) and the value (a share from 0 to 1, or
// a mean); no value when N is 0.
type Stat struct {
	N     int     `json:"n"`
	Value float64 `json:"value"`
}

// QuestionResult is a question's result before and after.
type QuestionResult struct {
	Question *Question `json:"-"`
	Name     string    `json:"name"`
	Measure  string    `json:"measure"`
	Pre      Stat      `json:"pre"`
	Post     Stat      `json:"post"`
}

// Learning is what a form's responses show before and after a training.
type Learning struct {
	FormID   string `json:"form_id"`
	Version  string `json:"version"`
	Pre      int    `json:"pre"`
	Post     int    `json:"post"`
	Unstaged int    `json:"unstaged"`
	// Marked is how many questions have correct answers; with none, the
	// scores have no value.
	Marked    int              `json:"marked"`
	ScorePre  Stat             `json:"score_pre"`
	ScorePost Stat             `json:"score_post"`
	Questions []QuestionResult `json:"questions"`
}

// Staged reports whether the form can tell a test before a training from
// one after: it has a select_one named stage offering pre and post.
func (f *Form) Staged() bool {
	q := f.Question(StageQuestion)
	return q != nil && q.Type == TypeSelectOne && f.Choice(q.List, StagePre) != nil && f.Choice(q.List, StagePost) != nil
}

// StageOf is the stage a response was taken at: StagePre, StagePost or ""
// (the form is not staged, or the response does not say).
func (f *Form) StageOf(a Answers) string {
	if !f.Staged() {
		return ""
	}
	var s string
	if json.Unmarshal(a[StageQuestion], &s) != nil || (s != StagePre && s != StagePost) {
		return ""
	}
	return s
}

// IsCorrect reports whether raw answers question q correctly (false when
// q has no correct answers, or raw is no answer of its type).
func (q *Question) IsCorrect(raw json.RawMessage) bool {
	if len(q.Correct) == 0 || !answered(raw) {
		return false
	}
	if _, msg := decodeAnswer(q, raw); msg != "" {
		return false
	}
	switch q.Type {
	case TypeSelectOne:
		var s string
		return json.Unmarshal(raw, &s) == nil && len(q.Correct) == 1 && s == q.Correct[0]
	case TypeSelectMultiple:
		var ss []string
		if json.Unmarshal(raw, &ss) != nil || len(ss) != len(q.Correct) {
			return false
		}
		for _, c := range q.Correct {
			if !slices.Contains(ss, c) {
				return false
			}
		}
		return true
	}
	return false
}

// Learn counts what responses (answers to this form) show before and
// after, by the rules above.
func (f *Form) Learn(responses []Answers) Learning {
	l := Learning{FormID: f.ID, Version: f.Version}
	var marked, means []*Question
	for _, q := range f.Fields() {
		switch {
		case q.Name == StageQuestion:
		case len(q.Correct) > 0:
			marked = append(marked, q)
		case q.Type == TypeInteger || q.Type == TypeDecimal:
			means = append(means, q)
		}
	}
	l.Marked = len(marked)
	type sums struct{ correct, n int }
	type meanSum struct {
		sum float64
		n   int
	}
	correct := map[string]map[string]*sums{StagePre: {}, StagePost: {}}
	mean := map[string]map[string]*meanSum{StagePre: {}, StagePost: {}}
	score := map[string]*meanSum{StagePre: {}, StagePost: {}}
	for _, a := range responses {
		stage := f.StageOf(a)
		switch stage {
		case StagePre:
			l.Pre++
		case StagePost:
			l.Post++
		default:
			l.Unstaged++
			continue
		}
		right := 0
		for _, q := range marked {
			s := correct[stage][q.Name]
			if s == nil {
				s = &sums{}
				correct[stage][q.Name] = s
			}
			s.n++
			if q.IsCorrect(a[q.Name]) {
				s.correct++
				right++
			}
		}
		if len(marked) > 0 {
			score[stage].sum += float64(right) / float64(len(marked))
			score[stage].n++
		}
		for _, q := range means {
			raw := a[q.Name]
			if !answered(raw) {
				continue
			}
			v, msg := decodeAnswer(q, raw)
			if msg != "" {
				continue
			}
			m := mean[stage][q.Name]
			if m == nil {
				m = &meanSum{}
				mean[stage][q.Name] = m
			}
			m.sum += v.n
			m.n++
		}
	}
	share := func(s *sums) Stat {
		if s == nil || s.n == 0 {
			return Stat{}
		}
		return Stat{N: s.n, Value: float64(s.correct) / float64(s.n)}
	}
	avg := func(m *meanSum) Stat {
		if m == nil || m.n == 0 {
			return Stat{}
		}
		return Stat{N: m.n, Value: m.sum / float64(m.n)}
	}
	l.ScorePre, l.ScorePost = avg(score[StagePre]), avg(score[StagePost])
	for _, q := range f.Fields() {
		switch {
		case slices.Contains(marked, q):
			l.Questions = append(l.Questions, QuestionResult{Question: q, Name: q.Name, Measure: MeasureCorrect,
				Pre: share(correct[StagePre][q.Name]), Post: share(correct[StagePost][q.Name])})
		case slices.Contains(means, q):
			l.Questions = append(l.Questions, QuestionResult{Question: q, Name: q.Name, Measure: MeasureMean,
				Pre: avg(mean[StagePre][q.Name]), Post: avg(mean[StagePost][q.Name])})
		}
	}
	return l
}
