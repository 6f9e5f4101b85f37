package refdata

import (
	"strings"
	"testing"
	"testing/fstest"
	"unicode"
)

func TestEmbeddedDataLoads(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if Default() == nil {
		t.Fatal("Default returned nil")
	}
	if got := len(c.Regions()); got != 9 {
		t.Errorf("regions: got %d, want 9 (7 oblasts, Bishkek, Osh)", got)
	}
}

func TestRegions(t *testing.T) {
	c := Default()
	want := map[string]string{
		"KG-B": KindOblast, "KG-C": KindOblast, "KG-GB": KindCity, "KG-GO": KindCity,
		"KG-J": KindOblast, "KG-N": KindOblast, "KG-O": KindOblast, "KG-T": KindOblast, "KG-Y": KindOblast,
	}
	seen := map[string]bool{}
	for _, r := range c.Regions() {
		seen[r.Code] = true
		kind, ok := want[r.Code]
		if !ok {
			t.Errorf("unexpected region %q", r.Code)
			continue
		}
		if r.Kind != kind {
			t.Errorf("%s: kind %q, want %q", r.Code, r.Kind, kind)
		}
		if len(r.Districts) == 0 && r.Code != "KG-GO" {
			t.Errorf("%s: no districts", r.Code)
		}
		for _, d := range r.Districts {
			if !strings.HasPrefix(d.Code, r.Code+"-") {
				t.Errorf("%s: district %q does not start with the region code", r.Code, d.Code)
			}
		}
	}
	for code := range want {
		if !seen[code] {
			t.Errorf("region %q missing", code)
		}
	}
}

func TestKnownNamesAndDistricts(t *testing.T) {
	c := Default()
	for _, tc := range []struct {
		region, ky string
		districts  []string // English names that must be present
	}{
		{"KG-Y", "Ысык-Көл облусу", []string{"Ak-Suu District", "Jeti-Oguz District", "Ton District", "Tüp District", "Issyk-Kul District", "Karakol City", "Balykchy City"}},
		{"KG-J", "Жалал-Абад облусу", []string{"Aksy District", "Ala-Buka District", "Bazar-Korgon District", "Chatkal District", "Nooken District", "Suzak District", "Toguz-Toro District", "Toktogul District", "Jalal-Abad City", "Kara-Köl City", "Mailuu-Suu City", "Tash-Kömür City"}},
		{"KG-C", "Чүй облусу", []string{"Alamüdün District", "Chüy District", "Jayyl District", "Kemin District", "Moskva District", "Panfilov District", "Sokuluk District", "Ysyk-Ata District", "Tokmok City"}},
		{"KG-GB", "Бишкек шаары", []string{"Leninsky District", "Oktyabrsky District", "Pervomaysky District", "Sverdlovsky District"}},
		{"KG-O", "Ош облусу", []string{"Alay District", "Aravan District", "Kara-Kulja District", "Kara-Suu District", "Nookat District", "Özgön District", "Chong-Alay District"}},
		{"KG-B", "Баткен облусу", []string{"Batken District", "Kadamjay District", "Leylek District", "Batken City", "Kyzyl-Kiya City", "Sulukta City"}},
		{"KG-N", "Нарын облусу", []string{"Ak-Talaa District", "At-Bashy District", "Jumgal District", "Kochkor District", "Naryn District", "Naryn City"}},
		{"KG-T", "Талас облусу", []string{"Bakay-Ata District", "Kara-Buura District", "Manas District", "Talas District", "Talas City"}},
	} {
		t.Run(tc.region, func(t *testing.T) {
			r, ok := c.Region(tc.region)
			if !ok {
				t.Fatalf("Region(%q) not found", tc.region)
			}
			if r.Names.KY != tc.ky {
				t.Errorf("ky name %q, want %q", r.Names.KY, tc.ky)
			}
			have := map[string]bool{}
			for _, d := range r.Districts {
				have[d.Names.EN] = true
			}
			for _, en := range tc.districts {
				if !have[en] {
					t.Errorf("district %q missing", en)
				}
			}
		})
	}
}

func TestDistrictCodesUnique(t *testing.T) {
	seen := map[string]string{}
	for _, r := range Default().Regions() {
		for _, d := range r.Districts {
			if prev, dup := seen[d.Code]; dup {
				t.Errorf("district code %q used in %s and %s", d.Code, prev, r.Code)
			}
			seen[d.Code] = r.Code
		}
	}
}

// allNames lists every name in the data with a label for messages.
func allNames(c *Catalog) map[string]Names {
	out := map[string]Names{}
	for _, r := range c.Regions() {
		out["region "+r.Code] = r.Names
		for _, d := range r.Districts {
			out["district "+d.Code] = d.Names
		}
	}
	for _, l := range AllLists() {
		for _, term := range c.Terms(l) {
			out[string(l)+"/"+term.Code] = term.Names
		}
	}
	return out
}

func TestNamesPresentAndTranslated(t *testing.T) {
	for label, n := range allNames(Default()) {
		if n.KY == "" || n.RU == "" || n.EN == "" {
			t.Errorf("%s: empty name: %+v", label, n)
		}
		if n.KY == n.EN {
			t.Errorf("%s: Kyrgyz and English names are the same (%q): one is untranslated", label, n.KY)
		}
	}
}

// kyrgyzLetters is the Kyrgyz Cyrillic alphabet.
const kyrgyzLetters = "АБВГДЕЁЖЗИЙКЛМНҢОӨПРСТУҮФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнңоөпрстуүфхцчшщъыьэюя"

func TestKyrgyzNamesUseKyrgyzAlphabet(t *testing.T) {
	for label, n := range allNames(Default()) {
		for _, word := range strings.FieldsFunc(n.KY, func(r rune) bool { return r == ' ' || r == '-' || r == '–' }) {
			var cyr, lat bool
			for _, r := range word {
				switch {
				case strings.ContainsRune(kyrgyzLetters, r):
					cyr = true
				case r < unicode.MaxASCII && unicode.IsLetter(r):
					lat = true
				case unicode.IsDigit(r) || unicode.IsPunct(r):
				default:
					t.Errorf("%s: Kyrgyz name %q has %q (U+%04X), which is not in the Kyrgyz alphabet, Latin, a digit or punctuation", label, n.KY, r, r)
				}
			}
			if cyr && lat {
				t.Errorf("%s: Kyrgyz name %q mixes Cyrillic and Latin letters in %q (a look-alike letter typed in the wrong script?)", label, n.KY, word)
			}
		}
	}
}

func TestRequiredCodes(t *testing.T) {
	required := map[List][]string{
		EventKinds:        {"hearing", "public_platform", "forum", "round_table", "conference", "mobile_reception", "training", "live_broadcast"},
		RightCategories:   {"expression_information", "land_property", "social_protection", "health", "education", "labour", "police_justice", "local_services", "discrimination", "housing", "environment", "other"},
		AppealChannels:    {"in_person", "at_event", "live_broadcast", "social_network", "phone", "letter", "electronic"},
		ParticipantGroups: {"council_members", "civil_society", "officials", "journalists", "citizens"},
		Genders:           {"female", "male", "unspecified"},
		AgeGroups:         {"under_18", "18_29", "30_44", "45_59", "60_plus", "unknown"},
		VulnerableGroups:  {"disability", "women_at_risk", "children", "elderly", "ethnic_minority", "labour_migrant_family", "low_income", "internally_displaced", "rural_remote", "other"},
		Authorities:       {"local_self_government", "district_administration", "police", "prosecutor", "court", "ombudsman", "health", "education", "social_development", "land_cadastre", "tax", "labour_inspection", "other"},
		FollowupStatuses:  {"open", "done", "cancelled"},
	}
	c := Default()
	for _, l := range AllLists() {
		codes, ok := required[l]
		if !ok {
			t.Errorf("list %q has no required codes in this test", l)
		}
		for _, code := range codes {
			if !c.Has(l, code) {
				t.Errorf("%s: required code %q missing", l, code)
			}
		}
	}
	// Lists whose order is part of their meaning.
	for _, l := range []List{RightCategories, VulnerableGroups, Authorities} {
		terms := c.Terms(l)
		if last := terms[len(terms)-1].Code; last != "other" {
			t.Errorf("%s: last code is %q, want \"other\"", l, last)
		}
	}
	for _, l := range []List{Genders, AgeGroups, FollowupStatuses, ParticipantGroups} {
		var got []string
		for _, term := range c.Terms(l) {
			got = append(got, term.Code)
		}
		if strings.Join(got, ",") != strings.Join(required[l], ",") {
			t.Errorf("%s: codes %v, want exactly %v", l, got, required[l])
		}
	}
}

func TestLookups(t *testing.T) {
	c := Default()
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"Has hearing", c.Has(EventKinds, "hearing"), true},
		{"Has unknown code", c.Has(EventKinds, "picnic"), false},
		{"Has code from another list", c.Has(EventKinds, "female"), false},
		{"Has in unknown list", c.Has(List("nope"), "hearing"), false},
		{"Has empty code", c.Has(Genders, ""), false},
		{"Has is case sensitive", c.Has(Genders, "Female"), false},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}

	term, ok := c.Term(AppealChannels, "live_broadcast")
	if !ok || term.Names.KY != "Түз эфир учурунда" {
		t.Errorf("Term(appeal_channels, live_broadcast) = %+v, %v", term, ok)
	}
	if _, ok := c.Term(AppealChannels, "pigeon"); ok {
		t.Error("Term with unknown code: ok is true")
	}
	if c.Terms(List("nope")) != nil {
		t.Error("Terms of an unknown list is not nil")
	}

	d, r, ok := c.District("KG-C-SOK")
	if !ok || r.Code != "KG-C" || d.Names.EN != "Sokuluk District" || d.Names.KY != "Сокулук району" {
		t.Errorf("District(KG-C-SOK) = %+v, %+v, %v", d, r.Code, ok)
	}
	if _, _, ok := c.District("KG-C-XXX"); ok {
		t.Error("District with unknown code: ok is true")
	}
	if _, _, ok := c.District("KG-C"); ok {
		t.Error("District with a region code: ok is true")
	}
	if _, ok := c.Region("KG-Z"); ok {
		t.Error("Region with unknown code: ok is true")
	}
	if r, ok := c.Region("KG-GO"); !ok || r.Names.EN != "Osh City" {
		t.Errorf("Region(KG-GO) = %+v, %v", r, ok)
	}
}

func TestReturnedSlicesAreCopies(t *testing.T) {
	c := Default()
	r, _ := c.Region("KG-C")
	r.Districts[0].Code = "changed"
	c.Regions()[0].Districts[0].Names.KY = "changed"
	c.Terms(Genders)[0].Code = "changed"
	if r2, _ := c.Region("KG-C"); r2.Districts[0].Code == "changed" {
		t.Error("Region returned the catalog's own districts slice")
	}
	if c.Regions()[0].Districts[0].Names.KY == "changed" {
		t.Error("Regions returned the catalog's own districts slice")
	}
	if !c.Has(Genders, c.Terms(Genders)[0].Code) || c.Terms(Genders)[0].Code == "changed" {
		t.Error("Terms returned the catalog's own slice")
	}
}

func TestNamesIn(t *testing.T) {
	full := Names{KY: "Аял", RU: "Женщина", EN: "Female"}
	for _, tc := range []struct {
		n    Names
		lang string
		want string
	}{
		{full, "ky", "Аял"},
		{full, "ru", "Женщина"},
		{full, "en", "Female"},
		{full, "de", "Аял"},
		{full, "", "Аял"},
		{Names{RU: "Женщина", EN: "Female"}, "ky", "Женщина"},
		{Names{KY: "Аял", EN: "Female"}, "ru", "Аял"},
		{Names{EN: "Female"}, "ru", "Female"},
		{Names{KY: "Аял"}, "en", "Аял"},
		{Names{}, "ky", ""},
	} {
		if got := tc.n.In(tc.lang); got != tc.want {
			t.Errorf("%+v.In(%q) = %q, want %q", tc.n, tc.lang, got, tc.want)
		}
	}
}

func TestValidationRejectsBrokenData(t *testing.T) {
	const okRegions = `{"regions":[{"code":"KG-C","kind":"oblast","names":{"ky":"Чүй облусу","ru":"Чуйская область","en":"Chüy Region"},
		"districts":[{"code":"KG-C-SOK","names":{"ky":"Сокулук району","ru":"Сокулукский район","en":"Sokuluk District"}}]}]}`
	okTerms := func(extra string) string {
		var b strings.Builder
		b.WriteString(`{"lists":{`)
		for i, l := range AllLists() {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`"` + string(l) + `":[{"code":"other","names":{"ky":"Башка","ru":"Другое","en":"Other"}}]`)
		}
		b.WriteString(extra + `}}`)
		return b.String()
	}
	fsOf := func(regions, terms string) fstest.MapFS {
		return fstest.MapFS{
			regionsPath: {Data: []byte(regions)},
			termsPath:   {Data: []byte(terms)},
		}
	}
	if _, err := load(fsOf(okRegions, okTerms(""))); err != nil {
		t.Fatalf("minimal valid data rejected: %v", err)
	}
	for _, tc := range []struct {
		name, regions, terms, wantErr string
	}{
		{"bad JSON", `{`, okTerms(""), "regions.json"},
		{"unknown field", `{"regionz":[]}`, okTerms(""), "unknown field"},
		{"no regions", `{"regions":[]}`, okTerms(""), "no regions"},
		{"bad region code", strings.Replace(okRegions, `"code":"KG-C"`, `"code":"C"`, 1), okTerms(""), "ISO 3166-2:KG"},
		{"bad kind", strings.Replace(okRegions, `"oblast"`, `"province"`, 1), okTerms(""), "kind"},
		{"missing ru name", strings.Replace(okRegions, `"Чуйская область"`, `""`, 1), okTerms(""), "missing name in ru"},
		{"district outside region", strings.Replace(okRegions, "KG-C-SOK", "KG-T-SOK", 1), okTerms(""), "KG-C-"},
		{"duplicate district", strings.Replace(okRegions, `}]}]}`, `},{"code":"KG-C-SOK","names":{"ky":"а","ru":"б","en":"c"}}]}]}`, 1), okTerms(""), "twice"},
		{"oblast without districts", `{"regions":[{"code":"KG-C","kind":"oblast","names":{"ky":"Чүй облусу","ru":"Чуйская область","en":"Chüy Region"},"districts":[]}]}`, okTerms(""), "needs its districts"},
		{"missing list", okRegions, `{"lists":{}}`, "missing or empty"},
		{"bad term code", okRegions, strings.Replace(okTerms(""), `"code":"other"`, `"code":"Other Thing"`, 1), "lower_snake"},
		{"duplicate term", okRegions, strings.Replace(okTerms(""), `[{"code":"other","names":{"ky":"Башка","ru":"Другое","en":"Other"}}]`, `[{"code":"other","names":{"ky":"Башка","ru":"Другое","en":"Other"}},{"code":"other","names":{"ky":"Башка","ru":"Другое","en":"Other"}}]`, 1), "twice"},
		{"padded name", okRegions, strings.Replace(okTerms(""), `"Other"`, `" Other"`, 1), "spaces"},
		{"empty extra list", okRegions, okTerms(`,"extra":[]`), "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(fsOf(tc.regions, tc.terms))
			if err == nil {
				t.Fatal("broken data accepted")
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not mention %q", err, tc.wantErr)
			}
		})
	}
}
