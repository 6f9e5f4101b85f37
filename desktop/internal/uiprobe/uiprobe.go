// Package uiprobe is what the desktop app's test-only probe says about its
// screen (which control is where, what it shows), and how to ask for it.
package uiprobe

import (
	"encoding/json"
	"fmt"
	"net"
	"time"
)

// Item is one control or text on screen, in window coordinates (Fyne
// units; times Dump.Scale for pixels).
type Item struct {
	Kind     string  `json:"kind"`           // button, select, entry, check, link, label, menuitem, list, file (a file dialog's file or folder), radio
	Name     string  `json:"name,omitempty"` // the form field or control it is ("appeal.category")
	Text     string  `json:"text,omitempty"` // what it shows: label, button text, chosen option, typed text (a password as •)
	X        float32 `json:"x"`
	Y        float32 `json:"y"`
	W        float32 `json:"w"`
	H        float32 `json:"h"`
	Disabled bool    `json:"disabled,omitempty"`
	Checked  bool    `json:"checked,omitempty"`
	Focused  bool    `json:"focused,omitempty"`
	// Cut: its text does not fit it and shows shortened (a label that
	// ends in "…") or clipped (a button narrower than its text).
	Cut bool `json:"cut,omitempty"`
	// Clip is the part of the window it can be seen in (its scrolls'):
	// left, top, right, bottom. A control outside it must be scrolled to.
	Clip [4]float32 `json:"clip"`
	// Wheel is the part of the window of the innermost scroll that moves
	// it up and down: where the mouse wheel brings it into view (a row
	// that only scrolls sideways clips it but does not).
	Wheel [4]float32 `json:"wheel"`
	// Options of a drop-down.
	Options []string `json:"options,omitempty"`
	// Layer is 0 for the window's content, 1 and up for the dialogs and
	// pop-ups over it (the last one is on top and takes the clicks).
	Layer int `json:"layer,omitempty"`
}

// Dump is the whole screen.
type Dump struct {
	Width, Height float32
	Scale         float32 // window pixels per Fyne unit
	Locked        bool
	Title         string // the page's header
	Items         []Item
	// Dialogs is how many dialogs or pop-ups are open.
	Dialogs int
}

// Request is what a client sends: one line.
const Request = "dump\n"

// Ask connects to the probe's socket and reads the screen.
func Ask(socket string, timeout time.Duration) (Dump, error) {
	var d Dump
	conn, err := net.DialTimeout("unix", socket, timeout)
	if err != nil {
		return d, fmt.Errorf("probe: %w", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write([]byte(Request)); err != nil {
		return d, fmt.Errorf("probe: %w", err)
	}
	if err := json.NewDecoder(conn).Decode(&d); err != nil {
		return d, fmt.Errorf("probe: %w", err)
	}
	return d, nil
}
