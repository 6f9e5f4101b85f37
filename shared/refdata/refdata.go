package refdata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"sync"

	"github.com/kenesh/kenesh/assets"
)

// Paths of the reference files inside assets.FS.
const (
	regionsPath = "refdata/regions.json"
	termsPath   = "refdata/terms.json"
)

// Names is one name in the three interface languages.
type Names struct {
	KY string `json:"ky"`
	RU string `json:"ru"`
	EN string `json:"en"`
}

// In returns the name in lang ("ky", "ru" or "en"). For an unknown lang, or
// when the name in lang is empty, it falls back to the first non-empty of
// Kyrgyz, Russian and English.
func (n Names) In(lang string) string {
	switch lang {
	case "ky":
		if n.KY != "" {
			return n.KY
		}
	case "ru":
		if n.RU != "" {
			return n.RU
		}
	case "en":
		if n.EN != "" {
			return n.EN
		}
	}
	for _, s := range []string{n.KY, n.RU, n.EN} {
		if s != "" {
			return s
		}
	}
	return ""
}

// District is a district (район) of a region, or a city of oblast
// significance where a council may sit.
type District struct {
	Code  string `json:"code"`
	Names Names  `json:"names"`
}

// Region is an oblast or one of the cities of republican significance
// (Bishkek, Osh), identified by its ISO 3166-2:KG code.
type Region struct {
	Code      string     `json:"code"`
	Kind      string     `json:"kind"`
	Names     Names      `json:"names"`
	Districts []District `json:"districts"`
}

// Term is one entry of a coded list.
type Term struct {
	Code  string `json:"code"`
	Names Names  `json:"names"`
}

// List names one of the coded term lists.
type List string

// The term lists. Every one of them is present and non-empty in the
// embedded data (Load checks it).
const (
	EventKinds        List = "event_kinds"
	RightCategories   List = "right_categories"
	AppealChannels    List = "appeal_channels"
	ParticipantGroups List = "participant_groups"
	Genders           List = "genders"
	AgeGroups         List = "age_groups"
	VulnerableGroups  List = "vulnerable_groups"
	Authorities       List = "authorities"
	FollowupStatuses  List = "followup_statuses"
)

// AllLists returns every list Load requires, in a stable order.
func AllLists() []List {
	return []List{
		EventKinds, RightCategories, AppealChannels, ParticipantGroups,
		Genders, AgeGroups, VulnerableGroups, Authorities, FollowupStatuses,
	}
}

// Region kinds.
const (
	KindOblast = "oblast"
	KindCity   = "city"
)

// Catalog is the validated reference data. It is immutable: every method
// returns copies, so it is safe to share between goroutines.
type Catalog struct {
	regions   []Region
	regionIdx map[string]int
	district  map[string][2]int // district code -> region index, district index
	terms     map[List][]Term
	termIdx   map[List]map[string]int
}

// wire formats of the files.
type regionsFile struct {
	Note    string   `json:"note"`
	Regions []Region `json:"regions"`
}

type termsFile struct {
	Note  string          `json:"note"`
	Lists map[List][]Term `json:"lists"`
}

// Load parses and validates the embedded reference data.
func Load() (*Catalog, error) {
	c, err := load(assets.FS)
	if err != nil {
		return nil, fmt.Errorf("reference data: %w", err)
	}
	return c, nil
}

var (
	defaultOnce    sync.Once
	defaultCatalog *Catalog
	defaultErr     error
)

// Default returns the embedded reference data, loaded once. It panics if the
// embedded data is broken, which the package tests rule out for every build.
func Default() *Catalog {
	defaultOnce.Do(func() { defaultCatalog, defaultErr = Load() })
	if defaultErr != nil {
		panic(defaultErr)
	}
	return defaultCatalog
}

var (
	regionCodeRE = regexp.MustCompile(`^KG-[A-Z]{1,2}$`)
	shortCodeRE  = regexp.MustCompile(`^[A-Z0-9]{2,6}$`)
	termCodeRE   = regexp.MustCompile(`^[a-z0-9]+(_[a-z0-9]+)*$`)
)

func load(fsys fs.FS) (*Catalog, error) {
	var rf regionsFile
	if err := decodeFile(fsys, regionsPath, &rf); err != nil {
		return nil, err
	}
	var tf termsFile
	if err := decodeFile(fsys, termsPath, &tf); err != nil {
		return nil, err
	}
	c := &Catalog{
		regions:   rf.Regions,
		regionIdx: make(map[string]int),
		district:  make(map[string][2]int),
		terms:     make(map[List][]Term),
		termIdx:   make(map[List]map[string]int),
	}
	if len(rf.Regions) == 0 {
		return nil, fmt.Errorf("%s: no regions; add the oblasts and cities under \"regions\"", regionsPath)
	}
	for i, r := range rf.Regions {
		where := fmt.Sprintf("%s: region %d (%q)", regionsPath, i+1, r.Code)
		if !regionCodeRE.MatchString(r.Code) {
			return nil, fmt.Errorf("%s: code must be an ISO 3166-2:KG code such as \"KG-C\"", where)
		}
		if _, dup := c.regionIdx[r.Code]; dup {
			return nil, fmt.Errorf("%s: code appears twice; each region once", where)
		}
		c.regionIdx[r.Code] = i
		if r.Kind != KindOblast && r.Kind != KindCity {
			return nil, fmt.Errorf("%s: kind %q must be %q or %q", where, r.Kind, KindOblast, KindCity)
		}
		if err := checkNames(r.Names); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		if r.Kind == KindOblast && len(r.Districts) == 0 {
			return nil, fmt.Errorf("%s: an oblast needs its districts", where)
		}
		for j, d := range r.Districts {
			dwhere := fmt.Sprintf("%s, district %d (%q)", where, j+1, d.Code)
			short, ok := strings.CutPrefix(d.Code, r.Code+"-")
			if !ok || !shortCodeRE.MatchString(short) {
				return nil, fmt.Errorf("%s: code must be %q followed by 2 to 6 capital ASCII letters or digits, such as %q", dwhere, r.Code+"-", r.Code+"-ABC")
			}
			if _, dup := c.district[d.Code]; dup {
				return nil, fmt.Errorf("%s: code appears twice; district codes must be unique", dwhere)
			}
			c.district[d.Code] = [2]int{i, j}
			if err := checkNames(d.Names); err != nil {
				return nil, fmt.Errorf("%s: %w", dwhere, err)
			}
		}
	}
	for _, l := range AllLists() {
		if len(tf.Lists[l]) == 0 {
			return nil, fmt.Errorf("%s: list %q is missing or empty; every list needs at least one term", termsPath, l)
		}
	}
	for l, terms := range tf.Lists {
		if !termCodeRE.MatchString(string(l)) {
			return nil, fmt.Errorf("%s: list name %q must be lower_snake ASCII", termsPath, l)
		}
		if len(terms) == 0 {
			return nil, fmt.Errorf("%s: list %q is empty; remove it or add terms", termsPath, l)
		}
		idx := make(map[string]int, len(terms))
		for i, t := range terms {
			where := fmt.Sprintf("%s: list %q, term %d (%q)", termsPath, l, i+1, t.Code)
			if !termCodeRE.MatchString(t.Code) {
				return nil, fmt.Errorf("%s: code must be lower_snake ASCII such as \"round_table\"", where)
			}
			if _, dup := idx[t.Code]; dup {
				return nil, fmt.Errorf("%s: code appears twice in the list", where)
			}
			idx[t.Code] = i
			if err := checkNames(t.Names); err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
		}
		c.terms[l] = terms
		c.termIdx[l] = idx
	}
	return c, nil
}

func decodeFile(fsys fs.FS, path string, v any) error {
	b, err := fs.ReadFile(fsys, path)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: %w (fix the JSON; unknown fields are not allowed)", path, err)
	}
	return nil
}

func checkNames(n Names) error {
	var missing []string
	for _, p := range []struct{ lang, s string }{{"ky", n.KY}, {"ru", n.RU}, {"en", n.EN}} {
		if strings.TrimSpace(p.s) == "" {
			missing = append(missing, p.lang)
		} else if strings.TrimSpace(p.s) != p.s {
			return fmt.Errorf("name %q in %s has leading or trailing spaces", p.s, p.lang)
		}
	}
	if len(missing) > 0 {
		return errors.New("missing name in " + strings.Join(missing, ", ") + "; every entry needs ky, ru and en names")
	}
	return nil
}

// Regions returns all regions in data order, with their districts.
func (c *Catalog) Regions() []Region {
	out := make([]Region, len(c.regions))
	for i, r := range c.regions {
		out[i] = copyRegion(r)
	}
	return out
}

// Region returns the region with the given ISO 3166-2:KG code.
func (c *Catalog) Region(code string) (Region, bool) {
	i, ok := c.regionIdx[code]
	if !ok {
		return Region{}, false
	}
	return copyRegion(c.regions[i]), true
}

// District returns the district with the given code and the region it
// belongs to.
func (c *Catalog) District(code string) (District, Region, bool) {
	at, ok := c.district[code]
	if !ok {
		return District{}, Region{}, false
	}
	r := c.regions[at[0]]
	return r.Districts[at[1]], copyRegion(r), true
}

// Terms returns the terms of list l in data order, or nil for an unknown list.
func (c *Catalog) Terms(l List) []Term {
	terms, ok := c.terms[l]
	if !ok {
		return nil
	}
	return append([]Term(nil), terms...)
}

// Term returns the term of list l with the given code.
func (c *Catalog) Term(l List, code string) (Term, bool) {
	i, ok := c.termIdx[l][code]
	if !ok {
		return Term{}, false
	}
	return c.terms[l][i], true
}

// Has reports whether list l has a term with the given code.
func (c *Catalog) Has(l List, code string) bool {
	_, ok := c.termIdx[l][code]
	return ok
}

func copyRegion(r Region) Region {
	r.Districts = append([]District(nil), r.Districts...)
	return r
}
