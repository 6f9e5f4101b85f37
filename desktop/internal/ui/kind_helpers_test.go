package ui

import (
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
)

// The controls of a form, found by the record field they edit.

func (f *recordForm[R]) control(name string) any {
	in, ok := f.inputs[name]
	if !ok {
		panic("the form has no field " + name)
	}
	switch x := any(in).(type) {
	case *entryInput[R]:
		return x.e
	case *selectInput[R]:
		return x.s
	case *multiInput[R]:
		return x.m
	case *checkInput[R]:
		return x.c
	case *participantsInput:
		return x
	case speakersInput:
		return x.rows
	case followUpsInput:
		return x.rows
	}
	panic("unknown input " + name)
}

func (f *recordForm[R]) entry(name string) *controls.Entry { return f.control(name).(*controls.Entry) }
func (f *recordForm[R]) choice(name string) *controls.CodeSelect {
	return f.control(name).(*controls.CodeSelect)
}
func (f *recordForm[R]) ticks(name string) *controls.MultiCheck {
	return f.control(name).(*controls.MultiCheck)
}
func (f *recordForm[R]) rows(name string) *controls.Rows { return f.control(name).(*controls.Rows) }

// counts are an event form's participant counts by group: female, male,
// unspecified.
func (f *recordForm[R]) counts() map[string][3]*controls.Entry {
	return f.control("participants").(*participantsInput).counts
}

// TestFormFieldsAreLabelled: every field of every kind's form has a label
// in every language, and a name the core's errors can reach.
func TestFormFieldsAreLabelled(t *testing.T) {
	h := unlocked(t, "ky", 0, 0, 0)
	for _, f := range []interface {
		fieldNames() []string
		labelKeys() []string
	}{newAppealForm(h.u, nil), newEventForm(h.u, nil)} {
		for _, k := range f.labelKeys() {
			if !h.u.tr.Has(k) {
				t.Errorf("no translation of %q", k)
			}
		}
		if len(f.fieldNames()) < 10 {
			t.Errorf("only %d fields: %v", len(f.fieldNames()), f.fieldNames())
		}
	}
}

func (f *recordForm[R]) fieldNames() []string { return f.order }

func (f *recordForm[R]) labelKeys() []string {
	var out []string
	for _, sec := range f.spec.sections {
		if sec.title != "" {
			out = append(out, sec.title)
		}
		for _, fd := range sec.fields {
			out = append(out, fd.label)
		}
	}
	return out
}
