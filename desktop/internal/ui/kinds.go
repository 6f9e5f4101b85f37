package ui

import "github.com/kenesh/kenesh/shared/domain"

// The kinds of record the interface shows, each described in a file of its
// own (appealkind.go, eventkind.go) and shown by the same list, record page
// and form (kindlist.go, kinddetail.go, kindform.go). A new kind adds its
// description and a line here.

type (
	appealForm   = recordForm[domain.Appeal]
	appealDetail = recordDetail[domain.Appeal]
	eventForm    = recordForm[domain.Event]
	eventDetail  = recordDetail[domain.Event]
)

func newAppealForm(u *UI, a *domain.Appeal) *appealForm { return newRecordForm(u, &appealFormSpec, a) }
func newAppealDetail(u *UI, id string) *appealDetail {
	return newRecordDetail(u, &appealDetailSpec, id)
}
func newAppealsPage(u *UI) *recordList               { return newRecordList(u, &appealListSpec) }
func newEventForm(u *UI, e *domain.Event) *eventForm { return newRecordForm(u, &eventFormSpec, e) }
func newEventDetail(u *UI, id string) *eventDetail   { return newRecordDetail(u, &eventDetailSpec, id) }
func newEventsPage(u *UI) *recordList                { return newRecordList(u, &eventListSpec) }

// The pages of a kind open one another: the list a record's page, the page
// its form, a new record's form (saved) its page; the list's button
// records one as the shell does (Ctrl+N, Ctrl+E).
var (
	_ = linkKind(&appealFormSpec, &appealDetailSpec, &appealListSpec, (*shell).newAppeal)
	_ = linkKind(&eventFormSpec, &eventDetailSpec, &eventListSpec, (*shell).newEvent)
)

func linkKind[R any](f *formSpec[R], d *detailSpec[R], l *listSpec, record func(*shell)) bool {
	f.detail = func(u *UI, id string) page { return newRecordDetail(u, d, id) }
	d.edit = func(u *UI, r *R) page { return newRecordForm(u, f, r) }
	l.open = f.detail
	l.record = record
	return true
}
