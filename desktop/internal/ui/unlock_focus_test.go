package ui

import (
	"testing"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

func TestShowsFindsAnEntryInsideScreens(t *testing.T) {
	pass := widget.NewPasswordEntry()
	other := widget.NewEntry()
	tree := container.NewStack(widget.NewLabel("x"), container.NewVScroll(container.NewPadded(container.NewVBox(widget.NewLabel("y"), pass))))
	if !shows(tree, pass) {
		t.Fatal("the entry of the screen is not found")
	}
	if shows(tree, other) {
		t.Fatal("an entry of another screen is found")
	}
}
