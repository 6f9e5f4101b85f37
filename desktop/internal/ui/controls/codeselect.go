package controls

import "fyne.io/fyne/v2/widget"

// CodeSelect is a Select over a coded list, showing names and giving back
// codes. It extends widget.Select (the Select is embedded by value and
// ExtendBaseWidget is given the wrapper), so the object on screen is the
// one Fyne asks for its canvas, position and renderer: a Select embedded
// by pointer and shown through a wrapper gets no canvas in a real window
// (its pop-up crashes) and redraws a renderer nobody shows.
type CodeSelect struct {
	widget.Select
	codes []string
	names []string
}

// NewCodeSelect offers names for codes. With anyLabel, a first choice ""
// named anyLabel is chosen (a filter's "any"); without, nothing is chosen
// and placeholder shows. changed is called with the code a person picks
// (after touch), never for what the program sets before it is shown.
func NewCodeSelect(codes, names []string, anyLabel, placeholder string, touch func(), changed func(code string)) *CodeSelect {
	cs := &CodeSelect{}
	cs.ExtendBaseWidget(cs)
	if anyLabel != "" {
		codes = append([]string{""}, codes...)
		names = append([]string{anyLabel}, names...)
	}
	cs.codes, cs.names = codes, names
	cs.Options = names
	cs.PlaceHolder = placeholder
	if anyLabel != "" {
		// Never shown (something is always chosen), and its width would
		// widen a row of filters.
		cs.PlaceHolder = " "
		cs.SetSelectedIndex(0)
	}
	// Wired after the first selection: building a form is not a change.
	cs.OnChanged = func(string) {
		if touch != nil {
			touch()
		}
		if changed != nil {
			changed(cs.Code())
		}
	}
	return cs
}

// Code is the selected code ("" for none or "any").
func (c *CodeSelect) Code() string {
	i := c.SelectedIndex()
	if i < 0 || i >= len(c.codes) {
		return ""
	}
	return c.codes[i]
}

// SetCode selects code; an unknown code clears the selection.
func (c *CodeSelect) SetCode(code string) {
	for i, k := range c.codes {
		if k == code {
			c.SetSelectedIndex(i)
			return
		}
	}
	c.ClearSelected()
}

// SetOptions replaces the choices, keeping the selected code if it remains.
func (c *CodeSelect) SetOptions(codes, names []string, anyLabel string) {
	cur := c.Code()
	// Replacing the choices is not a choice of the person: no callback.
	cb := c.OnChanged
	c.OnChanged = nil
	defer func() { c.OnChanged = cb }()
	if anyLabel != "" {
		codes = append([]string{""}, codes...)
		names = append([]string{anyLabel}, names...)
	}
	c.codes, c.names = codes, names
	c.Options = names
	c.SetCode(cur)
	if c.SelectedIndex() < 0 && anyLabel != "" {
		c.SetSelectedIndex(0)
	}
	c.Refresh()
}

// Codes are the codes offered, in order ("" first for "any").
func (c *CodeSelect) Codes() []string { return c.codes }
