// Package controls holds the Fyne widgets and layouts the screens are built
// of that know nothing of Kenesh: an entry and a drop-down of codes that
// report activity, check boxes over a coded list, rows of small items, a
// link, and the layouts of list rows and label-value grids.
package controls
