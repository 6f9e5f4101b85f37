package ui

import (
	"context"
	"errors"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/update"
	"github.com/kenesh/kenesh/internal/version"
	rel "github.com/kenesh/kenesh/shared/release"
)

// updateText says where updating stands, in the person's language.
func (u *UI) updateText(st update.Status) string {
	switch st.State {
	case update.StateDownloading:
		return u.T("update.downloading", "version", st.Version, "done", u.size(st.Done), "total", u.size(st.Total))
	case update.StateReady:
		return u.T("update.ready", "version", st.Version)
	case update.StateManaged:
		return u.T("update.managed", "version", st.Version)
	case update.StateRefused:
		reason := u.T("update.reason.untrusted")
		switch {
		case errors.Is(st.Err, rel.ErrMismatch):
			reason = u.T("update.reason.mismatch")
		case errors.Is(st.Err, update.ErrOlder):
			reason = u.T("update.reason.older", "version", version.String())
		}
		return u.T("update.refused", "reason", reason)
	}
	return u.T("update.none")
}

// updateBar is the status bar's row for a release ready to install: what
// it is and "Restart to update". Hidden otherwise.
type updateBar struct {
	u     *UI
	label *widget.Label
	btn   *widget.Button
	box   *fyne.Container
}

func newUpdateBar(u *UI) *updateBar {
	b := &updateBar{u: u, label: widget.NewLabel("")}
	b.label.Importance = widget.HighImportance
	b.btn = u.primary(u.T("update.restart"), theme.ViewRefreshIcon(), u.restartToUpdate)
	u.name(b.btn, "update.restart")
	b.box = container.NewHBox(widget.NewIcon(theme.DownloadIcon()), b.label, layout.NewSpacer(), b.btn)
	b.box.Hide()
	return b
}

func (b *updateBar) show(st update.Status) {
	if st.State != update.StateReady {
		b.box.Hide()
		return
	}
	b.label.SetText(b.u.updateText(st))
	b.box.Show()
}

// restartToUpdate asks, then installs the ready release and closes: the
// installer (or the new program) starts Kenesh again. A form with unsaved
// input is not left behind: the person saves or closes it first.
func (u *UI) restartToUpdate() {
	if u.sess == nil {
		return
	}
	st := u.sess.Updates.Status()
	if st.State != update.StateReady {
		return
	}
	if u.shell != nil {
		for _, p := range u.shell.stack {
			if d, ok := p.(dirtyPage); ok && d.dirty() {
				u.showMessage(u.T("update.restart"), u.T("update.save_first"))
				return
			}
		}
	}
	u.confirm(u.T("update.restart"), u.T("update.confirm", "version", st.Version), u.T("update.restart"), func() {
		var err error
		u.async(func() {
			err = u.sess.Updates.Apply(context.Background(), os.Args[1:])
		}, func() {
			if err != nil {
				u.log.Error("update", "err", err)
				u.showMessage(u.T("dialog.error"), u.T("update.failed", "error", err.Error()))
				return
			}
			u.closeWindow()
		})
	})
}
