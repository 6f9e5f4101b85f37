package domain

import (
	"fmt"
	"slices"
)

// Status is a step of an appeal's life.
type Status string

const (
	StatusReceived     Status = "received"
	StatusUnderReview  Status = "under_review"
	StatusFactChecking Status = "fact_checking"
	StatusVerified     Status = "verified"
	StatusRejected     Status = "rejected"
	StatusReferred     Status = "referred"
	StatusAnswered     Status = "answered"
	StatusClosed       Status = "closed"
)

// Statuses in workflow order.
var Statuses = []Status{StatusReceived, StatusUnderReview, StatusFactChecking, StatusVerified,
	StatusRejected, StatusReferred, StatusAnswered, StatusClosed}

// transitions is the workflow. Besides the main line it allows the moves a
// real case needs: back to review when fact-checking finds the appeal
// incomplete, reopening a rejection, a second referral when an authority's
// answer does not resolve the matter, and closing a verified appeal that
// needs no referral (settled at the council, or published only).
var transitions = map[Status][]Status{
	StatusReceived:     {StatusUnderReview, StatusRejected},
	StatusUnderReview:  {StatusFactChecking, StatusRejected},
	StatusFactChecking: {StatusVerified, StatusRejected, StatusUnderReview},
	StatusVerified:     {StatusReferred, StatusClosed},
	StatusRejected:     {StatusClosed, StatusUnderReview},
	StatusReferred:     {StatusAnswered},
	StatusAnswered:     {StatusClosed, StatusReferred},
	StatusClosed:       nil,
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { _, ok := transitions[s]; return ok }

// Next lists the statuses an appeal in s may move to.
func (s Status) Next() []Status { return slices.Clone(transitions[s]) }

// CanMove reports whether from → to is a step of the workflow.
func CanMove(from, to Status) bool { return slices.Contains(transitions[from], to) }

// AwaitsAnswer reports whether an appeal in s still awaits its answer, and so
// can be overdue.
func (s Status) AwaitsAnswer() bool {
	switch s {
	case StatusAnswered, StatusClosed, StatusRejected:
		return false
	}
	return true
}

// TransitionError is an illegal move; it says which moves are allowed.
type TransitionError struct {
	From, To Status
}

func (e *TransitionError) Error() string {
	if !e.To.Valid() {
		return fmt.Sprintf("%q is not a status (one of: %v)", e.To, Statuses)
	}
	next := e.From.Next()
	if len(next) == 0 {
		return fmt.Sprintf("an appeal that is %s cannot change status", e.From)
	}
	return fmt.Sprintf("an appeal that is %s cannot become %s; it can become: %v", e.From, e.To, next)
}

func (e *TransitionError) Is(target error) bool { return target == ErrIllegalTransition }
