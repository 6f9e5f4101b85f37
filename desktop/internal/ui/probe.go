package ui

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"net"
	"os"
	"reflect"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/uiprobe"
)

// The probe lets a test drive the real app with real mouse and keyboard
// events: Fyne has no accessibility tree, so on request the app says where
// its controls are on the screen, what they show and what they are named.
// A test then moves the X pointer there and clicks, which goes through the
// whole driver as a person's click does (the fyne/test driver never does).
// It is off unless KENESH_PROBE names a socket (see ServeProbe); then the
// screens also remember the names of their fields (u.names).

// ProbeItem and ProbeDump are the probe's answer (package uiprobe, which
// a test reads without Fyne).
type (
	ProbeItem = uiprobe.Item
	ProbeDump = uiprobe.Dump
)

// name remembers what a control is, for the probe (only when probing).
func (u *UI) name(o fyne.CanvasObject, name string) {
	if u.names != nil && o != nil {
		u.names[o] = name
	}
}

// probeRow remembers a row a list made, so the probe can look inside the
// list (a List's rows live in its renderer, which Fyne keeps private).
func (u *UI) probeRow(l *widget.List, row fyne.CanvasObject) {
	if u.names != nil {
		u.listRows[l] = append(u.listRows[l], row)
	}
}

// Probe lists what the window shows now. It runs on the UI goroutine.
func (u *UI) Probe() ProbeDump {
	c := u.win.Canvas()
	size := c.Size()
	d := ProbeDump{Width: size.Width, Height: size.Height, Scale: c.Scale(), Locked: u.locked}
	if u.shell != nil && u.shell.header != nil && !u.locked {
		d.Title = u.shell.header.Text
	}
	focused := c.Focused()
	layer := 0
	whole := [4]float32{0, 0, size.Width, size.Height}
	drv := fyne.CurrentApp().Driver()
	add := func(o fyne.CanvasObject, kind, text string, at view) *ProbeItem {
		pos := drv.AbsolutePositionForObject(o)
		sz := o.Size()
		d.Items = append(d.Items, ProbeItem{Kind: kind, Name: u.names[o], Text: text, X: pos.X, Y: pos.Y, W: sz.Width, H: sz.Height,
			Clip: at.clip, Wheel: at.wheel, Focused: focused != nil && any(focused) == any(o), Layer: layer})
		return &d.Items[len(d.Items)-1]
	}
	var walk func(o fyne.CanvasObject, at view)
	walk = func(o fyne.CanvasObject, at view) {
		if o == nil || !o.Visible() {
			return
		}
		switch x := o.(type) {
		case *widget.Button:
			it := add(o, "button", x.Text, at)
			it.Disabled = x.Disabled()
			it.Cut = x.Size().Width+0.5 < x.MinSize().Width
			return
		case *controls.CodeSelect:
			it := add(o, "select", x.Selected, at)
			it.Disabled, it.Options = x.Disabled(), x.Options
			return
		case *widget.Select: // a plain one (the materials' size for downloads by themselves)
			it := add(o, "select", x.Selected, at)
			it.Disabled, it.Options = x.Disabled(), x.Options
			return
		case *controls.Entry:
			text := x.Text
			if x.Password {
				text = strings.Repeat("•", utf8.RuneCountInString(x.Text))
			}
			it := add(o, "entry", text, at)
			it.Disabled = x.Disabled()
			return
		case *widget.Entry: // Fyne's own: a file dialog's file name
			it := add(o, "entry", x.Text, at)
			it.Disabled = x.Disabled()
			return
		case *widget.Check:
			it := add(o, "check", x.Text, at)
			it.Disabled, it.Checked = x.Disabled(), x.Checked
			return
		case *controls.Link:
			add(o, "link", x.Text, at).Cut = labelCut(&x.Label)
			return
		case *widget.Hyperlink:
			add(o, "link", x.Text, at)
			return
		case *widget.Label:
			if x.Text != "" {
				add(o, "label", x.Text, at).Cut = labelCut(x)
			}
			return
		case *widget.List:
			rows, ours := u.listRows[x]
			if !ours {
				break // Fyne's own (a file dialog's places): its renderer's rows
			}
			it := add(o, "list", "", at)
			inner := at.in([4]float32{it.X, it.Y, it.X + it.W, it.Y + it.H}, true)
			for _, r := range rows {
				p := drv.AbsolutePositionForObject(r)
				if r.Visible() && p.Y >= it.Y && p.Y < it.Y+it.H && !(p.X == 0 && p.Y == 0) {
					walk(r, inner)
				}
			}
			return
		case *fyne.Container:
			for _, child := range x.Objects {
				walk(child, at)
			}
			return
		}
		if mi := menuItemOf(o); mi != nil {
			it := add(o, "menuitem", mi.Label, at)
			it.Disabled = mi.Disabled
			return
		}
		// Fyne's own widgets a person clicks whose types it keeps private:
		// a file dialog's files and folders, a radio group's choices.
		if kind, text, checked, ok := privateItem(o); ok {
			it := add(o, kind, text, at)
			it.Checked = checked
			return
		}
		// Scrolls, cards, splits, pop-ups and menus hold their children in
		// exported fields; a scroll also clips them.
		v := reflect.ValueOf(o)
		if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
			return
		}
		_, scrolls := o.(interface{ ScrollToTop() })
		if _, menu := o.(*widget.PopUpMenu); scrolls || menu { // a long menu scrolls inside
			p := drv.AbsolutePositionForObject(o)
			s := o.Size()
			// A scroll that only moves sideways clips, but the wheel that
			// brings a control into view turns over the one around it.
			dir, _ := exported(v, "Direction").(fyne.ScrollDirection)
			at = at.in([4]float32{p.X, p.Y, p.X + s.Width, p.Y + s.Height}, menu || dir != fyne.ScrollHorizontalOnly)
		}
		held := false
		for _, name := range []string{"Content", "Leading", "Trailing", "Items"} {
			switch x := exported(v, name).(type) {
			case fyne.CanvasObject:
				walk(x, at)
				held = true
			case []fyne.CanvasObject:
				for _, child := range x {
					walk(child, at)
				}
				held = true
			}
		}
		// Any other widget shows what its renderer draws (an accordion's
		// headers, a grid's or list's rows, a dialog's parts).
		if w, ok := o.(fyne.Widget); ok && !held {
			if r, ok := cachedRenderer(w); ok {
				for _, child := range r.Objects() {
					walk(child, at)
				}
			}
		}
	}
	walk(c.Content(), view{whole, whole})
	for _, o := range c.Overlays().List() {
		if o.Visible() {
			d.Dialogs++
		}
		layer++
		walk(o, view{whole, whole})
	}
	return d
}

// labelCut reports whether a label that shortens its text (ellipsis or
// clip) is narrower than its text: what it shows is not all it says.
func labelCut(l *widget.Label) bool {
	if l.Truncation == fyne.TextTruncateOff || l.Size().Width <= 0 {
		return false
	}
	full := widget.NewLabelWithStyle(l.Text, l.Alignment, l.TextStyle)
	full.SizeName = l.SizeName
	return full.MinSize().Width > l.Size().Width+0.5
}

// privateItem says what a widget of a type Fyne keeps private shows: a
// file dialog's file or folder ("file", its name) or a radio group's
// choice ("radio", its label, whether chosen).
func privateItem(o fyne.CanvasObject) (kind, text string, checked, ok bool) {
	v := reflect.ValueOf(o)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return "", "", false, false
	}
	e := v.Elem()
	switch t := e.Type(); {
	case t.PkgPath() == "fyne.io/fyne/v2/dialog" && t.Name() == "fileDialogItem":
		if f := e.FieldByName("name"); f.Kind() == reflect.String {
			return "file", f.String(), false, true // String reads an unexported field
		}
	case t.PkgPath() == "fyne.io/fyne/v2/widget" && t.Name() == "radioItem":
		l, sel := e.FieldByName("Label"), e.FieldByName("Selected")
		if l.Kind() == reflect.String && sel.Kind() == reflect.Bool {
			return "radio", l.String(), sel.Bool(), true
		}
	}
	return "", "", false, false
}

// menuItemOf returns the menu item a pop-up menu's row shows.
func menuItemOf(o fyne.CanvasObject) *fyne.MenuItem {
	v := reflect.ValueOf(o)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	mi, _ := exported(v, "Item").(*fyne.MenuItem)
	return mi
}

// exported is the exported field name of the struct v points to, or nil.
func exported(v reflect.Value, name string) any {
	sf, ok := v.Elem().Type().FieldByName(name)
	if !ok {
		return nil
	}
	f, err := v.Elem().FieldByIndexErr(sf.Index)
	if err != nil || !f.CanInterface() {
		return nil
	}
	return f.Interface()
}

// view is what part of the window a control is seen in (clip: its
// scrolls' and the window's) and where the mouse wheel scrolls it up and
// down (wheel: the innermost scroll that moves that way).
type view struct{ clip, wheel [4]float32 }

// in is the view inside a scroll at rect; vertical: it scrolls up and down.
func (v view) in(rect [4]float32, vertical bool) view {
	v.clip = intersect(v.clip, rect)
	if vertical {
		v.wheel = intersect(v.wheel, rect)
	}
	return v
}

func intersect(a, b [4]float32) [4]float32 {
	return [4]float32{max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])}
}

// ServeProbe answers "dump" requests on a Unix socket at path with the
// screen as JSON (one request per connection), until ctx ends. Only for
// tests: KENESH_PROBE turns it on in the kenesh binary.
func (u *UI) ServeProbe(ctx context.Context, path string) error {
	_ = os.Remove(path)
	l, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	for {
		conn, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("probe: %w", err)
		}
		go func() {
			defer conn.Close()
			line, err := bufio.NewReader(conn).ReadString('\n')
			if err != nil || line != uiprobe.Request {
				fmt.Fprintf(conn, "{\"error\":%q}\n", "send dump")
				return
			}
			var d ProbeDump
			fyne.DoAndWait(func() { d = u.Probe() })
			_ = json.NewEncoder(conn).Encode(d)
		}()
	}
}

// EnableProbe makes the screens remember their controls' names; call it
// before Start.
func (u *UI) EnableProbe() {
	u.names = map[fyne.CanvasObject]string{}
	u.listRows = map[*widget.List][]fyne.CanvasObject{}
}
