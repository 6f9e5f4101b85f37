package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ctlRun runs keneshctl in-process on dir with the given stdin.
type ctlRun struct {
	t    *testing.T
	dir  string
	pass string
}

func newCLI(t *testing.T) *ctlRun {
	return &ctlRun{t: t, dir: filepath.Join(t.TempDir(), "data"), pass: "test-passphrase"}
}

func (c *ctlRun) run(stdin string, args ...string) (code int, stdout, stderr string) {
	c.t.Helper()
	var out, errb bytes.Buffer
	vars := map[string]string{"KENESH_PASSPHRASE": c.pass, "KENESH_KDF": "test", "KENESH_NEW_PASSPHRASE": "new-passphrase-123"}
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	code = run(context.Background(), e, append([]string{"--data", c.dir}, args...))
	return code, out.String(), errb.String()
}

func (c *ctlRun) ok(stdin string, args ...string) string {
	c.t.Helper()
	code, out, errs := c.run(stdin, args...)
	if code != 0 {
		c.t.Fatalf("keneshctl %v: exit %d\n%s", args, code, errs)
	}
	return out
}

func decode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, s)
	}
	return v
}

const appealJSON = `{
  "council": "NRN-ATB",
  "channel": "phone",
  "appellant": {"name": "Токтогулов Эрмек", "phone": "+996 700 112233"},
  "gender": "male",
  "oblast": "KG-N",
  "category": "police_justice",
  "summary": "Милиция арызды каттоодон баш тартты",
  "description": "Уурулук тууралуу арыз кабыл алынган жок."
}`

func TestScriptedSession(t *testing.T) {
	c := newCLI(t)
	c.ok("", "init", "--device-name", "Ат-Башы ноутбугу")
	if code, _, errs := c.run("", "init", "--device-name", "again"); code != 1 || !strings.Contains(errs, "already") {
		t.Fatalf("second init: %d %s", code, errs)
	}
	c.ok("", "council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы коомдук кеңеши", "--oblast", "KG-N", "--district", "KG-N-ATB")

	a := decode[map[string]any](t, c.ok(appealJSON, "appeal", "add"))
	id, regNo := a["id"].(string), a["reg_no"].(string)
	if id == "" || !strings.HasPrefix(regNo, "NRN-ATB-") || a["status"] != "received" {
		t.Fatalf("saved appeal: %v", a)
	}

	// A move by registration number, with the note kept.
	m := decode[map[string]any](t, c.ok("", "appeal", "move", regNo, "under_review", "--note", "Катчы карайт"))
	if m["status"] != "under_review" || m["status_note"] != "Катчы карайт" {
		t.Fatalf("after move: %v", m)
	}
	// An illegal step is an error that names the allowed ones.
	code, _, errs := c.run("", "appeal", "move", id, "closed")
	if code != 1 || !strings.Contains(errs, "fact_checking") {
		t.Fatalf("illegal move: exit %d, %s", code, errs)
	}
	c.ok(`{"village": "Ак-Муз"}`, "appeal", "edit", id)
	c.ok("", "appeal", "consult", id, "--by", "юрист Н. Исакова", "--summary", "Арыз жазууга жардам берилди")

	hist := decode[[]map[string]any](t, c.ok("", "appeal", "history", id))
	if len(hist) != 4 || hist[0]["action"] != "create" {
		t.Fatalf("history: %d entries, first %v", len(hist), hist[0]["action"])
	}

	tests := []struct {
		args []string
		want int
	}{
		{[]string{"appeal", "list"}, 1},
		{[]string{"appeal", "list", "--status", "under_review"}, 1},
		{[]string{"appeal", "list", "--status", "closed"}, 0},
		{[]string{"appeal", "list", "--council", "NRN-ATB", "--category", "police_justice"}, 1},
		{[]string{"appeal", "list", "--text", "МИЛИЦИЯ арыз"}, 1},
		{[]string{"appeal", "list", "--text", "эрмек"}, 1},
		{[]string{"appeal", "list", "--from", "2000-01-01", "--to", "2000-12-31"}, 0},
		{[]string{"appeal", "list", "--overdue"}, 0},
		{[]string{"event", "list"}, 0},
	}
	for _, tt := range tests {
		got := decode[[]map[string]any](t, c.ok("", tt.args...))
		if len(got) != tt.want {
			t.Errorf("%v: %d rows, want %d", tt.args, len(got), tt.want)
		}
	}
	full := decode[[]map[string]any](t, c.ok("", "appeal", "list", "--full"))
	if full[0]["appellant"] == nil || full[0]["deadlines"] == nil {
		t.Fatalf("--full lacks the record: %v", full[0])
	}

	ev := decode[map[string]any](t, c.ok(`{"council":"NRN-ATB","kind":"hearing","title":"Коомдук угуу: суу","date":"2026-03-01","oblast":"KG-N",
	  "participants":{"citizens":{"female":12,"male":9}},"followups":[{"action":"Айыл өкмөтүнө кат","owner":"Катчы","due":"2026-03-15"}]}`, "event", "add"))
	if ev["id"] == "" {
		t.Fatalf("event: %v", ev)
	}
	c.ok("", "event", "delete", ev["id"].(string))
	if got := decode[[]map[string]any](t, c.ok("", "event", "list")); len(got) != 0 {
		t.Fatal("deleted event listed")
	}
	if got := decode[[]map[string]any](t, c.ok("", "event", "list", "--deleted")); len(got) != 1 {
		t.Fatal("deleted event not listed with --deleted")
	}

	// A scanned letter attached from a file, read back byte for byte.
	scan := filepath.Join(t.TempDir(), "кат.txt")
	letter := strings.Repeat("Урматтуу айыл өкмөтүнүн башчысы, Токтогулов Эрмек жазат. ", 5000)
	if err := os.WriteFile(scan, []byte(letter), 0o600); err != nil {
		t.Fatal(err)
	}
	att := decode[map[string]any](t, c.ok("", "appeal", "attach", regNo, scan, "--caption", "Арыздын сканы"))
	if att["name"] != "кат.txt" || att["size"].(float64) != float64(len(letter)) {
		t.Fatalf("attach: %v", att)
	}
	if got := c.ok("", "appeal", "attachment", id, "кат.txt"); got != letter {
		t.Fatalf("attachment read back: %d bytes, want %d", len(got), len(letter))
	}
	c.ok("", "event", "list") // another process-like open in between
	if code, _, errs := c.run("", "appeal", "attachment", id, "missing.jpg"); code != 1 || !strings.Contains(errs, "not found") {
		t.Fatalf("missing attachment: %d %s", code, errs)
	}
	// Nothing saved is readable in the data directory.
	filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, needle := range []string{"Токтогулов", "Милиция", "Урматтуу"} {
			if bytes.Contains(b, []byte(needle)) {
				t.Errorf("%s contains %q in plaintext", p, needle)
			}
		}
		return nil
	})

	for _, q := range []string{"токтогулов эрмек", "ТОКТОГУЛ", "112233", "0700 11 22 33", "+996700112233", "700-112-233"} {
		p := decode[map[string]any](t, c.ok("", "person", q))
		if n := len(p["appeals"].([]any)); n != 1 {
			t.Fatalf("person %q: %d appeals", q, n)
		}
	}
	if code, _, _ := c.run("", "person", "эр"); code != 1 {
		t.Fatal("a two-letter person query was accepted")
	}

	st := decode[map[string]any](t, c.ok("", "stats", "appeal", "--council", "NRN-ATB"))
	if st["total"].(float64) != 1 || st["by_status"].(map[string]any)["under_review"].(float64) != 1 {
		t.Fatalf("stats: %v", st)
	}

	made := decode[map[string]any](t, c.ok("", "demo", "--appeals", "50", "--events", "10", "--seed", "7", "-q"))
	if made["made"].(map[string]any)["appeals"].(float64) != 50 {
		t.Fatalf("demo: %v", made)
	}
	if got := decode[[]map[string]any](t, c.ok("", "appeal", "list")); len(got) != 51 {
		t.Fatalf("after demo: %d appeals, want 51 (demo uses the existing council)", len(got))
	}
}

func TestErrors(t *testing.T) {
	c := newCLI(t)
	c.ok("", "init", "--device-name", "laptop")
	c.ok("", "council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы", "--oblast", "KG-N")
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stderr string
	}{
		{"unknown command", "", []string{"frobnicate"}, 2, "unknown command"},
		{"no command", "", nil, 2, "usage"},
		{"missing device name", "", []string{"init"}, 2, "--device-name"},
		{"bad JSON names the line", "{\n\"summary\": \"x\",\n\"council\" \"NRN-ATB\"\n}", []string{"appeal", "add"}, 1, "line 3"},
		{"unknown field names it", "{\n\"sumary\": \"x\"}", []string{"appeal", "add"}, 1, `field "sumary"`},
		{"wrong type names the field", `{"participants": 5}`, []string{"event", "add"}, 1, `field "participants"`},
		{"invalid record names fields", `{"council":"NRN-ATB","channel":"phone","anonymous":true,"oblast":"KG-N","category":"health"}`, []string{"appeal", "add"}, 1, "summary: is required"},
		{"bad date", `{"received_on":"21.03.2026"}`, []string{"appeal", "add"}, 1, "YYYY-MM-DD"},
		{"unknown id", "", []string{"appeal", "show", "01a21153-0b83-732a-a9d2-550af7253b78"}, 1, "not found"},
		{"unknown status filter", "", []string{"appeal", "list", "--status", "lost"}, 2, "not a status"},
		{"bad flag", "", []string{"appeal", "list", "--from", "yesterday"}, 2, "YYYY-MM-DD"},
		{"missing argument", "", []string{"appeal", "move", "x"}, 2, "usage"},
		{"unknown council", "", []string{"council", "home", "XX-YY"}, 1, "not found"},
		{"plain HTTP to another computer", "", []string{"enroll", "--server", "http://remote.invalid:7480", "--code", "ABCD-EFGH"}, 1, "use https://"},
		{"not a server address", "", []string{"enroll", "--server", "remote.invalid", "--code", "ABCD-EFGH"}, 1, "not a server address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := c.run(tt.stdin, tt.args...)
			if code != tt.code || !strings.Contains(errs, tt.stderr) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", code, tt.code, errs, tt.stderr)
			}
			if out != "" && tt.code != 0 {
				t.Fatalf("output on failure: %q", out)
			}
		})
	}
	c.pass = "not-the-passphrase"
	if code, _, errs := c.run("", "appeal", "list"); code != 1 || !strings.Contains(errs, "wrong passphrase") {
		t.Fatalf("wrong passphrase: %d %s", code, errs)
	}
	c.pass = ""
	if code, _, errs := c.run("", "appeal", "list"); code != 1 || !strings.Contains(errs, "KENESH_PASSPHRASE") {
		t.Fatalf("no passphrase, no terminal: %d %s", code, errs)
	}
}

func TestBackupRestorePasswd(t *testing.T) {
	c := newCLI(t)
	c.ok("", "init", "--device-name", "laptop")
	c.ok("", "demo", "--appeals", "30", "--events", "5", "--seed", "1", "-q")
	file := filepath.Join(t.TempDir(), "b.kbk")
	c.ok("", "backup", file)
	r := &ctlRun{t: t, dir: filepath.Join(t.TempDir(), "restored"), pass: c.pass}
	out := decode[map[string]any](t, r.ok("", "restore", file))
	if out["appeals"].(float64) != 30 || out["events"].(float64) != 5 {
		t.Fatalf("restore: %v", out)
	}
	r.ok("", "passwd")
	if code, _, _ := r.run("", "appeal", "list"); code != 1 {
		t.Fatal("old passphrase still opens the store after passwd")
	}
	r.pass = "new-passphrase-123"
	if got := decode[[]map[string]any](t, r.ok("", "appeal", "list")); len(got) != 30 {
		t.Fatalf("%d appeals after passwd", len(got))
	}
}

func TestVersion(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, out, errs := c.run("", args...)
		if code != 0 || !strings.HasPrefix(out, "keneshctl dev (") || errs != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
}
