package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
)

// The menu's shortcuts open a new appeal or event and put the cursor in
// the search field; Tab goes through a form in reading order.
func TestShortcutsAndTabOrder(t *testing.T) {
	h := unlocked(t, "ky", 5, 2, 0)
	menu := h.u.shell.mainMenu()
	find := func(key fyne.KeyName) *fyne.MenuItem {
		for _, m := range menu.Items {
			for _, it := range m.Items {
				if sc, ok := it.Shortcut.(*desktop.CustomShortcut); ok && sc.KeyName == key && sc.Modifier == fyne.KeyModifierShortcutDefault {
					return it
				}
			}
		}
		t.Fatalf("no menu item for Ctrl+%s", key)
		return nil
	}
	find(fyne.KeyN).Action()
	f, ok := h.u.shell.top().(*appealForm)
	if !ok {
		t.Fatalf("Ctrl+N opened %T", h.u.shell.top())
	}
	c := h.win.Canvas()
	c.Focus(f.entry("received_on"))
	test.FocusNext(c)
	if c.Focused() != f.entry("registered_on") {
		t.Fatalf("Tab from the received date went to %T", c.Focused())
	}

	// A form with changes asks before it is left.
	f.entry("summary").SetText("Жарым-жартылай жазылган")
	find(fyne.KeyE).Action()
	if _, still := h.u.shell.top().(*appealForm); !still {
		t.Fatal("Ctrl+E dropped a form with unsaved changes without asking")
	}
	h.mustShow(h.T("form.discard_text"))
	h.tap(h.T("form.discard"))
	if _, ok := h.u.shell.top().(*eventForm); !ok {
		t.Fatalf("after leaving, the top is %T", h.u.shell.top())
	}

	find(fyne.KeyF).Action()
	ep := h.u.shell.root(secEvents).(*recordList)
	if c.Focused() != ep.f.search {
		t.Fatalf("Ctrl+F in events focused %T", c.Focused())
	}
	find(fyne.Key3).Action()
	if h.u.shell.section != secAppeals {
		t.Fatalf("Ctrl+3 went to %s", h.u.shell.section)
	}
	// While locked the menu does nothing.
	h.u.lock()
	find(fyne.KeyN).Action()
	if _, ok := h.u.shell.top().(*appealForm); ok {
		t.Fatal("a shortcut acted while locked")
	}
}
