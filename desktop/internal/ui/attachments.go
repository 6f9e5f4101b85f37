package ui

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/shared/domain"
)

// Files on record pages: a record's attachments, listed with their type,
// size and caption and how much of each is on this laptop; attached with
// the file dialog or by dropping files on the window; opened with the
// system's viewer from a decrypted temporary copy, saved as a copy, and
// removed. A photo shows a thumbnail once it is here. Central staff's
// laptop asks for a record's files when its page opens (Session.Fetch):
// they come with the next sync, with progress in the status bar.

// thumbMax bounds the photos read for a thumbnail.
const thumbMax = 12 << 20

// size says a number of bytes as people read it: "850 KB", "12,5 MB".
func (u *UI) size(n int64) string {
	switch {
	case n < 1000:
		return u.T("size.bytes", "n", u.tr.Int(int(n)))
	case n < 1_000_000:
		return u.T("size.kb", "n", u.decimal(float64(n)/1e3, 0))
	case n < 1_000_000_000:
		return u.T("size.mb", "n", u.decimal(float64(n)/1e6, 1))
	}
	return u.T("size.gb", "n", u.decimal(float64(n)/1e9, 2))
}

// decimal is x with prec decimals, in the language's way (a comma in
// Kyrgyz and Russian).
func (u *UI) decimal(x float64, prec int) string {
	s := strconv.FormatFloat(x, 'f', prec, 64)
	if u.Lang() != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// duration says a time left: "3 min", "1 h 20 min".
func (u *UI) duration(d time.Duration) string {
	m := int(d.Round(time.Minute).Minutes())
	if m < 1 {
		return u.T("time.under_minute")
	}
	if m < 60 {
		return u.T("time.minutes", "n", m)
	}
	return u.T("time.hours", "h", m/60, "m", m%60)
}

// isPhoto says whether a file's type is a picture this window can show.
func isPhoto(mime string) bool {
	return mime == "image/jpeg" || mime == "image/png" || mime == "image/gif"
}

// fileState says how much of a file is here: "" when all of it.
func (u *UI) fileState(att *domain.Attachment) (string, bool) {
	done, total, err := u.sess.Files().Local(context.Background(), att)
	if err != nil {
		return u.problem(err), false
	}
	if done >= total {
		return "", true
	}
	if done == 0 {
		return u.T("files.not_here"), false
	}
	return u.T("files.partly_here", "done", u.size(done), "total", u.size(total)), false
}

// attachmentsPanel lists a record's files, with what may be done to each.
// editable: this laptop records and the record is not deleted.
func (u *UI) attachmentsPanel(kind, id string, list []domain.Attachment, editable bool) fyne.CanvasObject {
	box := container.NewVBox(bold(u.T("files.title")))
	if editable {
		attach := u.button(u.T("files.attach"), theme.ContentAddIcon(), func() { u.chooseAttachment(kind, id) })
		box.Add(container.NewBorder(nil, nil, attach, nil, muted(u.T("files.drop_hint"))))
	}
	if len(list) == 0 {
		box.Add(muted(u.T("files.none")))
		return box
	}
	missing := false
	for i := range list {
		a := list[i]
		state, here := u.fileState(&a)
		missing = missing || !here
		line := a.Name
		facts := []string{u.fileType(a.MIME), u.size(a.Size)}
		if a.AddedOn.Year() > 1 {
			facts = append(facts, u.tr.Date(a.AddedOn))
		}
		text := container.NewVBox(strong(line), muted(strings.Join(facts, " · ")))
		if a.Caption != "" {
			text.Add(wrapped(a.Caption))
		}
		if state != "" {
			l := muted(state)
			text.Add(l)
		}
		actions := container.NewHBox()
		if here {
			actions.Add(u.button(u.T("files.open"), theme.FileIcon(), func() { u.openFile(&a) }))
			actions.Add(u.button(u.T("files.save_copy"), theme.DocumentSaveIcon(), func() { u.saveFileCopy(&a) }))
		} else {
			actions.Add(u.button(u.T("files.download"), theme.DownloadIcon(), func() {
				u.sess.Fetch(kind, id)
				u.showMessage(u.T("files.download"), u.T("files.download_started"))
			}))
		}
		if editable {
			rm := u.button(u.T("files.remove"), theme.DeleteIcon(), func() {
				u.confirm(u.T("files.remove_title"), u.T("files.remove_text", "name", a.Name), u.T("files.remove"), func() {
					if err := u.sess.Files().Detach(context.Background(), kind, id, a.ID); err != nil {
						u.showError(err)
					}
				})
			})
			rm.Importance = widget.DangerImportance
			actions.Add(rm)
		}
		var thumb fyne.CanvasObject = widget.NewIcon(theme.FileIcon())
		if here && isPhoto(a.MIME) && a.Size <= thumbMax {
			if img := u.thumbnail(&a); img != nil {
				thumb = img
			}
		}
		thumbBox := container.NewGridWrap(fyne.NewSize(72, 72), thumb)
		box.Add(container.NewBorder(nil, nil, thumbBox, nil, container.NewVBox(text, container.NewHScroll(actions))))
		box.Add(widget.NewSeparator())
	}
	if missing && u.central && !u.asked[kind+":"+id] {
		// Central staff see a council's files once they open its record:
		// asked once (a file not at the server yet would otherwise ask
		// again at every redraw, and sync without end).
		if u.asked == nil {
			u.asked = map[string]bool{}
		}
		u.asked[kind+":"+id] = true
		u.sess.Fetch(kind, id)
	}
	return box
}

// fileType names a file's type in words where one is common.
func (u *UI) fileType(mime string) string {
	switch {
	case isPhoto(mime):
		return u.T("files.type.photo")
	case mime == "application/pdf":
		return "PDF"
	case strings.HasPrefix(mime, "audio/"):
		return u.T("files.type.audio")
	case strings.HasPrefix(mime, "video/"):
		return u.T("files.type.video")
	case strings.Contains(mime, "word") || strings.Contains(mime, "opendocument.text"):
		return u.T("files.type.document")
	case strings.Contains(mime, "sheet") || strings.Contains(mime, "excel"):
		return u.T("files.type.table")
	case strings.Contains(mime, "presentation") || strings.Contains(mime, "powerpoint"):
		return u.T("files.type.slides")
	}
	return u.T("files.type.file")
}

// thumbnail reads a photo for its thumbnail (nil when it does not read).
func (u *UI) thumbnail(a *domain.Attachment) fyne.CanvasObject {
	r, err := u.sess.Files().Content(context.Background(), a)
	if err != nil {
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(r, thumbMax))
	if err != nil {
		return nil
	}
	img := canvas.NewImageFromReader(bytes.NewReader(b), a.Name)
	if img == nil {
		return nil
	}
	img.FillMode = canvas.ImageFillContain
	img.SetMinSize(fyne.NewSize(72, 72))
	return img
}

// chooseAttachment asks for a file with Fyne's dialog and attaches it.
func (u *UI) chooseAttachment(kind, id string) {
	u.pickFile(func(path string) { u.attachPaths(kind, id, []string{path}) })
}

// attachPaths attaches files by their paths, one after another in the
// background (a large scan takes a while to cut and store), and says
// what failed.
func (u *UI) attachPaths(kind, id string, paths []string) {
	var failed []string
	u.async(func() {
		for _, p := range paths {
			err := u.attachPath(kind, id, p)
			if err != nil {
				failed = append(failed, filepath.Base(p)+": "+u.problem(err))
			}
		}
	}, func() {
		if len(failed) > 0 {
			u.showMessage(u.T("dialog.error"), u.T("files.attach_failed")+"\n"+strings.Join(failed, "\n"))
		}
	})
}

func (u *UI) attachPath(kind, id, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a folder", path)
	}
	_, err = u.sess.Files().Attach(context.Background(), kind, id, files.Input{Name: filepath.Base(path)}, f)
	return err
}

// dropped attaches files dropped on the window to the record whose page
// is shown (the shell gives it the drop); folders and what is not a file
// are left out.
func (u *UI) dropped(kind, id string, uris []fyne.URI) {
	var paths []string
	for _, x := range uris {
		if x.Scheme() == "file" {
			paths = append(paths, x.Path())
		}
	}
	if len(paths) > 0 {
		u.attachPaths(kind, id, paths)
	}
}

// openFile opens a file with the system's viewer, from a decrypted copy
// in a temporary folder of its own, readable by this user only; the copy
// is removed when the window locks or closes, and what a crash left is
// removed at the next start.
func (u *UI) openFile(a *domain.Attachment) {
	path, err := u.decryptedCopy(a)
	if err != nil {
		u.showError(err)
		return
	}
	target := &url.URL{Scheme: "file", Path: path}
	if err := fyne.CurrentApp().OpenURL(target); err != nil {
		u.showError(err)
	}
}

// tempPrefix names the temporary folders of opened files.
const tempPrefix = "kenesh-open-"

func (u *UI) decryptedCopy(a *domain.Attachment) (string, error) {
	r, err := u.sess.Files().Content(context.Background(), a)
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", tempPrefix)
	if err != nil {
		return "", err
	}
	u.mu.Lock()
	u.openCopies = append(u.openCopies, dir)
	u.mu.Unlock()
	name := filepath.Base(a.Name)
	if name == "." || name == "/" || name == "" {
		name = "file"
	}
	path := filepath.Join(dir, name)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", err
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return path, nil
}

// removeOpenCopies removes the decrypted copies this window made (at the
// lock and at exit).
func (u *UI) removeOpenCopies() {
	u.mu.Lock()
	dirs := u.openCopies
	u.openCopies = nil
	u.mu.Unlock()
	for _, d := range dirs {
		os.RemoveAll(d)
	}
}

// sweepOpenCopies removes what an earlier run left of decrypted copies
// (it crashed, or a viewer held a file open when it closed).
func sweepOpenCopies() {
	left, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+"*"))
	for _, d := range left {
		if st, err := os.Stat(d); err == nil && st.IsDir() && time.Since(st.ModTime()) > time.Minute {
			os.RemoveAll(d)
		}
	}
}

// saveFileCopy writes a file where the person chooses.
func (u *UI) saveFileCopy(a *domain.Attachment) {
	ext := strings.TrimPrefix(filepath.Ext(a.Name), ".")
	u.chooseSaveFile(a.Name, ext, func(w fyne.URIWriteCloser) {
		if w == nil {
			return
		}
		r, err := u.sess.Files().Content(context.Background(), a)
		if err == nil {
			_, err = io.Copy(w, r)
		}
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(w.URI().Path()) // never a half file under the name
			u.showError(err)
			return
		}
		u.showMessage(u.T("files.saved_title"), u.T("files.saved", "file", w.URI().Path()))
	})
}
