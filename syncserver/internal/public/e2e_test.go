package public_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
	"github.com/kenesh/kenesh/syncserver/internal/public"
	"github.com/kenesh/kenesh/syncserver/internal/server"
)

// keneshctlBin builds the laptops' command-line client (the real laptop
// core), or takes it from $KENESH_BIN (make test builds it there).
func keneshctlBin(t *testing.T) string {
	t.Helper()
	if dir := os.Getenv("KENESH_BIN"); dir != "" {
		if p := filepath.Join(dir, "keneshctl"); fileExists(p) {
			return p
		}
	}
	bin := filepath.Join(t.TempDir(), "keneshctl")
	cmd := exec.Command("go", "build", "-o", bin, "./desktop/cmd/keneshctl")
	cmd.Dir = "../../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build keneshctl: %v\n%s", err, out)
	}
	return bin
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

type laptop struct {
	t    *testing.T
	bin  string
	data string
}

func (l laptop) run(args ...string) string {
	l.t.Helper()
	cmd := exec.Command(l.bin, append([]string{"--data", l.data}, args...)...)
	cmd.Env = append(os.Environ(), "KENESH_PASSPHRASE=a passphrase for the test", "KENESH_KDF=test")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &out, &errb, strings.NewReader("")
	if err := cmd.Run(); err != nil {
		l.t.Fatalf("keneshctl %s: %v\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String()
}

// The whole way of a web submission: a citizen sends the form to the real
// server; the council's laptop (the real laptop core, keneshctl) pulls it
// into its inbox and registers it as an appeal, which it checks and marks
// ready; central staff publish it; it appears in the register, and the
// tracking page follows every step without showing the citizen's name.
func TestWebSubmissionBecomesAPublishedAppeal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds keneshctl and runs laptops")
	}
	ctx := context.Background()
	cfg := server.Config{DataDir: t.TempDir(), Small: true, MinFree: 1, Logger: slog.New(slog.DiscardHandler)}
	cfg.Public.Guard.MinFill = time.Millisecond
	s, err := server.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	defer func() { hs.Close(); s.Close() }()
	if _, err := s.Admin().AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы коомдук кеңеши", Oblast: "KG-N", District: "KG-N-ATB"}); err != nil {
		t.Fatal(err)
	}
	bin := keneshctlBin(t)
	enroll := func(role, council, name string) laptop {
		l := laptop{t: t, bin: bin, data: filepath.Join(t.TempDir(), role)}
		l.run("init", "--device-name", name)
		is, err := s.Admin().Enroll(ctx, auth.IssueRequest{Role: role, Council: council, Name: name})
		if err != nil {
			t.Fatal(err)
		}
		l.run("enroll", "--server", hs.URL, "--code", is.Code)
		return l
	}
	sec := enroll(domain.RoleSecretary, "NRN-ATB", "Ат-Башы кеңешинин ноутбугу")
	central := enroll(domain.RoleCentral, "", "Борбор")

	// A citizen sends the form.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := client.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	_, form := get(public.Prefix + "ru/appeal")
	token := regexp.MustCompile(`name="t" value="([^"]+)"`).FindStringSubmatch(form)
	if token == nil {
		t.Fatalf("no form:\n%s", form)
	}
	time.Sleep(5 * time.Millisecond)
	resp, err := client.PostForm(hs.URL+public.Prefix+"ru/appeal", url.Values{"t": {token[1]}, "council": {"NRN-ATB"},
		"text": {"Работодатель три месяца не платит зарплату.\nНас двенадцать человек."}, "name": {"Сагынбаев Нурлан"},
		"phone": {"+996 555 987 654"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	m := regexp.MustCompile(`/track/([2-9A-Z]{5}-[2-9A-Z]{5})`).FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("the form: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	track := public.Prefix + "ru/track/" + m[1]
	follows := func(want ...string) {
		t.Helper()
		status, body := get(track)
		for _, w := range want {
			if status != http.StatusOK || !strings.Contains(body, w) {
				t.Fatalf("the tracking page (%d) lacks %q:\n%s", status, w, body)
			}
		}
		for _, p := range []string{"Сагынбаев", "987 654", "зарплату"} {
			if strings.Contains(body, p) {
				t.Fatalf("the tracking page shows %q", p)
			}
		}
	}
	follows("Получено. Совет зарегистрирует его")

	// The council's laptop pulls it into its inbox: due the next working day.
	sec.run("sync")
	var inbox []struct {
		ID       string `json:"id"`
		AnswerBy string `json:"answer_by"`
		Title    string `json:"title"`
	}
	if err := json.Unmarshal([]byte(sec.run("inbox", "list")), &inbox); err != nil || len(inbox) != 1 || inbox[0].AnswerBy == "" ||
		inbox[0].Title != "Работодатель три месяца не платит зарплату." {
		t.Fatalf("the inbox: %+v %v", inbox, err)
	}
	var reg struct {
		Appeal domain.Appeal `json:"appeal"`
	}
	if err := json.Unmarshal([]byte(sec.run("inbox", "register", inbox[0].ID, "--category", "labour", "--authority", "private_employer")), &reg); err != nil {
		t.Fatal(err)
	}
	a := reg.Appeal
	if a.Channel != "electronic" || a.Language != "ru" || a.Appellant == nil || a.Appellant.Name != "Сагынбаев Нурлан" {
		t.Fatalf("the appeal: %+v", a)
	}
	sec.run("sync")
	follows("Зарегистрировано как обращение "+a.RegNo, "поступило")

	// The council checks it and marks it ready; central staff publish it.
	for _, step := range []string{"under_review", "fact_checking", "verified"} {
		sec.run("appeal", "move", a.RegNo, step, "--note", "шаг")
	}
	edit := exec.Command(bin, "--data", sec.data, "appeal", "edit", a.RegNo)
	edit.Env = append(os.Environ(), "KENESH_PASSPHRASE=a passphrase for the test", "KENESH_KDF=test")
	edit.Stdin = strings.NewReader(`{"ready_for_publication": true, "public_summary": "Работодатель три месяца не платит зарплату двенадцати работникам"}`)
	if out, err := edit.CombinedOutput(); err != nil {
		t.Fatalf("mark ready: %v\n%s", err, out)
	}
	sec.run("sync")
	if status, _ := get(public.Prefix + "ru/appeals/" + a.RegNo); status != http.StatusNotFound {
		t.Fatalf("ready but not published: %d", status)
	}
	central.run("sync")
	pub := exec.Command(bin, "--data", central.data, "appeal", "edit", a.RegNo)
	pub.Env = edit.Env
	pub.Stdin = strings.NewReader(fmt.Sprintf(`{"published": true, "published_on": %q}`, time.Now().Format("2006-01-02")))
	if out, err := pub.CombinedOutput(); err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	central.run("sync")

	// In the register, without the name (no consent), and followed.
	status, page := get(public.Prefix + "ru/appeals/" + a.RegNo)
	if status != http.StatusOK || !strings.Contains(page, "двенадцати работникам") || strings.Contains(page, "Сагынбаев") {
		t.Fatalf("the published appeal: %d\n%s", status, page)
	}
	if _, list := get(public.Prefix + "ru/"); !strings.Contains(list, a.RegNo) {
		t.Fatal("not in the register's list")
	}
	follows("Этап: подтверждено", "Обращение есть в открытом реестре", "/public/ru/appeals/"+a.RegNo)

	// Answered and closed on the laptop: the tracking page says so.
	sec.run("appeal", "move", a.RegNo, "referred", "--to", "Инспекция труда")
	sec.run("appeal", "move", a.RegNo, "answered", "--answer", "Зарплата выплачена")
	sec.run("sync")
	follows("Ответ дан")
}
