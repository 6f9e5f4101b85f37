package guitest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kenesh/kenesh/desktop/internal/l10n"
	"github.com/kenesh/kenesh/desktop/internal/uiprobe"
)

// The helpers here run Xvfb, the kenesh binary with its probe on, and
// xdotool; they read the screen through the probe (what is where) and act
// only with real X events.

const passphrase = "kenesh-clicktest-passphrase"

// The virtual screen: a common laptop's.
const screenW, screenH = 1366, 768

// tools checks that the programs the test drives are installed.
func tools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"Xvfb", "xdotool", "import", "setxkbmap", "pdftotext"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing: the real-window test needs Xvfb, xdotool, ImageMagick, setxkbmap and pdftotext "+
				"(apt-get install xvfb xdotool imagemagick x11-xkb-utils poppler-utils; `make test` installs them)", tool)
		}
	}
}

// binaries returns the kenesh, keneshctl and kenesh-syncserver programs:
// from $KENESH_BIN (make test builds them first) or built here, once for
// all the tests of a run (see TestMain).
func binaries(t *testing.T) (kenesh, keneshctl, server string) {
	t.Helper()
	dir := os.Getenv("KENESH_BIN")
	if dir == "" {
		built.once.Do(func() {
			goCmd, err := exec.LookPath("go")
			if err != nil {
				built.err = fmt.Errorf("no go command to build kenesh with (or set KENESH_BIN): %w", err)
				return
			}
			if built.dir, err = os.MkdirTemp("", "kenesh-guitest-bin-"); err != nil {
				built.err = err
				return
			}
			cmd := exec.Command(goCmd, "build", "-o", built.dir+string(filepath.Separator), "github.com/kenesh/kenesh/desktop/cmd/kenesh",
				"github.com/kenesh/kenesh/desktop/cmd/keneshctl", "github.com/kenesh/kenesh/syncserver/cmd/kenesh-syncserver")
			if out, err := cmd.CombinedOutput(); err != nil {
				built.err = fmt.Errorf("building kenesh: %w\n%s", err, out)
			}
		})
		if built.err != nil {
			t.Fatal(built.err)
		}
		dir = built.dir
	}
	return filepath.Join(dir, "kenesh"), filepath.Join(dir, "keneshctl"), filepath.Join(dir, "kenesh-syncserver")
}

// built is the programs a run built for its tests.
var built struct {
	once sync.Once
	dir  string
	err  error
}

// TestMain removes the programs a run built.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// xserver is a virtual screen of a laptop's size.
type xserver struct {
	display string
	cmd     *exec.Cmd
}

func startX(t *testing.T) *xserver {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// -displayfd: Xvfb picks a free display and writes its number.
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", screenW, screenH), "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatalf("Xvfb: %v", err)
	}
	w.Close()
	line, err := bufio.NewReader(r).ReadString('\n')
	r.Close()
	if err != nil {
		_ = cmd.Process.Kill()
		t.Fatalf("Xvfb did not say its display: %v", err)
	}
	x := &xserver{display: ":" + strings.TrimSpace(line), cmd: cmd}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return x
}

// app is one run of the kenesh binary.
type app struct {
	t      *testing.T
	x      *xserver
	cmd    *exec.Cmd
	probe  string
	data   string
	tr     *l10n.Tr
	shots  string // where this run's screenshots go
	nshot  *int   // the last screenshot's number, shared by the runs of a test
	exited chan struct{}
	err    error // the exit status, once exited

	mu  sync.Mutex
	log bytes.Buffer // stderr
}

func (a *app) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.log.Write(p)
}

func (a *app) stderr() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.log.String()
}

// rig is what a real-window test drives with: a virtual screen, the
// programs, a home directory of its own for the app (Fyne's preferences,
// the file dialogs' places, the backup's default folder) and where its
// screenshots go.
type rig struct {
	t                         *testing.T
	x                         *xserver
	kenesh, keneshctl, server string
	shots, home               string
	nshot                     int
	start                     time.Time
}

func newRig(t *testing.T) *rig {
	t.Helper()
	if testing.Short() {
		t.Skip("a real-window test takes a minute or two; run it without -short")
	}
	// Each test has a screen, a home and a server of its own, and much of
	// its time is waiting for the app: two at once take little longer
	// than one (go test runs as many as GOMAXPROCS).
	t.Parallel()
	tools(t)
	r := &rig{t: t, home: t.TempDir(), start: time.Now()}
	r.kenesh, r.keneshctl, r.server = binaries(t)
	r.shots = shotsDir(t)
	r.x = startX(t)
	return r
}

// mark logs how long the test has run, at the end of a part of it (to
// see where the time goes: the test is kept to a few minutes).
func (r *rig) mark(part string) {
	r.t.Logf("%5.1f s  %s", time.Since(r.start).Seconds(), part)
}

// run starts kenesh on data in the given language.
func (r *rig) run(data, lang string) *app {
	r.t.Helper()
	a := run(r.t, r.x, r.kenesh, data, lang, r.shots, r.home)
	a.nshot = &r.nshot
	return a
}

// run starts kenesh on data in the given language.
func run(t *testing.T, x *xserver, bin, data, lang, shots, home string) *app {
	t.Helper()
	a := &app{t: t, x: x, data: data, probe: filepath.Join(t.TempDir(), "probe.sock"),
		tr: l10n.MustLoad().In(lang), shots: shots, exited: make(chan struct{}), nshot: new(int)}
	a.cmd = exec.Command(bin, "--data", data, "--lang", lang, "-v")
	a.cmd.Env = append(os.Environ(), "DISPLAY="+x.display, "KENESH_PROBE="+a.probe, "KENESH_KDF=test",
		"LANG="+lang+"_KG.UTF-8", "KENESH_PASSPHRASE=", "HOME="+home, "XDG_CONFIG_HOME=")
	a.cmd.Stderr = a
	a.cmd.Stdout = a
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("kenesh: %v", err)
	}
	go func() {
		a.err = a.cmd.Wait()
		close(a.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-a.exited:
		default:
			_ = a.cmd.Process.Kill()
			<-a.exited
		}
	})
	a.waitFor("the window", func(d uiprobe.Dump) bool { return len(d.Items) > 0 })
	a.focusWindow()
	return a
}

// waitDraftKept waits for the form's note that its draft is kept, shown
// whole beside Save (it once showed only "…").
func (a *app) waitDraftKept() {
	a.t.Helper()
	kept := strings.TrimSpace(strings.Split(a.T("draft.saved", "time", "\x00"), "\x00")[0])
	a.waitFor("the draft kept", func(d uiprobe.Dump) bool { it, ok := find(d, "label", prefix(kept)); return ok && !it.Cut })
}

// killAndContinueDraft kills a (kill -9: a power cut, a crash) once its
// draft is kept, starts kenesh again on the same data in lang, unlocks it,
// waits for the draft offered (screenshot shot) and clicks Continue. It
// returns the new run, back in the form.
func (r *rig) killAndContinueDraft(a *app, lang, shot string) *app {
	r.t.Helper()
	_ = a.cmd.Process.Kill()
	<-a.exited
	a = r.run(a.data, lang)
	a.unlock()
	a.waitFor("the draft offered", func(d uiprobe.Dump) bool { return shows(d, a.T("draft.found_title")) })
	a.screenshot(shot)
	a.clickButton(a.T("draft.continue"))
	return a
}

// T is the app's text for a key, in its language.
func (a *app) T(key string, args ...any) string { return a.tr.T(key, args...) }

func (a *app) alive() bool {
	select {
	case <-a.exited:
		return false
	default:
		return true
	}
}

// checkLog fails on a panic in what the app printed.
func (a *app) checkLog() {
	a.t.Helper()
	log := a.stderr()
	for _, bad := range []string{"panic:", "fatal error:", "[recovered]"} {
		if strings.Contains(log, bad) {
			a.fail("the app logged %q:\n%s", bad, tail(log, 60))
		}
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// fail keeps a screenshot and what the screen showed, then stops the test.
func (a *app) fail(format string, args ...any) {
	a.t.Helper()
	msg := fmt.Sprintf(format, args...)
	shot := a.screenshot("FAILED")
	var shows string
	if a.alive() {
		if d, err := a.dump(); err == nil {
			shows = describe(d)
		}
	} else {
		msg += fmt.Sprintf("\nthe app is gone (%v); its log:\n%s", a.err, tail(a.stderr(), 60))
	}
	a.t.Fatalf("%s\nscreen: %s\nscreenshots of this run: %s (last: %s)", msg, shows, a.shots, shot)
}

func describe(d uiprobe.Dump) string {
	var parts []string
	for _, it := range d.Items {
		if it.Text != "" || it.Name != "" {
			parts = append(parts, fmt.Sprintf("%s %q%s", it.Kind, short(it.Text), nameOf(it)))
		}
	}
	return fmt.Sprintf("[title %q] %s", d.Title, strings.Join(parts, " | "))
}

func nameOf(it uiprobe.Item) string {
	if it.Name == "" {
		return ""
	}
	return "(" + it.Name + ")"
}

func short(s string) string {
	r := []rune(s)
	if len(r) > 50 {
		return string(r[:49]) + "…"
	}
	return s
}

// screenshot saves the whole X screen as the next numbered PNG.
func (a *app) screenshot(name string) string {
	// The probe sees a change before Fyne paints it (at its next frame,
	// later on a loaded machine): a picture at once showed the screen
	// before.
	time.Sleep(400 * time.Millisecond)
	*a.nshot++
	file := filepath.Join(a.shots, fmt.Sprintf("%03d-%s.png", *a.nshot, name))
	out, err := exec.Command("import", "-display", a.x.display, "-window", "root", file).CombinedOutput()
	if err != nil {
		a.t.Logf("screenshot %s: %v %s", file, err, out)
	}
	return file
}

// dump asks the app what it shows.
func (a *app) dump() (uiprobe.Dump, error) { return uiprobe.Ask(a.probe, 20*time.Second) }

// waitFor polls the screen until cond holds; it fails if the app dies,
// logs a panic, or cond does not hold within a minute (a loaded CI
// machine is slow, a hung app is not).
func (a *app) waitFor(what string, cond func(uiprobe.Dump) bool) uiprobe.Dump {
	a.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if !a.alive() {
			a.fail("the app died waiting for %s", what)
		}
		a.checkLog()
		d, err := a.dump()
		if s := max(d.Scale, 1); err == nil && (d.Width*s > screenW+0.5 || d.Height*s > screenH+0.5) {
			// Fyne grows a window to fit what it shows, and never shrinks
			// it back: a screen wider than the laptop's is cut off.
			a.fail("waiting for %s, the window grew past the screen (%.0f×%.0f on %d×%d)", what, d.Width*s, d.Height*s, screenW, screenH)
		}
		if err == nil && cond(d) {
			return d
		}
		if time.Now().After(deadline) {
			a.fail("timed out waiting for %s (last probe error: %v)", what, err)
		}
		time.Sleep(80 * time.Millisecond)
	}
}

// find returns the item of kind that matches, on the top layer (a dialog
// before the window behind it, which it covers).
func find(d uiprobe.Dump, kind string, match func(uiprobe.Item) bool) (uiprobe.Item, bool) {
	var found uiprobe.Item
	ok := false
	for _, it := range d.Items {
		if (kind == "" || it.Kind == kind) && match(it) && (!ok || it.Layer > found.Layer) {
			found, ok = it, true
		}
	}
	return found, ok
}

func text(t string) func(uiprobe.Item) bool {
	return func(it uiprobe.Item) bool { return it.Text == t }
}
func named(n string) func(uiprobe.Item) bool {
	return func(it uiprobe.Item) bool { return it.Name == n }
}
func prefix(p string) func(uiprobe.Item) bool {
	return func(it uiprobe.Item) bool { return strings.HasPrefix(it.Text, p) }
}

// shows reports whether some item shows text (in part).
func shows(d uiprobe.Dump, s string) bool {
	for _, it := range d.Items {
		if strings.Contains(it.Text, s) {
			return true
		}
	}
	return false
}

// xdo runs xdotool on the app's display.
func (a *app) xdo(args ...string) {
	a.t.Helper()
	// Bounded: xdotool waits for X replies, and a wedged X server must fail
	// the test, not hang it.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+a.x.display)
	if out, err := cmd.CombinedOutput(); err != nil {
		a.fail("xdotool %s: %v %s", strings.Join(args, " "), err, out)
	}
}

func (a *app) focusWindow() {
	cmd := exec.Command("xdotool", "search", "--sync", "--limit", "1", "--name", "Kenesh")
	cmd.Env = append(os.Environ(), "DISPLAY="+a.x.display)
	out, err := cmd.Output()
	if err != nil {
		a.fail("finding the window: %v", err)
	}
	win := strings.TrimSpace(string(out))
	a.xdo("windowfocus", "--sync", win)
}

// visible reports whether the middle of it can be seen (not scrolled away).
func visible(it uiprobe.Item) bool {
	cx, cy := it.X+it.W/2, it.Y+it.H/2
	return cx >= it.Clip[0] && cx <= it.Clip[2] && cy >= it.Clip[1] && cy <= it.Clip[3]
}

// locator finds a control on the screen.
type locator func(uiprobe.Dump) (uiprobe.Item, bool)

// on is the locator of the item of kind that matches, on the top layer.
func on(kind string, match func(uiprobe.Item) bool) locator {
	return func(d uiprobe.Dump) (uiprobe.Item, bool) { return find(d, kind, match) }
}

// nth is the locator of the k-th item (from 0, in the order the screen
// lists them) of kind named name on layer: rows of a table share names.
func nth(kind, name string, k, layer int) locator {
	return func(d uiprobe.Dump) (uiprobe.Item, bool) {
		for _, it := range d.Items {
			if it.Kind == kind && it.Name == name && it.Layer == layer {
				if k == 0 {
					return it, true
				}
				k--
			}
		}
		return uiprobe.Item{}, false
	}
}

// topLayer is the layer that takes the clicks: the last dialog, or the
// window.
func topLayer(d uiprobe.Dump) int {
	top := 0
	for _, it := range d.Items {
		top = max(top, it.Layer)
	}
	return top
}

// itemAt waits for a control and scrolls it into view with the mouse wheel.
func (a *app) itemAt(what string, loc locator) uiprobe.Item {
	a.t.Helper()
	var it uiprobe.Item
	for tries := 0; ; tries++ {
		d := a.waitFor(what, func(d uiprobe.Dump) bool {
			var ok bool
			it, ok = loc(d)
			return ok
		})
		if visible(it) {
			return it
		}
		if tries > 60 {
			a.fail("%s stays out of view", what)
		}
		// Wheel over the scroll that holds it, towards it.
		mx, my := wheelSpot(d, it)
		button := "5" // down
		if it.Y+it.H/2 < it.Wheel[1] {
			button = "4"
		}
		a.move(d, mx, my)
		a.xdo("click", "--repeat", "3", button)
		time.Sleep(50 * time.Millisecond)
	}
}

// wheelSpot is where to turn the wheel to scroll it into view: in the
// scroll that moves it up and down, off any text field (a field of
// several lines scrolls itself) and list (the same).
func wheelSpot(d uiprobe.Dump, it uiprobe.Item) (float32, float32) {
	c := it.Wheel
	mx := (c[0] + c[2]) / 2
	over := func(x, y float32) bool {
		for _, o := range d.Items {
			if (o.Kind == "entry" || o.Kind == "list") && o.Layer == it.Layer && x >= o.X && x <= o.X+o.W && y >= o.Y && y <= o.Y+o.H {
				return true
			}
		}
		return false
	}
	mid := (c[1] + c[3]) / 2
	for dy := float32(0); dy < (c[3]-c[1])/2; dy += 8 {
		for _, y := range []float32{mid + dy, mid - dy} {
			for _, x := range []float32{mx, c[0] + 4} {
				if !over(x, y) {
					return x, y
				}
			}
		}
	}
	return mx, mid
}

func (a *app) move(d uiprobe.Dump, x, y float32) {
	s := d.Scale
	if s <= 0 {
		s = 1
	}
	// Not --sync: it waits for a motion event, and there is none when the
	// pointer is already there.
	a.xdo("mousemove", strconv.Itoa(int(math.Round(float64(x*s)))), strconv.Itoa(int(math.Round(float64(y*s)))))
}

// click moves the pointer to the middle of a control and clicks it, once
// it stands still (a page being redrawn moves its controls).
func (a *app) click(kind string, match func(uiprobe.Item) bool, what string) {
	a.t.Helper()
	a.clickAt(what, on(kind, match))
}

func (a *app) clickAt(what string, loc locator) {
	a.t.Helper()
	for tries := 0; ; tries++ {
		it := a.itemAt(what, loc)
		time.Sleep(60 * time.Millisecond)
		d, err := a.dump()
		again, ok := loc(d)
		if err != nil || !ok || again.X != it.X || again.Y != it.Y || again.W != it.W || !visible(again) {
			if tries > 50 {
				a.fail("%s does not stand still", what)
			}
			continue
		}
		if again.Disabled {
			a.fail("%s is disabled", what)
		}
		x := again.X + again.W/2
		if again.Kind == "check" || again.Kind == "radio" {
			// On the box: a check's text ends before the row it is laid
			// in does, and a click past the text does nothing.
			x = again.X + min(again.H, again.W)/2
		}
		a.move(d, x, again.Y+again.H/2)
		a.xdo("click", "1")
		return
	}
}

// clickFor clicks what loc finds and waits for cond (want names it). On
// a loaded machine a click can be lost (the control moved under the
// pointer as the screen settled after the probe saw it still): when cond
// has not held for 10 s and nothing covers the control (no dialog above
// it, so the click cannot land on another's button), it is clicked again,
// at most twice more; the last wait is waitFor's minute and its failure.
func (a *app) clickFor(what string, loc locator, want string, cond func(uiprobe.Dump) bool) uiprobe.Dump {
	a.t.Helper()
	for tries := 0; tries < 2; tries++ {
		a.clickAt(what, loc)
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(80 * time.Millisecond) {
			d, err := a.dump()
			if err != nil {
				continue
			}
			if cond(d) {
				return d
			}
			if it, ok := loc(d); !ok || d.Dialogs > it.Layer {
				return a.waitFor(want, cond) // something happened: no second click
			}
		}
		a.t.Logf("no %s 10 s after a click on %s: clicking again", want, what)
	}
	a.clickAt(what, loc)
	return a.waitFor(want, cond)
}

func (a *app) clickButton(label string) {
	a.t.Helper()
	a.click("button", text(label), "button "+label)
}

// typeInto clicks an entry, selects what it holds and types s over it.
func (a *app) typeInto(name, s string) {
	a.t.Helper()
	a.typeAt("field "+name, on("entry", named(name)), s)
}

func (a *app) typeAt(what string, loc locator, s string) {
	a.t.Helper()
	a.clickAt(what, loc)
	a.waitFor("focus in "+what, func(d uiprobe.Dump) bool {
		it, ok := loc(d)
		return ok && it.Focused
	})
	a.xdo("key", "ctrl+a")
	a.xdo("key", "BackSpace")
	if s != "" {
		// xdotool types a letter outside the keyboard map by remapping a
		// spare key for a moment, and the app, which reads keys a little
		// later, then saw other letters (Cyrillic came out as "ггггг").
		// Kyrgyz text is typed on the Kyrgyz keyboard instead, and the
		// layout goes back only once the app has read every key.
		cyrillic := strings.IndexFunc(s, func(r rune) bool { return r > 127 }) >= 0
		if cyrillic {
			a.layout("kg")
			defer a.layout("us")
		}
		a.xdo("type", "--delay", "20", s)
	}
	want := s
	a.waitFor(what+" holds the text", func(d uiprobe.Dump) bool {
		it, ok := loc(d)
		if ok && strings.HasPrefix(it.Text, "•") {
			return utf8.RuneCountInString(it.Text) == utf8.RuneCountInString(want)
		}
		return ok && it.Text == want
	})
}

// layout sets the X keyboard layout.
func (a *app) layout(name string) {
	a.t.Helper()
	cmd := exec.Command("setxkbmap", "-display", a.x.display, name)
	if out, err := cmd.CombinedOutput(); err != nil {
		a.fail("setxkbmap %s: %v %s", name, err, out)
	}
}

// choose opens a drop-down with the mouse and picks option, then checks
// that the field shows it.
func (a *app) choose(name, option string) {
	a.t.Helper()
	a.chooseAt("drop-down "+name, on("select", named(name)), option)
}

func (a *app) chooseAt(what string, loc locator, option string) {
	a.t.Helper()
	a.clickAt(what, loc)
	a.click("menuitem", text(option), "option "+option+" of "+what)
	a.waitFor(what+" shows "+option, func(d uiprobe.Dump) bool {
		it, ok := loc(d)
		_, menu := find(d, "menuitem", func(uiprobe.Item) bool { return true })
		return ok && it.Text == option && !menu
	})
}

// sweep opens every drop-down of the top layer (a form, a list's filters,
// a dialog), picks another choice, checks that the drop-down shows it, and
// picks the one it showed back when that was a choice (a filter's "any",
// Settings' text size). Drop-downs are found in the probe's dump, so a new
// one is swept without a change here; it returns how many it swept.
func (a *app) sweep(what string) int { a.t.Helper(); return a.sweepAll(what, true) }

// sweepForm is sweep that leaves each drop-down at the choice it picked
// (a form's values are chosen again after).
func (a *app) sweepForm(what string) int { a.t.Helper(); return a.sweepAll(what, false) }

func (a *app) sweepAll(what string, back bool) int {
	a.t.Helper()
	d, err := a.dump()
	if err != nil {
		a.fail("sweeping %s: %v", what, err)
	}
	layer := topLayer(d)
	type select_ struct {
		name string
		k    int
	}
	var all []select_
	seen := map[string]int{}
	for _, it := range d.Items {
		if it.Kind == "select" && it.Layer == layer {
			all = append(all, select_{it.Name, seen[it.Name]})
			seen[it.Name]++
		}
	}
	n := 0
	for _, s := range all {
		loc := nth("select", s.name, s.k, layer)
		desc := fmt.Sprintf("drop-down %q #%d of %s", s.name, s.k, what)
		d, _ := a.dump()
		it, ok := loc(d)
		if !ok {
			a.fail("%s is gone", desc)
		}
		if it.Disabled || len(it.Options) < 2 && (len(it.Options) == 0 || it.Options[0] == it.Text) {
			continue
		}
		was := it.Text
		pick := it.Options[len(it.Options)-1]
		if pick == was {
			pick = it.Options[0]
		}
		a.chooseAt(desc, loc, pick)
		if back && slices.Contains(it.Options, was) {
			a.chooseAt(desc, loc, was)
		}
		n++
	}
	return n
}

func (a *app) key(k string) { a.t.Helper(); a.xdo("key", k) }

// waitExit waits for the app to end by itself.
func (a *app) waitExit(what string) {
	a.t.Helper()
	select {
	case <-a.exited:
	case <-time.After(time.Minute):
		// What it waits for: Go prints every goroutine's stack on
		// SIGQUIT and exits, and the failure shows the log's end.
		shot := a.screenshot("FAILED")
		a.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-a.exited:
		case <-time.After(10 * time.Second):
		}
		a.t.Fatalf("the app did not exit after %s (screenshot %s); its goroutines on SIGQUIT:\n%s", what, shot, tail(a.stderr(), 400))
	}
	a.checkLog()
	if a.err != nil {
		a.t.Fatalf("the app exited with %v after %s; log:\n%s", a.err, what, tail(a.stderr(), 40))
	}
	if log := a.stderr(); strings.Contains(log, "the program did not end") {
		// Saved and closed, so not a failure; but what it waited for
		// is Fyne's or ours to find (main.exitIfHung).
		a.t.Logf("after %s the app ended by its own watchdog; its log:\n%s", what, tail(log, 200))
	}
}

// ctl runs keneshctl on the app's data directory (after the app is gone).
func ctl(t *testing.T, bin, data string, args ...string) []byte {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), bin, append([]string{"--data", data}, args...)...)
	cmd.Env = append(os.Environ(), "KENESH_PASSPHRASE="+passphrase, "KENESH_KDF=test")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("keneshctl %s: %v %s", strings.Join(args, " "), err, stderr)
	}
	return out
}
