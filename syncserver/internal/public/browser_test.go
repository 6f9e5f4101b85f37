package public

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kenesh/kenesh/shared/domain"
)

// screenshots, when set, is where the browser test leaves its pictures
// (make screenshots-public writes docs/screenshots/public-*.png).
var screenshots = flag.String("screenshots", "", "directory for the public pages' screenshots (default: a temporary one)")

// chromium finds Debian's chromium, which .ci/ensure-deps installs.
func chromium(t *testing.T) string {
	for _, p := range []string{os.Getenv("KENESH_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	t.Skip("no chromium: install Debian's chromium (.ci/ensure-deps does)")
	return ""
}

// A person in a real browser (headless Chromium, driven over its devtools
// protocol, no JavaScript in the pages) reads the register, an appeal and
// the statistics and the competitions' winners, fills the form, sends it, lands on the tracking page,
// and looks it up again by its code; at a phone's width (360 px) and a
// laptop's (1366 px), with a screenshot of each.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	exe := chromium(t)
	w := newWorld(t, GuardConfig{})
	w.populate()
	w.populateCompetition()
	if *screenshots != "" {
		w.populateMore(40) // pictures of a register in use
	}
	out := *screenshots
	if out == "" {
		out = t.TempDir()
	} else if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("lang", "ky"),
		chromedp.Flag("hide-scrollbars", true)}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 90*time.Second)
	defer cancel()

	shot := func(name string, width int64) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800)); err != nil {
			t.Fatal(err)
		}
		buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: a PNG of the whole page
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(out, name+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
		// A page wider than the screen scrolls sideways on a phone.
		img, err := png.Decode(bytes.NewReader(buf))
		if err != nil || img.Bounds().Dx() != int(width) {
			t.Errorf("screenshot %s: %v; %d px wide on a screen of %d", name, err, img.Bounds().Dx(), width)
		}
	}
	visit := func(path string) string {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Navigate(w.srv.URL+path), chromedp.WaitReady("body")); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		body, err := chromedp.Run(ctx, chromedp.Text("main"))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return body
	}
	published := w.appeals["consented"].regNo
	for _, width := range []int64{360, 1366} {
		size := map[int64]string{360: "phone", 1366: "desktop"}[width]
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 800)); err != nil {
			t.Fatal(err)
		}
		if body := visit(Prefix + "ky/"); !strings.Contains(body, "Жарыяланган кайрылуулар") || !strings.Contains(body, published) {
			t.Fatalf("the register in the browser:\n%s", body)
		}
		shot("public-register-"+size, width)
		if body := visit(Prefix + "ky/appeals/" + published); !strings.Contains(body, "Асанова Айгүл") {
			t.Fatalf("the appeal page:\n%s", body)
		}
		shot("public-appeal-"+size, width)
		if body := visit(Prefix + "ru/stats"); !strings.Contains(body, "меньше 3") {
			t.Fatalf("the statistics:\n%s", body)
		}
		shot("public-stats-"+size, width)
		if body := visit(Prefix + "ky/competitions"); !strings.Contains(body, "1-орун (бөлүшүлгөн)") || !strings.Contains(body, "Айылдагы суу") {
			t.Fatalf("the competitions' winners:\n%s", body)
		}
		shot("public-competitions-"+size, width)
		visit(Prefix + "ky/appeal")
		shot("public-form-"+size, width)
	}

	// The form, filled and sent as a person does: no script anywhere.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 800)); err != nil {
		t.Fatal(err)
	}
	visit(Prefix + "ky/appeal")
	err := chromedp.Do(ctx,
		chromedp.SetValue("#council", "NRN-ATB"),
		chromedp.SetValue("#category", "education"),
		chromedp.SendKeys("#text", "Мектептин чатыры агып жатат. Балдар суук класста окушат."),
		chromedp.SendKeys("#name", "Токтогулова Динара"),
		chromedp.SendKeys("#phone", "0700 112 233"),
		chromedp.Click("#consent"),
		chromedp.Click(`main form button[type="submit"]`),
		chromedp.WaitVisible(".notice.received"),
	)
	if err != nil {
		t.Fatalf("sending the form: %v", err)
	}
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	body, err := chromedp.Run(ctx, chromedp.Text("main"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`/public/ky/track/([2-9A-Z]{5}-[2-9A-Z]{5})`).FindStringSubmatch(url)
	if m == nil || !strings.Contains(body, m[1]) || !strings.Contains(body, "Кабыл алынды") {
		t.Fatalf("after sending: %s\n%s", url, body)
	}
	shot("public-track-phone", 360)
	code := m[1]
	if n := len(w.submissions("NRN-ATB")); n != 1 {
		t.Fatalf("%d web submissions in the log", n)
	}
	// Looked up again by the code, typed as a person types it.
	visit(Prefix + "ky/track")
	err = chromedp.Do(ctx,
		chromedp.SendKeys("#code", strings.ToLower(strings.ReplaceAll(code, "-", " "))),
		chromedp.Click(`main form button[type="submit"]`),
		chromedp.WaitVisible("dd.code"),
	)
	if err == nil {
		body, err = chromedp.Run(ctx, chromedp.Text("main"))
	}
	if err != nil || !strings.Contains(body, code) || strings.Contains(body, "Токтогулова") {
		t.Fatalf("looking the code up: %v\n%s", err, body)
	}
}

// populateMore publishes n more appeals of every council, right and
// status, with summaries as councils write them.
func (w *world) populateMore(n int) {
	summaries := []string{
		"Айыл өкмөтү жер үлүшүн башка адамга мыйзамсыз бөлүп берген",
		"Мектепке жеткирүүчү автобус кышында токтоп калды, балдар 6 км жөө барышат",
		"Пенсия үч ай бою кечиктирилип төлөнүүдө",
		"Милиция үй-бүлөлүк зомбулук боюнча арызды каттоодон баш тартты",
		"Фельдшердик пункт жабылып, жакынкы оорукана 40 км алыс",
		"Иш берүүчү эмгек келишимин түзбөй, айлыкты толук төлөгөн жок",
		"Ичүүчү суу түтүгү эки айдан бери оңдолбой жатат",
		"Майыптыгы бар адамга мамлекеттик мекеменин имаратына кирүү мүмкүн эмес",
	}
	councils := []string{"NRN-ATB", "OSH-ARA", "CHU-ALA"}
	statuses := []string{"verified", "referred", "answered", "closed"}
	cats := []string{"land_property", "education", "social_protection", "domestic_violence", "health", "labour", "local_services", "discrimination"}
	for i := 0; i < n; i++ {
		c := councils[i%len(councils)]
		id := domain.NewID()
		f := appealFields(c, domain.FormatRegNo(c, 2026, "M3PX", uint64(i+20)), statuses[i%len(statuses)], i)
		f["category"] = cats[i%len(cats)]
		f["public_summary"] = summaries[i%len(summaries)]
		f["received_on"] = fmt.Sprintf("2026-%02d-%02d", 6+i%6, 1+i%27)
		f["registered_on"] = f["received_on"]
		if f["verified_on"] != nil {
			f["verified_on"] = fmt.Sprintf("2026-%02d-%02d", 6+i%6, 2+i%27)
		}
		if f["answered_on"] != nil {
			f["referred_on"] = f["verified_on"]
			f["answered_on"] = fmt.Sprintf("2026-%02d-%02d", 6+i%6, 2+(i*7)%27)
		}
		if f["closed_on"] != nil {
			f["closed_on"] = "2026-11-28"
		}
		w.sec[c].push(domain.KindAppeal, id, c, "create", f)
		w.central.push(domain.KindAppeal, id, "", "update", map[string]any{"published": true, "published_on": fmt.Sprintf("2026-11-%02d", 1+i%27)})
	}
}
