package ui

import (
	"context"
	"github.com/kenesh/kenesh/desktop/internal/ui/controls"
	"maps"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/data/binding"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/syncer"
	"github.com/kenesh/kenesh/desktop/internal/update"
	"github.com/kenesh/kenesh/shared/domain"
)

// page is one screen inside the main frame.
type page interface {
	title() string
	view() fyne.CanvasObject
	// changed is called (on the UI goroutine) after saves, local or pulled
	// by sync; an Overflow entry means "reload everything".
	changed(c []records.Changed)
}

// dirtyPage is a page holding input that is not saved yet.
type dirtyPage interface {
	page
	dirty() bool
}

// filesPage is a page that shows how much of files is here.
type filesPage interface{ filesMoved() }

// saver is a page that Ctrl+S and Enter save.
type saver interface{ save() }

// Sections of the navigation.
const (
	secHome      = "home"
	secEvents    = "events"
	secAppeals   = "appeals"
	secMaterials = "materials"
	secQuest     = "questionnaires"
	secConflicts = "conflicts"
	secReports   = "reports"
	secSettings  = "settings"
)

var sections = []string{secHome, secEvents, secAppeals, secMaterials, secQuest, secReports, secConflicts, secSettings}

// shell is the main frame: navigation on the left, the current page, and
// the sync status bar along the bottom.
type shell struct {
	u       *UI
	section string
	stack   []page
	roots   map[string]page

	navButtons map[string]*widget.Button
	header     *widget.Label
	back       *widget.Button
	headerRow  *fyne.Container
	body       *fyne.Container
	status     *statusBar
	frame      fyne.CanvasObject

	conflicts int
	stopSubs  []func()
	stopped   bool     // stop ran: what the subscriptions queued is dropped (UI goroutine only)
	sections  []string // the navigation: what this laptop's role works with
	// central: the laptop of central staff, who review what councils
	// record and write nothing else (the core refuses it anyway).
	central bool
}

func newShell(u *UI) *shell {
	s := &shell{u: u, section: secHome}
	s.watch()
	s.rebuild()
	return s
}

// watch subscribes to saves and to the sync loop, and brings both to the
// UI goroutine. Saves are coalesced: a sync that pulls thousands of records
// redraws a few times a second, not thousands of times.
func (s *shell) watch() {
	u := s.u
	sess := u.sess
	ch, stop := sess.Records().Subscribe()
	s.stopSubs = append(s.stopSubs, stop)
	go func() {
		var pending []records.Changed
		var tick <-chan time.Time
		for {
			select {
			case batch, ok := <-ch:
				if !ok {
					return
				}
				pending = append(pending, batch...)
				if len(pending) > 1000 {
					pending = []records.Changed{records.Overflow}
				}
				if tick == nil {
					tick = time.After(200 * time.Millisecond)
				}
			case <-tick:
				b := pending
				pending, tick = nil, nil
				s.do(func() { s.onChanged(b) })
			}
		}
	}()
	sc, stopStatus := sess.Loop.Subscribe()
	s.stopSubs = append(s.stopSubs, stopStatus)
	go func() {
		for st := range sc {
			st := st
			s.do(func() { s.status.update(st) })
		}
	}()
	uc, stopUpdates := sess.Updates.Subscribe()
	s.stopSubs = append(s.stopSubs, stopUpdates)
	go func() {
		for st := range uc {
			s.do(func() {
				s.status.updSt = st
				s.status.upd.show(st)
				if sp, ok := s.roots[secSettings].(*settingsPage); ok {
					sp.showUpdate(st)
				}
			})
		}
	}()
	sess.StartSync()
}

func (s *shell) stop() {
	s.stopped = true
	for _, f := range s.stopSubs {
		f()
	}
	s.stopSubs = nil
}

// do runs f on the UI goroutine unless by then the shell has stopped or
// is no longer the window's: a save or a sync status queued just before
// the window closed or switched to a restored store would otherwise draw
// pages of a session that is closed (it did: a status update reached a
// record's page after the store was closed, and the page read the nil
// session). Everything the subscriptions bring goes through here.
func (s *shell) do(f func()) {
	s.u.do(func() {
		if s.stopped || s.u.shell != s || s.u.sess == nil {
			return
		}
		f()
	})
}

func (s *shell) onChanged(c []records.Changed) {
	s.countConflicts()
	for _, p := range s.roots {
		p.changed(c)
	}
	for _, p := range s.stack[1:] {
		p.changed(c)
	}
	s.status.refreshPending()
}

func (s *shell) countConflicts() {
	list, err := s.u.sess.Records().Conflicts(context.Background())
	if err != nil {
		s.u.log.Warn("reading conflicts", "err", err)
		return
	}
	s.conflicts = len(list)
	if b := s.navButtons[secConflicts]; b != nil {
		b.SetText(s.navLabel(secConflicts))
	}
}

func (s *shell) navLabel(sec string) string {
	label := s.u.T("nav." + sec)
	if sec == secConflicts && s.conflicts > 0 {
		label += " (" + s.u.tr.Int(s.conflicts) + ")"
	}
	return label
}

// navIcons and stateIcons are made when used: theme icons read the running
// app, and a package variable would ask before there is one (Fyne logs an
// error at every start).
func navIcons() map[string]fyne.Resource {
	return map[string]fyne.Resource{
		secHome: theme.HomeIcon(), secEvents: theme.CalendarIcon(), secAppeals: theme.MailComposeIcon(),
		secMaterials: theme.DocumentIcon(), secConflicts: theme.WarningIcon(), secSettings: theme.SettingsIcon(),
		secReports: theme.DocumentPrintIcon(), secQuest: theme.ListIcon(),
	}
}

// rebuild makes every page again (after a language or text size change),
// keeping the section shown.
func (s *shell) rebuild() {
	u := s.u
	role := u.sess.Role()
	s.central = role == domain.RoleCentral
	u.central = s.central
	u.records = role == "" || role == domain.RoleSecretary
	// A trainer's or administrator's laptop holds no appeals or events
	// (the server sends it none): no empty lists in the navigation.
	s.sections = sections
	if !u.records && !s.central {
		s.sections = []string{secHome, secMaterials, secConflicts, secSettings}
	}
	s.countConflicts()
	// Pages are made when first shown: the home screen comes up without
	// waiting for the lists and settings behind it.
	s.roots = map[string]page{}
	nav := container.NewVBox()
	s.navButtons = map[string]*widget.Button{}
	for _, sec := range s.sections {
		sec := sec
		b := u.button(s.navLabel(sec), navIcons()[sec], func() { s.navigate(sec) })
		b.Alignment = widget.ButtonAlignLeading
		s.navButtons[sec] = b
		nav.Add(b)
	}
	nav.Add(layout.NewSpacer())
	newEvent := u.button(u.T("action.new_event"), theme.ContentAddIcon(), func() { s.newEvent() })
	newAppeal := u.button(u.T("action.new_appeal"), theme.ContentAddIcon(), func() { s.newAppeal() })
	lock := u.button(u.T("action.lock"), theme.VisibilityOffIcon(), func() { u.lock() })
	lock.Importance = widget.LowImportance
	if u.records {
		nav.Add(newEvent)
		nav.Add(newAppeal)
	}
	nav.Add(lock)
	device := hint(u.sess.Records().Device().Name)
	nav.Add(device)

	s.header = heading("")
	s.back = u.button(u.T("action.back"), theme.NavigateBackIcon(), func() { s.pop() })
	s.body = container.NewStack()
	if s.status != nil {
		s.status.rebuild()
	} else {
		s.status = newStatusBar(u)
	}
	s.headerRow = container.NewBorder(nil, nil, s.back, nil, s.header)
	main := container.NewBorder(container.NewVBox(s.headerRow, widget.NewSeparator()), nil, nil, nil, s.body)
	// As wide as its widest label with a count: a count appearing in
	// "Conflicts (2)" does not shift the whole page.
	navW := float32(0)
	for _, o := range nav.Objects {
		if b, ok := o.(*widget.Button); ok {
			probe := widget.NewButtonWithIcon(b.Text+" (000)", b.Icon, nil)
			navW = max(navW, probe.MinSize().Width)
		}
	}
	left := container.NewBorder(nil, nil, nil, widget.NewSeparator(), container.NewPadded(container.New(controls.FixedWidth{W: navW}, nav)))
	s.frame = container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), s.status.view()), left, nil, container.NewPadded(main))
	s.stack = []page{s.root(s.section)}
	s.render()
}

func (s *shell) show() {
	s.u.setContent(s.frame)
	s.u.win.SetMainMenu(s.mainMenu())
	s.addShortcuts()
	s.render()
}

func (s *shell) top() page { return s.stack[len(s.stack)-1] }

// root returns a section's first page, making it on first use.
func (s *shell) root(sec string) page {
	if p, ok := s.roots[sec]; ok {
		return p
	}
	var p page
	switch sec {
	case secEvents:
		p = newEventsPage(s.u)
	case secAppeals:
		p = newAppealsPage(s.u)
	case secMaterials:
		p = newMaterialsPage(s.u)
	case secQuest:
		p = newQuestionnairesPage(s.u)
	case secConflicts:
		p = newConflictsPage(s.u)
	case secSettings:
		p = newSettingsPage(s.u)
	case secReports:
		p = newReportsPage(s.u)
	default:
		p = newHomePage(s.u)
	}
	s.roots[sec] = p
	return p
}

func (s *shell) render() {
	p := s.top()
	s.header.SetText(p.title())
	if len(s.stack) > 1 {
		s.back.Show()
	} else {
		s.back.Hide()
	}
	// A border lays out again only when refreshed: without this the title
	// keeps the room of a Back button that is gone.
	s.headerRow.Refresh()
	for sec, b := range s.navButtons {
		if sec == s.section {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.MediumImportance
		}
		b.Refresh()
	}
	s.body.Objects = []fyne.CanvasObject{p.view()}
	s.body.Refresh()
}

// leave asks before dropping unsaved input, then runs then.
func (s *shell) leave(then func()) {
	for _, p := range s.stack {
		if d, ok := p.(dirtyPage); ok && d.dirty() {
			s.u.confirm(s.u.T("form.discard_title"), s.u.T("form.discard_text"), s.u.T("form.discard"), func() {
				s.u.dropDraft()
				then()
			})
			return
		}
	}
	then()
}

func (s *shell) navigate(sec string) {
	s.leave(func() {
		s.section = sec
		s.stack = []page{s.root(sec)}
		s.render()
	})
}

func (s *shell) push(p page) {
	s.stack = append(s.stack, p)
	s.render()
}

// pop goes back one page, asking first if that page holds unsaved input.
func (s *shell) pop() {
	if len(s.stack) < 2 {
		return
	}
	if d, ok := s.top().(dirtyPage); ok && d.dirty() {
		s.u.confirm(s.u.T("form.discard_title"), s.u.T("form.discard_text"), s.u.T("form.discard"), func() {
			s.u.dropDraft()
			s.popNow()
		})
		return
	}
	s.popNow()
}

func (s *shell) popNow() {
	s.stack = s.stack[:len(s.stack)-1]
	s.render()
}

// replaceTop swaps the top page (a saved form becomes the record's detail).
func (s *shell) replaceTop(p page) {
	s.stack[len(s.stack)-1] = p
	s.render()
}

// refuseCentral tells a laptop that does not record (central staff,
// trainers) that councils record, when a shortcut asks for a form; it
// reports whether it did.
func (s *shell) refuseCentral() bool {
	if !s.u.records {
		s.u.showMessage(s.u.T("nav."+s.section), s.u.T("review.central"))
	}
	return !s.u.records
}

func (s *shell) newAppeal() {
	if s.refuseCentral() {
		return
	}
	s.leave(func() {
		s.section = secAppeals
		s.stack = []page{s.root(secAppeals), newAppealForm(s.u, nil)}
		s.render()
	})
}

func (s *shell) newEvent() {
	if s.refuseCentral() {
		return
	}
	s.leave(func() {
		s.section = secEvents
		s.stack = []page{s.root(secEvents), newEventForm(s.u, nil)}
		s.render()
	})
}

// search goes to the list of the current section (appeals unless events)
// and puts the cursor in its search field.
func (s *shell) search() {
	sec := s.section
	if sec != secEvents {
		sec = secAppeals
	}
	s.leave(func() {
		s.section = sec
		s.stack = []page{s.root(sec)}
		s.render()
		if f, ok := s.root(sec).(interface{ focusSearch() }); ok {
			f.focusSearch()
		}
	})
}

func (s *shell) saveCurrent() {
	if sv, ok := s.top().(saver); ok {
		sv.save()
	}
}

// Keyboard shortcuts. Fyne gives a focused entry every shortcut first and
// drops the ones it does not know, so app shortcuts live in the main menu,
// whose shortcuts fire whatever has the focus.
func (s *shell) mainMenu() *fyne.MainMenu {
	u := s.u
	ctrl := fyne.KeyModifierShortcutDefault
	item := func(key string, sc fyne.Shortcut, f func()) *fyne.MenuItem {
		it := fyne.NewMenuItem(u.T(key), func() {
			if u.locked {
				return
			}
			u.touch()
			f()
		})
		it.Shortcut = sc
		return it
	}
	// Exit asks first when a form holds unsaved input, as the window's
	// close button does (IsQuit: Fyne adds no Quit of its own that would not).
	exit := fyne.NewMenuItem(u.T("action.exit"), u.RequestClose)
	exit.IsQuit = true
	exit.Shortcut = &desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: ctrl}
	var recordItems []*fyne.MenuItem
	if u.records {
		recordItems = append(recordItems,
			item("action.new_appeal", &desktop.CustomShortcut{KeyName: fyne.KeyN, Modifier: ctrl}, s.newAppeal),
			item("action.new_event", &desktop.CustomShortcut{KeyName: fyne.KeyE, Modifier: ctrl}, s.newEvent))
	}
	recordItems = append(recordItems,
		item("action.search", &desktop.CustomShortcut{KeyName: fyne.KeyF, Modifier: ctrl}, s.search),
		item("action.save", &desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: ctrl}, s.saveCurrent),
		fyne.NewMenuItemSeparator(),
		item("action.lock", &desktop.CustomShortcut{KeyName: fyne.KeyL, Modifier: ctrl}, u.lock),
		fyne.NewMenuItemSeparator(),
		exit,
	)
	records := fyne.NewMenu(u.T("menu.records"), recordItems...)
	keys := []fyne.KeyName{fyne.Key1, fyne.Key2, fyne.Key3, fyne.Key4, fyne.Key5, fyne.Key6, fyne.Key7, fyne.Key8, fyne.Key9}
	var goItems []*fyne.MenuItem
	for i, sec := range s.sections {
		sec := sec
		var sc fyne.Shortcut
		if i < len(keys) { // a tenth section has no digit
			sc = &desktop.CustomShortcut{KeyName: keys[i], Modifier: ctrl}
		}
		goItems = append(goItems, item("nav."+sec, sc, func() { s.navigate(sec) }))
	}
	goItems = append(goItems, fyne.NewMenuItemSeparator(),
		item("action.back", &desktop.CustomShortcut{KeyName: fyne.KeyLeft, Modifier: fyne.KeyModifierAlt}, s.pop))
	gomenu := fyne.NewMenu(u.T("menu.go"), goItems...)
	syncMenu := fyne.NewMenu(u.T("menu.sync"),
		item("sync.now", &desktop.CustomShortcut{KeyName: fyne.KeyR, Modifier: ctrl}, func() { u.sess.Loop.Trigger() }))
	return fyne.NewMainMenu(records, gomenu, syncMenu)
}

// addShortcuts registers the same shortcuts on the canvas, for drivers
// without a main menu.
func (s *shell) addShortcuts() {
	c := s.u.win.Canvas()
	ctrl := fyne.KeyModifierShortcutDefault
	for _, k := range []struct {
		key fyne.KeyName
		f   func()
	}{{fyne.KeyN, s.newAppeal}, {fyne.KeyE, s.newEvent}, {fyne.KeyF, s.search}, {fyne.KeyS, s.saveCurrent}, {fyne.KeyL, s.u.lock},
		{fyne.KeyQ, s.u.RequestClose}} {
		f := k.f
		c.AddShortcut(&desktop.CustomShortcut{KeyName: k.key, Modifier: ctrl}, func(fyne.Shortcut) {
			if !s.u.locked {
				s.u.touch()
				f()
			}
		})
	}
}

// statusBar shows the sync state at all times.
type statusBar struct {
	u  *UI
	st syncer.Status
	// The texts are bound values: the sync loop's reports and the saves'
	// notifications set them, and the labels follow.
	stateText, pendingText, lastText binding.String
	files                            *widget.Label // files moving: "2,1 of 20,0 MB, 3 min left"
	filesShown                       time.Time     // when pages were last told files moved
	icon                             *widget.Icon
	state                            *widget.Label
	pending                          *widget.Label
	last                             *widget.Label
	progress                         *widget.ProgressBar
	progBox                          *fyne.Container
	problem                          *widget.Label
	now                              *widget.Button
	upd                              *updateBar // a release ready to install
	updSt                            update.Status
	box                              *fyne.Container
	// refused opens the changes the centre refused ("Refused by the
	// centre: 2"), hidden while there are none; refusedKey is what the
	// count was read for (refreshPending runs at every report).
	refused    *widget.Button
	refusedKey [3]uint64
	refusedN   int
	// refusedShown is the count the pages were last told of.
	refusedShown int
}

func newStatusBar(u *UI) *statusBar {
	b := &statusBar{u: u}
	b.rebuild()
	if u.sess != nil {
		b.st = u.sess.Loop.Status()
	}
	b.update(b.st)
	return b
}

func (b *statusBar) rebuild() {
	u := b.u
	b.icon = widget.NewIcon(theme.MediaRecordIcon())
	if b.stateText == nil {
		b.stateText, b.pendingText, b.lastText = binding.NewString(), binding.NewString(), binding.NewString()
	}
	b.state = widget.NewLabelWithData(b.stateText)
	b.state.TextStyle.Bold = true
	b.pending = widget.NewLabelWithData(b.pendingText)
	b.last = widget.NewLabelWithData(b.lastText)
	b.files = widget.NewLabel("")
	b.files.Hide()
	b.progress = widget.NewProgressBar()
	b.progBox = container.New(controls.Columns{Widths: []float32{0}}, b.progress)
	b.progBox.Hide()
	b.problem = widget.NewLabel("")
	b.problem.Importance = widget.DangerImportance
	b.problem.Wrapping = fyne.TextWrapWord
	b.problem.Hide()
	b.now = u.button(u.T("sync.now"), theme.ViewRefreshIcon(), func() {
		if u.sess != nil {
			u.sess.Loop.Trigger()
		}
	})
	b.refused = u.button("", theme.WarningIcon(), func() {
		if u.shell != nil {
			u.shell.push(newRefusalsPage(u))
		}
	})
	b.refused.Importance = widget.DangerImportance
	b.refused.Hide()
	b.refusedKey = [3]uint64{}
	row := container.NewHBox(b.icon, b.state, widget.NewSeparator(), b.pending, widget.NewSeparator(), b.last, b.files, layout.NewSpacer(), b.refused, b.now)
	b.upd = newUpdateBar(u)
	b.upd.show(b.updSt)
	b.box = container.NewVBox(row, b.progBox, b.problem, b.upd.box)
	if b.u.sess != nil {
		b.update(b.st) // in the language now in force
	}
}

func (b *statusBar) view() fyne.CanvasObject { return b.box }

func stateIcons() map[syncer.State]fyne.Resource {
	return map[syncer.State]fyne.Resource{
		syncer.StateIdle: theme.ConfirmIcon(), syncer.StateSyncing: theme.ViewRefreshIcon(), syncer.StateOffline: theme.CancelIcon(),
		syncer.StateError: theme.WarningIcon(), syncer.StateBlocked: theme.ErrorIcon(), syncer.StateNotEnrolled: theme.InfoIcon(),
		stateStarting: theme.ViewRefreshIcon(),
	}
}

func (b *statusBar) update(st syncer.Status) {
	u := b.u
	b.st = st
	b.refreshPending()
	state := b.shownState()
	f := st.Files
	fdone, ftotal := f.UpDone+f.DownDone, f.UpTotal+f.DownTotal
	switch {
	case state == syncer.StateSyncing && st.Total > 0:
		b.progress.Max = float64(st.Total)
		b.progress.SetValue(float64(st.Done))
		b.progBox.Show()
	case state == syncer.StateSyncing && ftotal > 0:
		b.progress.Max = float64(ftotal)
		b.progress.SetValue(float64(fdone))
		b.progBox.Show()
	default:
		b.progBox.Hide()
	}
	if state == syncer.StateSyncing && ftotal > 0 {
		text := u.T("files.moving", "done", u.size(fdone), "total", u.size(ftotal))
		if left := f.Left(); left > 0 {
			text += ", " + u.T("files.left", "time", u.duration(left))
		}
		b.files.SetText(text)
		b.files.Show()
	} else {
		b.files.Hide()
	}
	// Pages that show how much of a file is here follow, once a second
	// and when the sync ends.
	if u.shell != nil && (time.Since(b.filesShown) > time.Second || state != syncer.StateSyncing) {
		b.filesShown = time.Now()
		if fp, ok := u.shell.top().(filesPage); ok {
			fp.filesMoved()
		}
	}
	msg := ""
	if state != syncer.StateIdle && state != syncer.StateSyncing {
		msg = u.syncProblem(st.Err)
	}
	setError(b.problem, msg)
}

// shownState is the sync state to show: before the loop's first report, a
// laptop that is not enrolled says so, and an enrolled one is connecting
// (not "up to date": nothing was sent yet).
func (b *statusBar) shownState() syncer.State {
	if b.st.State != "" {
		return b.st.State
	}
	if b.u.sess != nil {
		if _, err := b.u.sess.Records().Enrollment(context.Background()); err != nil {
			return syncer.StateNotEnrolled
		}
	}
	return stateStarting
}

// stateStarting: enrolled, and the sync loop has not reported yet.
const stateStarting syncer.State = "starting"

// refreshPending reads the counters from the store (a save changes them
// before the loop next reports) and says the state with them: never "up
// to date" while changes wait to be sent.
func (b *statusBar) refreshPending() {
	u := b.u
	if u.sess == nil {
		return
	}
	ss, err := u.sess.Records().SyncState(context.Background())
	if err != nil {
		return
	}
	state := b.shownState()
	b.icon.SetResource(stateIcons()[state])
	b.showRefused(ss)
	text := u.T("sync.state." + string(state))
	switch {
	case state == syncer.StateIdle && ss.Pending > 0:
		text = u.T("sync.state.idle_pending", "n", int(ss.Pending))
	case state == syncer.StateIdle && b.refusedN > 0:
		// Never "everything sent" while the centre refused some.
		text = u.T("sync.state.idle_refused")
		b.icon.SetResource(theme.WarningIcon())
	}
	if state == syncer.StateOffline && !b.st.NextAttempt.IsZero() {
		text += " · " + u.T("sync.retry_at", "time", b.st.NextAttempt.In(bishkek).Format("15:04"))
	}
	_ = b.stateText.Set(text)
	_ = b.pendingText.Set(u.T("sync.pending", "n", int(ss.Pending)))
	last := ss.LastOK
	if b.st.LastOK.After(last) {
		last = b.st.LastOK
	}
	if last.IsZero() {
		_ = b.lastText.Set(u.T("sync.never"))
	} else {
		_ = b.lastText.Set(u.T("sync.last", "time", last))
	}
}

var bishkek = records.Bishkek

// showRefused shows how many changes the centre refused are still on a
// record here. They are worked out again only when the refusals, this
// laptop's changes or what it pulled moved (the key): the status is
// refreshed at every report of a sync.
func (b *statusBar) showRefused(ss records.SyncState) {
	key := [3]uint64{uint64(len(ss.Refused)), ss.Seq, ss.Cursor}
	if len(ss.Refused) > 0 && key != b.refusedKey {
		if list, err := b.u.sess.Records().Refusals(context.Background()); err == nil {
			b.refusedN, b.refusedKey = len(list), key
		}
	}
	if len(ss.Refused) == 0 {
		b.refusedN = 0
	}
	if b.refusedN != b.refusedShown {
		// A sync's answer refused changes (or the last was settled):
		// no record changed, so the pages that count them are told.
		b.refusedShown = b.refusedN
		if s := b.u.shell; s != nil {
			for _, p := range append(slices.Collect(maps.Values(s.roots)), s.stack...) {
				if r, ok := p.(interface{ refusalsMoved() }); ok {
					r.refusalsMoved()
				}
			}
		}
	}
	if b.refusedN == 0 {
		b.refused.Hide()
		return
	}
	b.refused.SetText(b.u.T("sync.refused", "n", b.refusedN))
	b.refused.Show()
}
