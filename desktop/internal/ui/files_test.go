package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
)

// Files dropped on an appeal's page are attached and listed with their
// type and size, a photo with its thumbnail; one opens from a decrypted
// copy readable by this user alone, which goes with the lock; one is
// removed after a question.
func TestAttachmentsOnARecordPage(t *testing.T) {
	h := unlocked(t, "en", 1, 0, 0)
	ctx := context.Background()
	list, _ := h.u.sess.Records().List(records.Filter{Kind: domain.KindAppeal})
	id := list[0].ID
	d := newAppealDetail(h.u, id)
	h.u.shell.push(d)
	h.drain()
	h.mustShow(h.T("files.none"))
	h.button(h.T("files.attach"))

	dir := t.TempDir()
	scan := filepath.Join(dir, "арыз.pdf")
	content := make([]byte, 300_000)
	rand.Read(content)
	os.WriteFile(scan, content, 0o600)
	var photo bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	img.Set(3, 3, color.RGBA{R: 200, A: 255})
	png.Encode(&photo, img)
	pic := filepath.Join(dir, "сүрөт.png")
	os.WriteFile(pic, photo.Bytes(), 0o600)

	kind, rid, ok := h.u.shell.top().(dropTarget).dropTarget()
	if !ok || kind != domain.KindAppeal || rid != id {
		t.Fatalf("the appeal's page takes no drop: %s %s %v", kind, rid, ok)
	}
	h.u.dropped(kind, rid, []fyne.URI{storage.NewFileURI(scan), storage.NewFileURI(pic), storage.NewFileURI(dir)})
	h.waitFor("the files listed", func() bool { return h.shows("арыз.pdf") && h.shows("сүрөт.png") })
	h.mustShow("PDF · " + h.u.size(int64(len(content))) + " · " + h.u.tr.Date(h.u.sess.Records().Today()))
	atts, _ := h.u.sess.Records().Attachments(ctx, domain.KindAppeal, id)
	if len(atts) != 2 {
		t.Fatalf("%d attachments (a folder dropped is not one)", len(atts))
	}
	thumb := false
	for _, o := range h.objects() {
		if _, ok := o.(*canvas.Image); ok && o.Visible() {
			thumb = true
		}
	}
	if !thumb {
		t.Error("the photo shows no thumbnail")
	}

	// Opened: a decrypted copy, this user's alone, gone with the lock.
	var pdf *domain.Attachment
	for i := range atts {
		if atts[i].Name == "арыз.pdf" {
			pdf = &atts[i]
		}
	}
	path, err := h.u.decryptedCopy(pdf)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, content) {
		t.Fatal("the opened copy differs")
	}
	if st, _ := os.Stat(path); st.Mode().Perm()&0o077 != 0 {
		t.Errorf("the opened copy is %v", st.Mode().Perm())
	}
	h.u.lock()
	h.drain()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the decrypted copy outlived the lock: %v", err)
	}
	h.unlockLocked()

	// Removed after a question.
	h.tap(h.T("files.remove"))
	var yes *widget.Button
	for _, ov := range h.win.Canvas().Overlays().List() {
		for _, o := range test.LaidOutObjects(ov) {
			if b, ok := o.(*widget.Button); ok && b.Text == h.T("files.remove") {
				yes = b
			}
		}
	}
	if yes == nil {
		t.Fatal("no question before removing")
	}
	test.Tap(yes)
	h.drain()
	h.waitFor("one file left", func() bool {
		atts, _ := h.u.sess.Records().Attachments(ctx, domain.KindAppeal, id)
		return len(atts) == 1
	})
}

// The Materials page lists the catalogue with each material's version,
// size and whether it is here; a council's laptop marks one read, which
// its copy record says; a material not here yet offers Download.
func TestMaterialsPage(t *testing.T) {
	h := unlocked(t, "ru", 0, 0, 0)
	ctx := context.Background()
	fl := h.u.sess.Files()
	content := make([]byte, 200_000)
	rand.Read(content)
	m, err := fl.Publish(ctx, files.MaterialInput{Title: "Права женщин", Language: "ru", Topic: "гендер", File: files.Input{Name: "пособие.pdf"}}, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	c := h.firstCouncil()
	if err := h.u.sess.Records().Enroll(ctx, records.Enrollment{Server: "http://127.0.0.1:1", ServerID: "s", Token: "k1.x", Council: c.Code, Role: domain.RoleSecretary, Name: "Катчы"}); err != nil {
		t.Fatal(err)
	}
	h.u.shell.rebuild()
	h.u.shell.show()
	h.u.shell.navigate(secMaterials)
	h.drain()
	h.mustShow(h.T("materials.title"))
	h.mustShow("Права женщин")
	h.mustShow(h.T("materials.here"))
	p := h.u.shell.top().(*materialsPage)
	if p.buttons["publish"] != nil {
		t.Error("a council's laptop is offered to publish")
	}
	b := p.buttons["materials.mark_read:"+m.ID]
	if b == nil {
		t.Fatalf("no Mark as read; buttons %v", p.buttons)
	}
	b.OnTapped()
	h.drain()
	cp, err := h.u.sess.Records().MaterialCopy(ctx, m.ID)
	if err != nil || cp.Read != 1 || cp.Council != c.Code {
		t.Fatalf("the copy after Mark as read: %+v %v", cp, err)
	}
	h.waitFor("read shown", func() bool { return h.shows(h.T("materials.here") + " · " + h.T("materials.read")) })
}

// Central staff's laptop asks for a record's files when its page opens:
// a council's scan pulled without its content is then to be fetched.
func TestCentralFetchesFilesOnOpen(t *testing.T) {
	h := unlocked(t, "en", 1, 0, 0)
	ctx := context.Background()
	list, _ := h.u.sess.Records().List(records.Filter{Kind: domain.KindAppeal})
	a, _ := h.u.sess.Records().Appeal(ctx, list[0].ID)
	// A scan another laptop attached: its chunks are not here.
	att := domain.Attachment{ID: domain.NewID(), Name: "арыз.pdf", MIME: "application/pdf", Size: 10,
		SHA256: strings.Repeat("a", 64), Chunks: []domain.Chunk{{SHA256: strings.Repeat("b", 64), Size: 10}}, AddedOn: a.ReceivedOn}
	v, _ := json.Marshal(att)
	op := &changeset.Op{Device: domain.NewID(), Seq: 1, HLC: hlc.New(time.Now().UnixMilli(), 0), Kind: domain.KindAppeal, Record: a.ID,
		Council: a.Council, Action: changeset.ActionUpdate, Author: "Ат-Башы", Fields: map[string]changeset.Change{"attachments/" + att.ID: {Value: v}}}
	if _, err := h.u.sess.Records().ApplyRemote(ctx, []*changeset.Op{op}, 1); err != nil {
		t.Fatal(err)
	}
	if err := h.u.sess.Records().Enroll(ctx, records.Enrollment{Server: "http://127.0.0.1:1", ServerID: "s", Token: "k1.x", Role: domain.RoleCentral, Name: "Борбор"}); err != nil {
		t.Fatal(err)
	}
	h.u.shell.rebuild()
	h.u.shell.show()
	fetch := func() bool {
		ws, _ := h.u.sess.Files().Pending(ctx)
		for _, w := range ws {
			if w.ID == a.ID && w.Fetch {
				return true
			}
		}
		return false
	}
	if fetch() {
		t.Fatal("central fetches a council's files before anyone opens the record")
	}
	h.u.shell.push(newAppealDetail(h.u, a.ID))
	h.drain()
	h.mustShow(h.T("files.not_here"))
	h.button(h.T("files.download"))
	if !fetch() {
		t.Fatal("opening the record did not ask for its files")
	}
}
