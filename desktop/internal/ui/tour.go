package ui

import (
	"bytes"
	"context"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"image"
	"image/color"
	"image/png"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/session"
	"github.com/kenesh/kenesh/shared/domain"
)

// UnlockWith unlocks the store with a passphrase given at start
// (KENESH_PASSPHRASE), as if typed on the unlock screen; errors show there.
func (u *UI) UnlockWith(pass string) {
	var s *session.Session
	var err error
	start := time.Now()
	u.async(func() {
		s, err = session.Unlock(context.Background(), u.cfg.Dir, pass, u.cfg.Session)
		u.log.Debug("store unlocked", "dir", u.cfg.Dir, "took", time.Since(start), "err", err)
	}, func() {
		if err != nil {
			u.showError(err)
			return
		}
		u.sess = s
		u.enterShell()
	})
}

// Unlocked is the outcome of an unlock started before the interface was
// built (see AdoptUnlock).
type Unlocked struct {
	Session *session.Session
	Err     error
}

// AdoptUnlock shows the home screen when an unlock that main started at
// once (KENESH_PASSPHRASE) finishes: key derivation and reading the index
// then overlap with making the window. A failure shows on the unlock screen.
func (u *UI) AdoptUnlock(res <-chan Unlocked) {
	go func() {
		r := <-res
		u.do(func() {
			if r.Err != nil {
				u.showError(r.Err)
				return
			}
			u.sess = r.Session
			u.enterShell()
		})
	}()
}

// TourStep is one screen of the screenshot tour. Do runs on the UI
// goroutine; Wait, if set, runs after it off the UI goroutine and returns
// when the screen is ready.
type TourStep struct {
	Name string
	Do   func()
	Wait func()
}

// Tour lists the main screens, for the screenshot tool to show in turn in
// the real window. On a directory without a store it shows the first run.
func (u *UI) Tour(pass string) []TourStep {
	if u.fr != nil {
		return u.firstRunTour(pass)
	}
	unlocked := make(chan struct{})
	prev := u.cfg.OnUnlocked
	u.cfg.OnUnlocked = func() {
		if prev != nil {
			prev()
		}
		select {
		case <-unlocked:
		default:
			close(unlocked)
		}
	}
	s := func() *shell { return u.shell }
	find := func(f records.Filter, ok func(records.Summary) bool) string {
		for _, r := range u.summaries(f) {
			if ok(r) {
				return r.ID
			}
		}
		return ""
	}
	reset := func(sec string, extra ...page) {
		u.hideModal()
		s().section = sec
		s().stack = append([]page{s().root(sec)}, extra...)
		s().render()
	}
	var appealID string
	reported := make(chan struct{}, 10)
	return []TourStep{
		{Name: "01-unlock", Do: func() {}},
		{Name: "02-home", Do: func() { u.UnlockWith(pass) }, Wait: func() { <-unlocked }},
		{Name: "03-events", Do: func() { reset(secEvents) }},
		{Name: "04-event-detail", Do: func() {
			id := find(records.Filter{Kind: domain.KindEvent, DueSoon: 3650}, func(records.Summary) bool { return true })
			if id == "" {
				id = find(records.Filter{Kind: domain.KindEvent}, func(records.Summary) bool { return true })
			}
			reset(secEvents, newEventDetail(u, id))
		}},
		{Name: "05-event-form", Do: func() { reset(secEvents, newEventForm(u, nil)) }},
		{Name: "06-appeals", Do: func() { reset(secAppeals) }},
		{Name: "07-appeals-search", Do: func() {
			reset(secAppeals)
			ap := s().root(secAppeals).(*recordList)
			ap.f.search.SetText("жер")
			ap.f.flag.SetChecked(true)
			ap.reload()
		}},
		{Name: "08-appeal-detail", Do: func() {
			s().root(secAppeals).(*recordList).f.search.SetText("")
			s().root(secAppeals).(*recordList).f.flag.SetChecked(false)
			appealID = find(records.Filter{Kind: domain.KindAppeal, Status: string(domain.StatusReferred)}, func(records.Summary) bool { return true })
			reset(secAppeals, newAppealDetail(u, appealID))
		}},
		{Name: "09-appeal-step", Do: func() {
			d := newAppealDetail(u, appealID)
			reset(secAppeals, d)
			appealStep(d, domain.StatusAnswered)
		}},
		{Name: "10-appeal-publication", Do: func() {
			id := find(records.Filter{Kind: domain.KindAppeal, Status: string(domain.StatusVerified)}, func(records.Summary) bool { return true })
			d := newAppealDetail(u, id)
			reset(secAppeals, d)
			appealPublication(d)
			for _, o := range allObjects(u.lastModal.content) {
				if e, ok := o.(*controls.Entry); ok && e.MultiLine {
					e.SetText(d.rec.Summary)
					break
				}
			}
		}},
		{Name: "11-appeal-form-errors", Do: func() {
			f := newAppealForm(u, nil)
			reset(secAppeals, f)
			f.preset(map[string]string{"appellant.name": "", "appellant.phone": "0555"})
			f.save()
		}},
		{Name: "08b-appeal-files", Do: func() {
			u.tourFiles(appealID)
			reset(secAppeals, newAppealDetail(u, appealID))
		}, Wait: func() {
			// Scrolled once laid out: the files are under the fields.
			time.Sleep(300 * time.Millisecond)
			done := make(chan struct{})
			u.do(func() { scrollDown(s().top().view()); close(done) })
			<-done
			time.Sleep(300 * time.Millisecond)
		}},
		{Name: "12-conflicts", Do: func() { reset(secConflicts) }},
		{Name: "12b-materials", Do: func() {
			u.tourMaterials()
			reset(secMaterials)
		}},
		{Name: "12c-competition-scoring", Do: func() {
			id, entry := u.tourCompetition()
			if id == "" {
				reset(secHome)
				return
			}
			f := newScoreForm(u, id, entry)
			reset(secHome, newCompetitionsPage(u), newCompetitionDetail(u, id), f)
			for i, cr := range f.c.Criteria {
				if s, ok := f.choices[cr.ID]; ok && i < 2 {
					s.SetSelected([]string{"8", "4"}[i])
				}
			}
			if f.note != nil {
				f.note.SetText("Күчтүү иликтөө: далилдер так келтирилген, жер үлүшүн алгандардын үнү да берилген.")
			}
		}},
		{Name: "12d-training-attendance", Do: func() {
			id := u.tourTraining()
			reset(secEvents, newEventDetail(u, id))
		}, Wait: func() {
			// Scrolled to the list once laid out: it is under the facts.
			time.Sleep(300 * time.Millisecond)
			done := make(chan struct{})
			u.do(func() {
				scrollToText(s().top().view(), u.T("training.attendance", "n", len(tourAttendees)))
				close(done)
			})
			<-done
			time.Sleep(300 * time.Millisecond)
		}},
		{Name: "13-settings", Do: func() { reset(secSettings) }},
		{Name: "13a-reports", Do: func() {
			reset(secReports)
			rp := s().root(secReports).(*reportsPage)
			rp.onShown = func() { reported <- struct{}{} }
			rp.preset.SetCode("year")
		}, Wait: func() {
			select {
			case <-reported:
				// Many widgets and four images: the first frame of
				// them takes a while under a software renderer.
				time.Sleep(3 * time.Second)
			case <-time.After(30 * time.Second):
			}
		}},
		{Name: "14-exit-question", Do: func() {
			f := newAppealForm(u, nil)
			reset(secAppeals, f)
			f.preset(map[string]string{"summary": "Милиция арызды каттоодон баш тартты"})
			u.RequestClose()
		}},
		{Name: "15-lock", Do: func() {
			if u.exitDialog != nil {
				u.exitDialog.Hide()
			}
			u.DiscardInput()
			u.lock()
		}},
	}
}

func (u *UI) firstRunTour(pass string) []TourStep {
	return []TourStep{
		{Name: "00a-firstrun-language", Do: func() { u.fr.goTo("language") }},
		{Name: "00b-firstrun-create", Do: func() {
			u.fr.goTo("create")
			u.firstForm.pass.SetText("кызыл алма")
			u.firstForm.again.SetText("кызыл алма")
		}},
	}
}

// hideModal closes the dialog the tour opened last.
func (u *UI) hideModal() {
	if u.lastModal != nil {
		u.lastModal.d.Hide()
		u.lastModal = nil
	}
}

// allObjects walks containers and scrolls (what the tour needs to find a
// field inside a dialog).
func allObjects(o fyne.CanvasObject) []fyne.CanvasObject {
	out := []fyne.CanvasObject{o}
	switch x := o.(type) {
	case *fyne.Container:
		for _, c := range x.Objects {
			out = append(out, allObjects(c)...)
		}
	case *container.Scroll:
		out = append(out, allObjects(x.Content)...)
	case *widget.Card:
		out = append(out, allObjects(x.Content)...)
	case *container.Split:
		out = append(out, x)
	}
	return out
}

// tourFiles attaches a photo and a scan to the appeal the tour shows, once.
func (u *UI) tourFiles(id string) {
	ctx := context.Background()
	if atts, err := u.sess.Records().Attachments(ctx, domain.KindAppeal, id); err != nil || len(atts) > 0 {
		return
	}
	fl := u.sess.Files()
	fl.Attach(ctx, domain.KindAppeal, id, files.Input{Name: "жер-тилкеси.png", Caption: "Тосулган жер тилкеси"}, bytes.NewReader(tourPhoto()))
	fl.Attach(ctx, domain.KindAppeal, id, files.Input{Name: "арыз-скан.pdf", Caption: "Арыздын сканы"}, bytes.NewReader(tourPDF(180_000)))
}

// tourMaterials publishes two materials, once.
func (u *UI) tourMaterials() {
	ctx := context.Background()
	if list, err := u.sess.Records().Materials(ctx); err != nil || len(list) > 0 {
		return
	}
	fl := u.sess.Files()
	fl.Publish(ctx, files.MaterialInput{Title: "Коомдук угуу өткөрүү боюнча колдонмо", Language: "ky", Topic: "Коомдук угуу",
		Audience: "Кеңештин мүчөлөрү", Description: "Угууну даярдоо, жарыялоо, протокол жазуу жана чечимдерди көзөмөлдөө.",
		File: files.Input{Name: "колдонмо.pdf"}}, bytes.NewReader(tourPDF(2_400_000)))
	fl.Publish(ctx, files.MaterialInput{Title: "Права граждан при обращении в госорганы", Language: "ru", Topic: "Права человека",
		Audience: "Секретари советов", File: files.Input{Name: "права.pdf"}}, bytes.NewReader(tourPDF(900_000)))
}

// tourPhoto is a picture of a field for the tour's attachment.
func tourPhoto() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := 0; y < 240; y++ {
		for x := 0; x < 320; x++ {
			c := color.RGBA{R: 110 + uint8(x/8), G: 160 + uint8(y/6), B: 90, A: 255}
			if y < 90 {
				c = color.RGBA{R: 120 + uint8(y/2), G: 170 + uint8(y/3), B: 230, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// tourPDF is a PDF of about n bytes.
func tourPDF(n int) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n% Kenesh\n")
	line := []byte("Кеңештин жыйынынын протоколу: катышкандар, күн тартиби, чечимдер.\n")
	for b.Len() < n {
		b.Write(line)
	}
	b.WriteString("%%EOF\n")
	return b.Bytes()
}

// scrollDown scrolls a record page's fields to their end, where its files
// are.
func scrollDown(o fyne.CanvasObject) {
	for _, x := range allObjects(o) {
		if sp, ok := x.(*container.Split); ok {
			if s, ok := sp.Leading.(*container.Scroll); ok {
				s.ScrollToBottom()
			}
			return
		}
	}
}

// tourJurorLaptop is the laptop the tour's other juror scores on: made
// up, and a laptop's id as every id is (domain.LaptopID).
const tourJurorLaptop = "0193f2a4-7c1e-7d2a-9b3e-5f6a7b8c9d0e"

// tourCompetition sets up, once, a competition this laptop judges, with
// an entry sent as a file: the tour shows its scoring form (the first
// entry's).
func (u *UI) tourCompetition() (id, entry string) {
	ctx := context.Background()
	svc := u.sess.Records()
	if list, err := svc.Competitions(ctx); err == nil && len(list) > 0 && len(list[0].Entries) > 0 {
		return list[0].ID, list[0].Entries[0].ID
	}
	c, err := svc.SaveCompetition(ctx, domain.Competition{Title: "Мыкты журналисттик иш 2026", Audience: domain.AudienceJournalists,
		Deadline: svc.Today().AddDays(-3), Places: 2, Rules: "Иштер 2026-жылы жергиликтүү басылмада же сайтта жарыяланган болушу керек.",
		Criteria: []domain.Criterion{{Name: "Маанилүүлүгү", Max: 10}, {Name: "Сапаты", Max: 5}, {Name: "Тереңдиги", Max: 5}},
		Jurors:   []domain.Juror{{Name: "Айгүл Токтогулова", Device: svc.Device().ID}, {Name: "Бакыт Асанов", Device: tourJurorLaptop}}})
	if err != nil {
		u.log.Warn("tour: the competition", "err", err)
		return "", ""
	}
	fl := u.sess.Files()
	_, e, err := fl.AddEntry(ctx, c.ID, domain.Entry{Author: "Нурлан Токтоматов", Title: "Жер үлүшү кимде?", Link: "https://kaktus.example.kg/jer"},
		files.Input{Name: "жер-үлүшү.pdf"}, bytes.NewReader(tourPDF(240_000)))
	if err != nil {
		u.log.Warn("tour: the entry", "err", err)
		return "", ""
	}
	fl.AddEntry(ctx, c.ID, domain.Entry{Author: "Айжан Осмонова", Title: "Айылдагы суу", Link: "https://kaktus.example.kg/suu"}, files.Input{}, nil)
	return c.ID, e.ID
}

// tourTrainingTitle names the training the tour records (once).
const tourTrainingTitle = "Кайрылуулар менен иштөө: окуу"

var tourAttendees = []domain.Attendee{
	{Name: "Гүлнара Үсөнова", Gender: "female", Group: "council_members"},
	{Name: "Өмүрбек Нуров", Gender: "male", Group: "officials", Organisation: "Айыл өкмөтү"},
	{Name: "Айпери Жумабаева", Gender: "female", Group: "civil_society", Organisation: "«Жаштар демилгеси» коомдук бирикмеси"},
	{Name: "Нурбек Сатыбалдиев", Gender: "male", Group: "journalists", Organisation: "«Айыл жаңылыктары» гезити"},
	{Name: "Чолпон Абдыкалыкова", Gender: "female", Group: "citizens"},
	{Name: "Эрмек Токтосунов", Gender: "male", Group: "council_members"},
}

// tourTraining records, once, a training of the laptop's council with its
// attendance list, and returns its id.
func (u *UI) tourTraining() string {
	ctx := context.Background()
	svc := u.sess.Records()
	for _, r := range u.summaries(records.Filter{Kind: domain.KindEvent}) {
		if r.Title == tourTrainingTitle {
			return r.ID
		}
	}
	cs, err := svc.Councils(ctx)
	if err != nil || len(cs) == 0 {
		return ""
	}
	c := cs[0]
	for _, x := range cs {
		if x.Code == svc.HomeCouncil() {
			c = x
		}
	}
	ev, err := svc.CreateEvent(ctx, domain.Event{Council: c.Code, Kind: domain.EventKindTraining, Title: tourTrainingTitle,
		Date: svc.Today().AddDays(-1), Oblast: c.Oblast, District: c.District, Venue: "Айыл өкмөтүнүн залы"})
	if err != nil {
		u.log.Warn("tour: the training", "err", err)
		return ""
	}
	list := slices.Clone(tourAttendees)
	for i := range list {
		if list[i].Group == "council_members" {
			list[i].Organisation = c.Name // the training's own council
		}
	}
	if _, _, err := svc.SaveAttendees(ctx, ev.ID, list); err != nil {
		u.log.Warn("tour: the attendees", "err", err)
	}
	return ev.ID
}

// scrollToText scrolls the scroll that holds the label showing text to
// it (the tour's screenshot of a part of a long page).
func scrollToText(o fyne.CanvasObject, text string) {
	children := func(x fyne.CanvasObject) []fyne.CanvasObject {
		switch c := x.(type) {
		case *fyne.Container:
			return c.Objects
		case *container.Scroll:
			return []fyne.CanvasObject{c.Content}
		case *widget.Card:
			return []fyne.CanvasObject{c.Content}
		case *container.Split:
			return []fyne.CanvasObject{c.Leading, c.Trailing}
		}
		return nil
	}
	// at is where the label is in x.
	var at func(x fyne.CanvasObject) (fyne.Position, bool)
	at = func(x fyne.CanvasObject) (fyne.Position, bool) {
		if l, ok := x.(*widget.Label); ok && l.Text == text {
			return fyne.Position{}, true
		}
		for _, k := range children(x) {
			if p, ok := at(k); ok {
				return p.Add(k.Position()), true
			}
		}
		return fyne.Position{}, false
	}
	var scroll func(x fyne.CanvasObject) bool
	scroll = func(x fyne.CanvasObject) bool {
		if sc, ok := x.(*container.Scroll); ok {
			if p, ok := at(sc.Content); ok {
				sc.ScrollToOffset(fyne.NewPos(0, p.Y-12))
				return true
			}
		}
		for _, k := range children(x) {
			if scroll(k) {
				return true
			}
		}
		return false
	}
	scroll(o)
}
