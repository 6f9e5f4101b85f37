package subjectaccess

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func build(t *testing.T, f *Found, lang string) *Document {
	t.Helper()
	d, err := Build(f, Options{Language: lang})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func field(t *testing.T, fs []Field, name string) Field {
	t.Helper()
	for _, f := range fs {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no field %q among %v", name, fs)
	return Field{}
}

func hasField(fs []Field, name string) bool {
	for _, f := range fs {
		if f.Name == name {
			return true
		}
	}
	return false
}

// allFields walks every field of a document.
func allFields(d *Document) []Field {
	out := append(append([]Field(nil), d.Request...), d.Holder...)
	items := func(its []Item) {
		for _, it := range its {
			out = append(out, it.Fields...)
		}
	}
	for _, a := range d.Appeals {
		out = append(out, a.Fields...)
		items(a.Consultations)
		items(a.Attachments)
		items(a.History)
	}
	for _, e := range d.Events {
		out = append(out, e.Fields...)
		items(e.Named)
	}
	for _, p := range d.Published {
		out = append(out, p.Fields...)
	}
	return out
}

// TestFieldsInWords: coded values are in words in the document's language,
// with the code beside them.
func TestFieldsInWords(t *testing.T) {
	tests := []struct {
		lang, field, text, code string
	}{
		{"ky", "category", "Милиция жана сот адилеттиги", "police_justice"},
		{"ru", "category", "Милиция и правосудие", "police_justice"},
		{"en", "category", "Police and justice", "police_justice"},
		{"ky", "gender", "Аял", "female"},
		{"ru", "gender", "Женщина", "female"},
		{"en", "gender", "Female", "female"},
		{"ru", "channel", "На мероприятии", "at_event"},
		{"en", "status", "Referred", "referred"},
		{"ky", "status", "Жөнөтүлдү", "referred"},
		{"ru", "oblast", "Нарынская область", "KG-N"},
		{"en", "district", "At-Bashy District", "KG-N-ATB"},
		{"ky", "council", "Ат-Башы коомдук кеңеши", "NRN-ATB"},
		{"en", "received_on", "10 February 2026", "2026-02-10"},
		{"ru", "received_on", "10 февраля 2026 г.", "2026-02-10"},
		{"ky", "received_on", "10-февраль, 2026-ж.", "2026-02-10"},
		{"en", "publish_identity_consent", "yes", "true"},
		{"ru", "published", "да", "true"},
		{"en", "language", "Kyrgyz", "ky"},
		{"en", "event_id", "Коомдук угуу: айылдагы суу маселеси (10 February 2026)", "019c0000-0000-7000-8000-0000000000e1"},
		{"en", "appellant.phone", "+996 700 112 233", ""},
	}
	for _, tt := range tests {
		d := build(t, sample(), tt.lang)
		f := field(t, d.Appeals[0].Fields, tt.field)
		if f.Text != tt.text || f.Code != tt.code {
			t.Errorf("%s %s: text %q code %q, want %q %q", tt.lang, tt.field, f.Text, f.Code, tt.text, tt.code)
		}
	}
}

var snake = regexp.MustCompile(`^[a-z0-9]+(_[a-z0-9]+)+$|^(female|male|police|phone|hearing|referred|verified|received|closed|health|education|other)$`)

// TestNoCodesInText: no text a person reads is a code or an untranslated
// key, in any language.
func TestNoCodesInText(t *testing.T) {
	for _, lang := range Languages {
		d := build(t, sample(), lang)
		texts := []string{d.Title, d.From, d.Date, d.Intro, d.Summary, d.Signature, d.Rights.Law}
		texts = append(texts, d.Rights.Paragraphs...)
		for _, a := range d.Appeals {
			texts = append(texts, a.Heading)
			for _, its := range [][]Item{a.Consultations, a.Attachments, a.History} {
				for _, it := range its {
					texts = append(texts, it.Heading)
				}
			}
		}
		for _, p := range d.Published {
			texts = append(texts, p.Heading, p.Note)
		}
		for _, f := range allFields(d) {
			if f.Label == "" {
				t.Errorf("%s: field %s has no label", lang, f.Name)
			}
			texts = append(texts, f.Label, f.Text)
			if f.Code != "" && snake.MatchString(f.Code) && f.Text == f.Code {
				t.Errorf("%s: field %s shows its code %q", lang, f.Name, f.Code)
			}
			for _, c := range f.Codes {
				if strings.Contains(f.Text, c) {
					t.Errorf("%s: field %s shows its code %q in %q", lang, f.Name, c, f.Text)
				}
			}
		}
		for _, s := range texts {
			if strings.HasPrefix(s, "person.") || strings.HasPrefix(s, "field.") || strings.HasPrefix(s, "status.") || strings.Contains(s, "{") {
				t.Errorf("%s: untranslated text %q", lang, s)
			}
		}
		if len(d.Rights.Paragraphs) < 4 {
			t.Errorf("%s: %d paragraphs on rights", lang, len(d.Rights.Paragraphs))
		}
	}
}

func TestRequestAndAnswerDates(t *testing.T) {
	tests := []struct {
		name      string
		requested string
		answerBy  string
		err       string
	}{
		{"default: the day of the search", "", "2026-03-12", ""},
		{"received earlier", "2026-03-01", "2026-03-08", ""},
		{"received after the search", "2026-03-06", "", "after today"},
		{"before the law", "2001-01-01", "", "no rule"},
	}
	for _, tt := range tests {
		o := Options{Language: "en"}
		if tt.requested != "" {
			o.RequestedOn = day(tt.requested)
		}
		d, err := Build(sample(), o)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want one saying %q", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := field(t, d.Request, "answer_by").Code; got != tt.answerBy {
			t.Errorf("%s: answer by %s, want %s", tt.name, got, tt.answerBy)
		}
		if d.Rights.AnswerDays != 7 || d.Rights.Rule != "law58_2008" {
			t.Errorf("%s: rights %+v", tt.name, d.Rights)
		}
	}
}

func TestLanguageRefused(t *testing.T) {
	for _, lang := range []string{"", "kk", "KY", "de"} {
		_, err := Build(sample(), Options{Language: lang})
		var le LanguageError
		if !errors.As(err, &le) || !strings.Contains(err.Error(), "ky, ru, en") {
			t.Errorf("language %q: %v", lang, err)
		}
	}
}

// TestPublication: what the public register shows, and that the name is
// there only with consent.
func TestPublication(t *testing.T) {
	d := build(t, sample(), "en")
	if len(d.Published) != 2 {
		t.Fatalf("%d publications, want 2 (published, and ready)", len(d.Published))
	}
	pub, ready := d.Published[0], d.Published[1]
	if !pub.Published || !pub.Named || field(t, pub.Fields, "public.appellant").Text != "Айгүл Токтогулова" {
		t.Errorf("published with consent: %+v", pub)
	}
	if !strings.Contains(pub.Note, "25 February 2026") || !strings.Contains(pub.Note, "consent") {
		t.Errorf("note: %q", pub.Note)
	}
	if ready.Published || ready.Named || field(t, ready.Fields, "public.appellant").Text != "Not named" {
		t.Errorf("ready without consent: %+v", ready)
	}
	for _, p := range d.Published {
		for _, banned := range []string{"appellant.phone", "appellant.email", "appellant.address", "appellant.pin", "village", "description"} {
			if hasField(p.Fields, banned) || hasField(p.Fields, "public."+banned) {
				t.Errorf("the public view of %s shows %s", p.Appeal, banned)
			}
		}
	}
	if !strings.Contains(d.Summary, "Appeals published: 1") {
		t.Errorf("summary %q", d.Summary)
	}
}

// TestHistoryCarriesEarlierValues: an earlier phone number is held, so it
// is given; entries without personal data are not in the sample's history.
func TestHistoryCarriesEarlierValues(t *testing.T) {
	d := build(t, sample(), "ru")
	h := d.Appeals[0].History
	if len(h) != 3 {
		t.Fatalf("%d history entries, want 3", len(h))
	}
	if got := field(t, h[0].Fields, "appellant.phone").Text; got != "+996 555 000 111" {
		t.Errorf("first phone %q", got)
	}
	if got := field(t, h[0].Fields, "action").Text; got != "создал(а)" {
		t.Errorf("action %q", got)
	}
	if hasField(h[0].Fields, "summary") {
		t.Error("the history shows a field that is not personal data")
	}
	if got := field(t, h[1].Fields, "vulnerable_groups"); got.Text != "Женщины группы риска; Жители отдалённых сёл" || len(got.Codes) != 2 {
		t.Errorf("groups %+v", got)
	}
	if got := field(t, h[2].Fields, "author").Text; got != "неизвестно" {
		t.Errorf("unknown author shown as %q", got)
	}
	if got := field(t, h[2].Fields, "age_group"); got.Code != "30_44" || got.Text == "30_44" {
		t.Errorf("age group %+v", got)
	}
}

func TestDeletedAndNothing(t *testing.T) {
	d := build(t, sample(), "ky")
	del := d.Appeals[2]
	if !del.Deleted || field(t, del.Fields, "meta.deleted").Text == "" {
		t.Errorf("deleted appeal: %+v", del)
	}
	if hasField(del.Fields, "deadlines.answer_by") {
		t.Error("a deleted appeal shows an answer deadline")
	}
	if d.Nothing != "" {
		t.Errorf("nothing = %q with records", d.Nothing)
	}

	empty := &Found{Query: "Жок Адам", At: searchedAt, Holder: Holder{Device: "Ноутбук"}}
	for _, lang := range Languages {
		d := build(t, empty, lang)
		if d.Nothing == "" || !strings.Contains(d.Nothing, "Жок Адам") {
			t.Errorf("%s: nothing = %q", lang, d.Nothing)
		}
		if d.From != "Ноутбук" || len(d.Appeals) != 0 || d.Appeals == nil || d.Events == nil || d.Published == nil {
			t.Errorf("%s: empty document %+v", lang, d)
		}
	}
}

func TestEventNamesOnlyThePerson(t *testing.T) {
	d := build(t, sample(), "en")
	if len(d.Events) != 1 {
		t.Fatalf("%d events", len(d.Events))
	}
	e := d.Events[0]
	if len(e.Named) != 1 || field(t, e.Named[0].Fields, "speakers.name").Text != "Айгүл Токтогулова" {
		t.Errorf("named: %+v", e.Named)
	}
	// Other people's data is theirs: the other speaker is not given out.
	for _, f := range allFields(d) {
		if strings.Contains(f.Text, "Осмонов") {
			t.Errorf("another person's name in %s", f.Name)
		}
	}
	if field(t, e.Fields, "kind").Text != "Public hearing" {
		t.Errorf("kind %+v", field(t, e.Fields, "kind"))
	}
}

func TestHolder(t *testing.T) {
	f := sample()
	d := build(t, f, "en")
	if d.From != "Ат-Башы коомдук кеңеши" || field(t, d.Holder, "holder.role").Text != "council secretary" {
		t.Errorf("holder: %s %+v", d.From, d.Holder)
	}
	f.Holder = Holder{Device: "Ноутбук 3"}
	d = build(t, f, "en")
	if d.From != "Ноутбук 3" || hasField(d.Holder, "holder.role") || hasField(d.Holder, "holder.council") {
		t.Errorf("unenrolled holder: %s %+v", d.From, d.Holder)
	}
}

func TestPersonsLanguage(t *testing.T) {
	f := sample() // ky on 10 Feb, ru on 2 Mar, none on the deleted one
	if got := f.Language(); got != "ru" {
		t.Errorf("language %q, want ru (the latest appeal's)", got)
	}
	f.Appeals[1].Language = ""
	if got := f.Language(); got != "ky" {
		t.Errorf("language %q, want ky", got)
	}
	f.Appeals[0].Language = "de"
	if got := f.Language(); got != "ky" {
		t.Errorf("language %q for an unknown code, want the default ky", got)
	}
	if got := (&Found{}).Language(); got != "ky" {
		t.Errorf("nothing found: language %q", got)
	}
}

func TestWithout(t *testing.T) {
	f := sample()
	ev := f.Events[0].Event.ID
	tests := []struct {
		refs            []string
		appeals, events int
		err             string
	}{
		{nil, 3, 1, ""},
		{[]string{"NRN-ATB-2026-K7QH-0002"}, 2, 1, ""},
		{[]string{f.Appeals[0].ID, " " + ev + " "}, 2, 0, ""},
		{[]string{"NRN-ATB-2026-K7QH-0002", f.Appeals[1].ID}, 2, 1, ""}, // one appeal, named twice
		{[]string{"NRN-ATB-2026-K7QH-0009"}, 0, 0, "NRN-ATB-2026-K7QH-0009: not among"},
	}
	for _, tt := range tests {
		got, err := f.Without(tt.refs)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v: error %v, want %q", tt.refs, err, tt.err)
			}
			continue
		}
		if err != nil || len(got.Appeals) != tt.appeals || len(got.Events) != tt.events {
			t.Errorf("%v: %d appeals, %d events, %v; want %d, %d", tt.refs, len(got.Appeals), len(got.Events), err, tt.appeals, tt.events)
		}
	}
	if len(f.Appeals) != 3 || len(f.Events) != 1 {
		t.Error("Without changed what was found")
	}
	// What was left out is not in the document, nor in what was published.
	g, _ := f.Without([]string{"NRN-ATB-2026-K7QH-0001"})
	d := build(t, g, "en")
	for _, p := range d.Published {
		if p.Appeal == "NRN-ATB-2026-K7QH-0001" {
			t.Error("a left-out appeal's publication is in the answer")
		}
	}
}
