package ui

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/session"
	"github.com/kenesh/kenesh/shared/domain"
)

// problem says in the interface language what went wrong and what to do.
// Only a problem nobody foresaw keeps the core's English detail, after a
// translated sentence, so that a trainer on the phone can still read it.
func (u *UI) problem(err error) string {
	if err == nil {
		return ""
	}
	code := session.Code(err)
	if code == session.ProblemTransition {
		var te *domain.TransitionError
		if errors.As(err, &te) {
			return u.T("problem.transition", "from", u.statusName(string(te.From)), "to", u.statusName(string(te.To)))
		}
	}
	if code == session.ProblemInvalid || code == session.ProblemForbidden {
		// A form's fields at fault, or those a server's refusal names.
		var ve *domain.ValidationError
		if errors.As(err, &ve) && len(ve.Fields) > 0 {
			var parts []string
			for _, f := range ve.Fields {
				parts = append(parts, u.fieldName(f.Field)+": "+u.fieldMessage(f))
			}
			return u.T("problem."+code) + "\n" + strings.Join(parts, "\n")
		}
	}
	if code == session.ProblemNewerData {
		return u.T("problem.newer_data", "version", session.NewerRelease(err))
	}
	if code == session.ProblemOther {
		return u.T("problem.other") + "\n(" + err.Error() + ")"
	}
	return u.T("problem." + code)
}

// syncProblem says the sync loop's last error (syncer.Status.Err) in
// plain words, by what the error is (session.Code: its protocol code, the
// sentinel it wraps, a refusal's fields), never by its English text,
// which is the server's or Go's.
func (u *UI) syncProblem(err error) string {
	if err == nil {
		return ""
	}
	if session.Code(err) != session.ProblemOther {
		return u.problem(err)
	}
	return u.T("problem.sync_other") + " (" + short(err.Error(), 160) + ")"
}

func (u *UI) showError(err error) {
	u.showMessage(u.T("dialog.error"), u.problem(err))
}

func (u *UI) showMessage(title, msg string) {
	l := widget.NewLabel(msg)
	l.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustom(title, u.T("action.close"), l, u.win)
	d.Resize(d.MinSize().AddWidthHeight(300, 0))
	d.Show()
}

func (u *UI) confirm(title, msg, yes string, then func()) {
	l := widget.NewLabel(msg)
	l.Wrapping = fyne.TextWrapWord
	d := dialog.NewCustomConfirm(title, yes, u.T("action.cancel"), l, func(ok bool) {
		if ok {
			then()
		}
	}, u.win)
	d.Resize(d.MinSize().AddWidthHeight(300, 0))
	d.Show()
}

// fieldMessage translates one field error by its stable code.
func (u *UI) fieldMessage(f domain.FieldError) string {
	last := f.Field
	if i := strings.LastIndexAny(last, ".]"); i >= 0 {
		last = last[i+1:]
	}
	if m := indexed.FindStringSubmatch(f.Field); m != nil && m[3] == "" {
		last = m[1]
	}
	switch f.Code {
	case domain.CodeFormat:
		if k := "err.format." + last; u.tr.Has(k) {
			return u.T(k)
		}
	case domain.CodeRange:
		if strings.HasSuffix(last, "_on") || last == "date" || last == "due" {
			return u.T("err.date_range")
		}
	case domain.CodeRequired:
		if last == "name" && strings.HasPrefix(f.Field, "appellant") {
			return u.T("err.required.appellant")
		}
		if k := "err.required." + last; u.tr.Has(k) {
			return u.T(k)
		}
	case domain.CodeForbidden:
		if k := "err.not_allowed." + last; u.tr.Has(k) {
			return u.T(k)
		}
	case domain.CodeMismatch:
		if k := "err.mismatch." + last; u.tr.Has(k) {
			return u.T(k)
		}
	}
	if k := "err." + f.Code; u.tr.Has(k) {
		return u.T(k)
	}
	return f.Message
}

// fieldName is a record field's name for a person.
func (u *UI) fieldName(name string) string {
	base := name
	if m := indexed.FindStringSubmatch(name); m != nil {
		base = m[1]
	}
	if i := strings.Index(base, "/"); i > 0 { // collection items: "followups/ID"
		base = base[:i]
	}
	if k := "field." + base; u.tr.Has(k) {
		return u.T(k)
	}
	return name
}
