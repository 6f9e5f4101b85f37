package ui

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/syncer"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"github.com/kenesh/kenesh/shared/domain"
)

// The Materials page: the trainers' guides, booklets and videos, for
// everyone. The catalogue is listed as soon as its records arrive, the
// files follow in the background after the records (on a slow link, those
// over the automatic size wait for the Download button), and open offline.
// A council's laptop marks a material read; a trainer publishes materials
// and new versions, and sees which councils hold and have read each.

type materialsPage struct {
	u    *UI
	body *fyne.Container
	list []domain.Material
	// holders is what the server said of who holds each material (a
	// trainer's and central staff's laptops), by material id.
	holders map[string][]syncer.MaterialHolder
	// buttons are the actions of each material by name, for tests.
	buttons map[string]*widget.Button
}

func newMaterialsPage(u *UI) *materialsPage {
	p := &materialsPage{u: u, body: container.NewStack()}
	p.load()
	return p
}

func (p *materialsPage) title() string           { return p.u.T("materials.title") }
func (p *materialsPage) view() fyne.CanvasObject { return p.body }

func (p *materialsPage) changed(c []records.Changed) {
	if records.Touches(c, domain.KindMaterial, domain.KindMaterialCopy) {
		p.load()
	}
}

// filesMoved redraws how much of each material is here, while one is on
// its way.
func (p *materialsPage) filesMoved() {
	for i := range p.list {
		if done, total, err := p.u.sess.Files().Local(context.Background(), &p.list[i].File); err == nil && done < total {
			p.draw()
			return
		}
	}
}

func (p *materialsPage) trainer() bool { return p.u.sess.Role() == domain.RoleTrainer }

func (p *materialsPage) load() {
	list, err := p.u.sess.Records().Materials(context.Background())
	if err != nil {
		p.body.Objects = []fyne.CanvasObject{wrapped(p.u.problem(err))}
		p.body.Refresh()
		return
	}
	p.list = list
	p.draw()
}

func (p *materialsPage) draw() {
	u := p.u
	p.buttons = map[string]*widget.Button{}
	top := container.NewVBox(wrapped(u.T("materials.text")))
	actions := container.NewHBox()
	if p.trainer() {
		pub := u.primary(u.T("materials.publish"), theme.UploadIcon(), func() { p.publish(nil) })
		p.buttons["publish"] = pub
		actions.Add(pub)
	}
	role := u.sess.Role()
	if role == domain.RoleTrainer || role == domain.RoleCentral {
		who := u.button(u.T("materials.who"), theme.AccountIcon(), func() { p.fetchHolders() })
		p.buttons["who"] = who
		actions.Add(who)
	}
	if len(actions.Objects) > 0 {
		top.Add(actions)
	}
	top.Add(p.autoSetting())
	cards := container.NewVBox()
	if len(p.list) == 0 {
		cards.Add(muted(u.T("materials.none")))
	}
	for i := range p.list {
		cards.Add(p.card(&p.list[i]))
	}
	p.body.Objects = []fyne.CanvasObject{container.NewBorder(top, nil, nil, nil, container.NewVScroll(cards))}
	p.body.Refresh()
}

// autoSetting is the size up to which materials come by themselves on a
// slow link.
func (p *materialsPage) autoSetting() fyne.CanvasObject {
	u := p.u
	fl := u.sess.Files()
	cur, err := fl.AutoMax(context.Background())
	if err != nil {
		return muted(u.problem(err))
	}
	sizes := []int64{5 << 20, 20 << 20, 50 << 20, 200 << 20, 1 << 40}
	var names []string
	sel := ""
	for _, n := range sizes {
		name := u.T("materials.auto_mb", "n", n>>20)
		if n == 1<<40 {
			name = u.T("materials.auto_all")
		}
		names = append(names, name)
		if n == cur {
			sel = name
		}
	}
	s := widget.NewSelect(names, func(v string) {
		i := slices.Index(names, v)
		if i < 0 || sizes[i] == cur {
			return
		}
		if err := fl.SetAutoMax(context.Background(), sizes[i]); err != nil {
			u.showError(err)
			return
		}
		u.sess.Loop.Trigger()
	})
	if sel != "" {
		s.SetSelected(sel)
	} else {
		s.PlaceHolder = u.size(cur)
	}
	w := float32(0)
	for _, n := range names {
		w = max(w, fyne.MeasureText(n, theme.TextSize(), fyne.TextStyle{}).Width)
	}
	w += 4*theme.InnerPadding() + theme.IconInlineSize()
	return container.NewBorder(nil, nil, nil, container.New(controls.FixedWidth{W: w}, s), wrapped(u.T("materials.auto")))
}

func (p *materialsPage) card(m *domain.Material) fyne.CanvasObject {
	u := p.u
	ctx := context.Background()
	facts := []string{languageNames[m.Language], u.T("materials.version", "n", m.Version), u.tr.Date(m.PublishedOn), u.fileType(m.File.MIME), u.size(m.File.Size)}
	for _, f := range []string{m.Topic, m.Audience} {
		if f != "" {
			facts = append(facts, f)
		}
	}
	box := container.NewVBox(bold(m.Title), muted(strings.Join(slices.DeleteFunc(facts, func(s string) bool { return s == "" }), " · ")))
	if m.Description != "" {
		box.Add(wrapped(m.Description))
	}
	if m.Notes != "" {
		box.Add(wrapped(u.T("materials.notes", "notes", m.Notes)))
	}
	state, here := u.fileState(&m.File)
	cp, _ := u.sess.Records().MaterialCopy(ctx, m.ID)
	if here {
		state = u.T("materials.here")
		if cp != nil && cp.Read >= m.Version {
			state += " · " + u.T("materials.read")
		}
	}
	box.Add(muted(state))
	actions := container.NewHBox()
	add := func(key string, icon fyne.Resource, f func()) {
		b := u.button(u.T(key), icon, f)
		p.buttons[key+":"+m.ID] = b
		actions.Add(b)
	}
	if here {
		add("files.open", theme.FileIcon(), func() {
			u.openFile(&m.File)
			p.markRead(m, false)
		})
		add("files.save_copy", theme.DocumentSaveIcon(), func() { u.saveFileCopy(&m.File) })
		if u.sess.Role() == domain.RoleSecretary && (cp == nil || cp.Read < m.Version) {
			add("materials.mark_read", theme.ConfirmIcon(), func() { p.markRead(m, true) })
		}
	} else {
		add("files.download", theme.DownloadIcon(), func() {
			u.sess.Fetch(domain.KindMaterial, m.ID)
			u.showMessage(u.T("files.download"), u.T("files.download_started"))
		})
	}
	if p.trainer() {
		add("materials.new_version", theme.ContentAddIcon(), func() { p.publish(m) })
	}
	box.Add(container.NewHScroll(actions))
	if hs, ok := p.holders[m.ID]; ok {
		box.Add(p.holdersView(m, hs))
	}
	return widget.NewCard("", "", box)
}

// markRead notes the newest version read (asked: the button; not asked:
// opening it, on a council's laptop).
func (p *materialsPage) markRead(m *domain.Material, asked bool) {
	if p.u.sess.Role() != domain.RoleSecretary {
		return
	}
	if err := p.u.sess.Records().NoteMaterial(context.Background(), m.ID, 0, m.Version); err != nil && asked {
		p.u.showError(err)
	}
}

// fetchHolders asks the server who holds each material.
func (p *materialsPage) fetchHolders() {
	u := p.u
	var hs []syncer.MaterialHolder
	var err error
	u.async(func() { hs, err = u.sess.MaterialCopies(context.Background()) }, func() {
		if err != nil {
			u.showError(err)
			return
		}
		p.holders = map[string][]syncer.MaterialHolder{}
		for _, h := range hs {
			p.holders[h.Material] = append(p.holders[h.Material], h)
		}
		for i := range p.list {
			if _, ok := p.holders[p.list[i].ID]; !ok {
				p.holders[p.list[i].ID] = nil
			}
		}
		p.draw()
	})
}

// holdersView says which councils' laptops hold a material, and in which
// version: the donor's indicator of reach.
func (p *materialsPage) holdersView(m *domain.Material, hs []syncer.MaterialHolder) fyne.CanvasObject {
	u := p.u
	box := container.NewVBox()
	newest, read := 0, 0
	for _, h := range hs {
		if h.Downloaded >= m.Version {
			newest++
		}
		if h.Read >= m.Version {
			read++
		}
	}
	box.Add(strong(u.T("materials.holders", "n", newest, "read", read)))
	for _, h := range hs {
		line := h.Council + " · " + h.Laptop + " · " + u.T("materials.holder_version", "n", h.Downloaded)
		if h.Read > 0 {
			line += " · " + u.T("materials.holder_read", "n", h.Read)
		}
		box.Add(wrapped(line))
	}
	return box
}

// publish asks for a material's file and description and publishes it (a
// new version of old when set).
func (p *materialsPage) publish(old *domain.Material) {
	u := p.u
	fs := u.newFieldSet(domain.KindMaterial)
	path := ""
	chosen := muted(u.T("materials.no_file"))
	choose := u.button(u.T("materials.choose_file"), theme.FolderOpenIcon(), nil)
	choose.OnTapped = func() {
		u.pickFile(func(p string) {
			path = p
			chosen.SetText(filepath.Base(path))
		})
	}
	title, topic, audience := u.newEntry(), u.newEntry(), u.newEntry()
	desc, notes := u.newMultiEntry(3), u.newMultiEntry(2)
	codes := []string{"ky", "ru", "en"}
	lang := u.newCodeSelect(codes, []string{languageNames["ky"], languageNames["ru"], languageNames["en"]}, "", nil)
	if old != nil {
		title.SetText(old.Title)
		topic.SetText(old.Topic)
		audience.SetText(old.Audience)
		desc.SetText(old.Description)
		lang.SetCode(old.Language)
	}
	box := container.NewVBox(
		fs.add("file", "field.file", container.NewBorder(nil, nil, choose, nil, chosen)).box,
		fs.add("title", "field.title", title).box,
		fs.add("language", "field.language", lang).box,
		fs.add("topic", "field.topic", topic).box,
		fs.add("audience", "field.audience", audience).box,
		fs.add("description", "field.description", desc).box,
		fs.add("notes", "field.version_notes", notes).box,
	)
	heading := u.T("materials.publish")
	if old != nil {
		heading = u.T("materials.new_version_of", "title", old.Title)
	}
	var m *modal
	m = u.showModal(heading, fs, container.NewVScroll(box), u.T("materials.publish_ok"), func() error {
		if path == "" {
			fs.localError("file", u.T("materials.no_file"))
			return errSilent
		}
		in := files.MaterialInput{Title: title.Text, Language: lang.Code(), Topic: topic.Text, Audience: audience.Text,
			Description: desc.Text, Notes: notes.Text, File: files.Input{Name: filepath.Base(path)}}
		if old != nil {
			in.Replaces = old.ID
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		// A material may be a video of hundreds of megabytes: it is cut,
		// hashed and stored encrypted off the UI goroutine.
		return m.background(u, fs, func() error {
			defer f.Close()
			_, err := u.sess.Files().Publish(context.Background(), in, f)
			return err
		}, func(err error) error {
			if err != nil {
				return err
			}
			u.sess.Loop.Trigger()
			return nil
		})
	})
}
