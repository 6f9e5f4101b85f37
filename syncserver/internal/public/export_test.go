package public

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The exported site holds the published appeals and nothing private, in
// every language, and every link between its pages leads to one of its
// files.
func TestExport(t *testing.T) {
	w := newWorld(t, GuardConfig{})
	w.populate()
	w.populateCompetition()
	dir := filepath.Join(t.TempDir(), "site")
	if err := ExportDir(context.Background(), w.st, ExportOptions{Base: "/register/", Server: "https://kenesh.example.kg"}, dir); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			files[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	for _, f := range []string{"index.html", "appeals.json", "appeals.csv", "style.css", "ky/index.html", "ru/stats.html", "en/data.html", "en/feed.atom", "ky/competitions.html"} {
		if _, ok := files[f]; !ok {
			t.Errorf("no %s in %v", f, len(files))
		}
	}
	for name, a := range w.appeals {
		for _, l := range Languages {
			_, ok := files[l+"/appeals/"+a.regNo+".html"]
			if ok != a.public {
				t.Errorf("%s in %s: exported %v", name, l, ok)
			}
		}
	}
	href := regexp.MustCompile(`(?:href|src)="([^"]+)"`)
	for name, body := range files {
		noPrivate(t, "export "+name, answer{body: body})
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		if strings.Contains(body, "<form method=\"get\"") {
			t.Errorf("%s: a filter form a static host cannot serve", name)
		}
		for _, m := range href.FindAllStringSubmatch(body, -1) {
			link := m[1]
			switch {
			case strings.HasPrefix(link, "https://kenesh.example.kg/public/"):
				continue
			case name == "ky/competitions.html" || name == "ru/competitions.html" || name == "en/competitions.html":
				if link == "https://kaktus.example.kg/suu" {
					continue // a winning work, where its author published it
				}
			case !strings.HasPrefix(link, "/register/"):
				t.Errorf("%s: a link outside the site: %s", name, link)
				continue
			}
			f := strings.TrimPrefix(link, "/register/")
			if f == "" || strings.HasSuffix(f, "/") {
				f += "index.html"
			}
			if _, ok := files[f]; !ok {
				t.Errorf("%s: a link to %s, which is not in the site", name, link)
			}
		}
	}
	if !strings.Contains(files["ky/index.html"], `href="https://kenesh.example.kg/public/ky/appeal"`) {
		t.Error("the site does not link to the server's form")
	}
	// The competitions' winners, as the server's page shows them, linked
	// from every page's navigation.
	for _, s := range []string{"Сынактардын жеңүүчүлөрү", "1-орун (бөлүшүлгөн)", "Айылдагы суу", "Жер үлүшү кимде?"} {
		if !strings.Contains(files["ky/competitions.html"], s) {
			t.Errorf("the exported winners' page lacks %q", s)
		}
	}
	if !strings.Contains(files["ru/stats.html"], `href="/register/ru/competitions.html"`) {
		t.Error("the exported pages do not link to the winners")
	}
	// Not into a used directory.
	if err := ExportDir(context.Background(), w.st, ExportOptions{}, dir); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("export into a used directory: %v", err)
	}
	// The tar stream gives the same files.
	var buf bytes.Buffer
	if err := ExportTar(context.Background(), w.st, ExportOptions{Base: "/register/", Server: "https://kenesh.example.kg"}, &buf); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "untarred")
	if err := Untar(&buf, other); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(other, "appeals.json"))
	if string(b) != files["appeals.json"] {
		t.Error("the tar stream's appeals.json differs")
	}
}
