package public

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// ExportOptions shape a static copy of the register.
type ExportOptions struct {
	// Base is the path the site is served under ("/" by default, e.g.
	// "/register/"): its pages link to each other under it.
	Base string
	// Server, if set, is the sync server's address (https://...): the
	// pages then link to its form and tracking pages, which a static
	// site cannot serve.
	Server string
	// Licence of the open data (default DefaultLicence).
	Licence string
}

// Export writes the register as static files, through write (a path under
// the site's root, slash-separated, and its content): for each language
// the list in pages, a page per published appeal, the statistics, the
// competitions' published winners, the open data's documentation and
// the feed; appeals.json, appeals.csv and
// the style sheet at the root, and index.html (the Kyrgyz list). It
// reads the projection alone, from one snapshot, as the server's pages
// do. The list has no filters (a static host cannot run them).
func Export(ctx context.Context, st store.Public, o ExportOptions, write func(name string, data []byte) error) error {
	h, err := New(Config{Store: st, Licence: o.Licence, Now: time.Now})
	if err != nil {
		return err
	}
	base := o.Base
	if base == "" {
		base = "/"
	}
	if !strings.HasPrefix(base, "/") || !strings.HasSuffix(base, "/") {
		return fmt.Errorf("export: the base path %q must start and end with /", base)
	}
	if o.Server != "" && !strings.HasPrefix(o.Server, "https://") && !strings.HasPrefix(o.Server, "http://") {
		return fmt.Errorf("export: the server address %q must start with https://", o.Server)
	}
	v, err := build(ctx, st, caldate.Of(time.Now().In(bishkek)), nil)
	if err != nil {
		return err
	}
	l := staticLinks{base: base, server: strings.TrimSuffix(o.Server, "/")}
	r, _ := http.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	page := func(lang, rest string, p *page, tpl string) error {
		p.links, p.Static = l, true
		p.Langs = p.Langs[:0]
		for _, other := range Languages {
			p.Langs = append(p.Langs, langLink{Code: other, Name: langNames[other], Href: staticPath(l, other, rest), Current: other == lang})
		}
		var buf strings.Builder
		if err := h.tpl[tpl].ExecuteTemplate(&buf, "layout", p); err != nil {
			return fmt.Errorf("export %s: %w", rest, err)
		}
		return write(staticFile(lang, rest), []byte(buf.String()))
	}
	for _, lang := range Languages {
		q := &req{r: r, lang: lang}
		for n := 1; ; n++ {
			p := h.listPage(q, v, filter{Page: n}, l)
			if p == nil {
				break
			}
			if err := page(lang, "page-"+strconv.Itoa(n), p, "list"); err != nil {
				return err
			}
		}
		for _, a := range v.appeals {
			if err := page(lang, "appeals/"+a.RegNo, h.appealPageOf(q, v, a, l), "appeal"); err != nil {
				return err
			}
		}
		if err := page(lang, "stats", h.statsPageOf(q, v, l), "stats"); err != nil {
			return err
		}
		if err := page(lang, "data", h.dataPageOf(q, l), "data"); err != nil {
			return err
		}
		if err := page(lang, "competitions", h.competitionsPageOf(q, v), "competitions"); err != nil {
			return err
		}
		if err := write(lang+"/feed.atom", h.atom(v, lang, l)); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	// The root: the list in Kyrgyz, the first language.
	q := &req{r: r, lang: Languages[0]}
	p := h.listPage(q, v, filter{Page: 1}, l)
	p.links, p.Static = l, true
	p.Langs = p.Langs[:0]
	for _, other := range Languages {
		p.Langs = append(p.Langs, langLink{Code: other, Name: langNames[other], Href: staticPath(l, other, "page-1"), Current: other == Languages[0]})
	}
	var buf strings.Builder
	if err := h.tpl["list"].ExecuteTemplate(&buf, "layout", p); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{"index.html", []byte(buf.String())}, {"appeals.json", h.registerJSON(v)}, {"appeals.csv", registerCSV(v)}, {"style.css", h.css}} {
		if err := write(f.name, f.data); err != nil {
			return err
		}
	}
	return nil
}

// staticFile is the file of a page (rest as the server names it) of an
// exported site.
func staticFile(lang, rest string) string {
	switch {
	case rest == "page-1":
		return lang + "/index.html"
	case strings.HasPrefix(rest, "appeals/"):
		return lang + "/appeals/" + strings.TrimPrefix(rest, "appeals/") + ".html"
	}
	return lang + "/" + rest + ".html"
}

// staticPath is the address of that file under the site's base.
func staticPath(l staticLinks, lang, rest string) string {
	f := staticFile(lang, rest)
	if strings.HasSuffix(f, "/index.html") {
		f = strings.TrimSuffix(f, "index.html")
	}
	return l.base + f
}

// ExportDir writes Export's files into dir, which must not exist or be
// empty; what a failed export wrote is removed.
func ExportDir(ctx context.Context, st store.Public, o ExportOptions, dir string) (err error) {
	if err := emptyDir(dir); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	return Export(ctx, st, o, func(name string, data []byte) error { return writeFile(dir, name, data) })
}

// ExportTar writes Export's files as a tar stream (what the control
// socket sends while the server runs).
func ExportTar(ctx context.Context, st store.Public, o ExportOptions, w io.Writer) error {
	tw := tar.NewWriter(w)
	now := time.Now()
	err := Export(ctx, st, o, func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: now, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// Untar writes the files of an ExportTar stream into dir, which must not
// exist or be empty; names that would leave dir are refused.
func Untar(r io.Reader, dir string) (err error) {
	if err := emptyDir(dir); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	tr := tar.NewReader(r)
	for {
		hd, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if hd.Typeflag != tar.TypeReg || hd.Size > 64<<20 {
			return fmt.Errorf("export: unexpected entry %q", hd.Name)
		}
		data, err := io.ReadAll(io.LimitReader(tr, hd.Size))
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if err := writeFile(dir, hd.Name, data); err != nil {
			return err
		}
	}
}

func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(dir, 0o755)
	case err != nil:
		return fmt.Errorf("export: %w", err)
	case len(entries) > 0:
		return fmt.Errorf("export into %s: the directory is not empty: name a new or empty one", dir)
	}
	return nil
}

func writeFile(dir, name string, data []byte) error {
	clean := filepath.Clean(filepath.FromSlash(name))
	if !filepath.IsLocal(clean) {
		return fmt.Errorf("export: the name %q leaves the directory", name)
	}
	path := filepath.Join(dir, clean)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}
