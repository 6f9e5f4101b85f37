package public

import (
	"net/url"
	"strconv"
)

// links makes the addresses a page links to: the server's paths, or the
// files of an exported site.
type links interface {
	// href is the address of page name in lang: list, appeal (arg: its
	// number), stats, data, form, track, feed, json, csv, css; "" when
	// the site has no such page (an exported site has no form).
	href(lang, name string, arg ...string) string
}

// serverLinks are the server's own paths: /public/LANG/...
type serverLinks struct{ submit bool }

func (l serverLinks) href(lang, name string, arg ...string) string {
	base := Prefix + lang + "/"
	switch name {
	case "list":
		return base
	case "appeal":
		return base + "appeals/" + url.PathEscape(first(arg))
	case "stats", "data", "competitions":
		return base + name
	case "form", "track":
		if !l.submit {
			return ""
		}
		if name == "form" {
			return base + "appeal"
		}
		return base + "track"
	case "feed":
		return base + "feed.atom"
	case "json":
		return Prefix + "appeals.json"
	case "csv":
		return Prefix + "appeals.csv"
	case "css":
		return Prefix + "style.css"
	case "page":
		return base + first(arg) // a query made by filter.query
	}
	return ""
}

// staticLinks are the files of an exported site (export.go), under base
// ("/" for a site at the root of its host). Pages of the form and of
// tracking link to the server at server, when one is given.
type staticLinks struct {
	base   string
	server string // e.g. https://kenesh.example.kg; "" for none
}

func (l staticLinks) href(lang, name string, arg ...string) string {
	b := l.base + lang + "/"
	switch name {
	case "list":
		return b
	case "appeal":
		return b + "appeals/" + url.PathEscape(first(arg)) + ".html"
	case "stats", "data", "competitions":
		return b + name + ".html"
	case "form", "track":
		if l.server == "" {
			return ""
		}
		if name == "form" {
			return l.server + Prefix + lang + "/appeal"
		}
		return l.server + Prefix + lang + "/track"
	case "feed":
		return b + "feed.atom"
	case "json":
		return l.base + "appeals.json"
	case "csv":
		return l.base + "appeals.csv"
	case "css":
		return l.base + "style.css"
	case "page":
		n, _ := strconv.Atoi(first(arg))
		if n <= 1 {
			return b
		}
		return b + "page-" + strconv.Itoa(n) + ".html"
	}
	return ""
}

func first(arg []string) string {
	if len(arg) == 0 {
		return ""
	}
	return arg[0]
}
