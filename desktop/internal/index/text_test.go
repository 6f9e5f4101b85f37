package index

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
)

func TestWords(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"Жер талашы, Ак-Талаа!", []string{"ак", "жер", "талаа", "талашы"}},
		{"КӨЛ көл Кол", []string{"кол"}},
		{"NRN-ATB-2026-K7QH-0042", []string{"0042", "2026", "atb", "k7qh", "nrn"}},
		{"+996 555 123456", []string{"123456", "555", "996"}},
		{"aigul@mail.kg", []string{"aigul", "kg", "mail"}},
		{"  ", []string{}},
	}
	for _, tt := range tests {
		if got := Words(tt.text); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Words(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestTextSearchAndPaging(t *testing.T) {
	ix := New()
	put := func(id, date, text string) {
		t.Helper()
		if err := ix.Put(&Row{Kind: "appeal", ID: id, Council: "NRN", Date: date, Search: Fold(text)}); err != nil {
			t.Fatal(err)
		}
	}
	put("a1", "2026-01-01", "Жерди тартып алышты")
	put("a2", "2026-01-02", "Жер үлүшү, тел. 0555 123 456")
	put("a3", "2026-01-03", "Суу жок, ПИН 21234567890123")
	put("a4", "2026-01-04", "Тажерийбе")
	query := func(text string) []string {
		rows, err := ix.Query(Filter{Kind: "appeal", Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return ids(rows)
	}
	cases := []struct {
		text string
		want []string
	}{
		{"жер", []string{"a2", "a1"}}, // word starts, not the middle of "тажерийбе"
		{"жерди", []string{"a1"}},
		{"ЖЕР үлүш", []string{"a2"}},
		{"жер улуш", []string{"a2"}},
		{"0555", []string{"a2"}},
		{"4567890123", []string{"a3"}}, // the end of a personal ID number
		{"суу жер", []string{}},
		{"", []string{"a4", "a3", "a2", "a1"}},
	}
	for _, c := range cases {
		if got := query(c.text); !reflect.DeepEqual(got, c.want) {
			t.Errorf("text %q: %v, want %v", c.text, got, c.want)
		}
	}
	// A changed text leaves its old words.
	put("a1", "2026-01-01", "Суу түтүгү жарылды")
	if got := query("жерди"); len(got) != 0 {
		t.Fatalf("old words still found: %v", got)
	}
	if got := query("суу"); !reflect.DeepEqual(got, []string{"a3", "a1"}) {
		t.Fatalf("new words: %v", got)
	}
	// Pages of a virtualised list, and the total.
	rows, total, err := ix.Page(Filter{Kind: "appeal"}, 1, 2)
	if err != nil || total != 4 || !reflect.DeepEqual(ids(rows), []string{"a3", "a2"}) {
		t.Fatalf("page 1..2: %v of %d, %v", ids(rows), total, err)
	}
	rows, total, _ = ix.Page(Filter{Kind: "appeal"}, 10, 5)
	if len(rows) != 0 || total != 4 {
		t.Fatalf("page past the end: %v of %d", ids(rows), total)
	}
	if n, _ := ix.Count(Filter{Kind: "appeal", Text: "суу"}); n != 2 {
		t.Fatalf("count: %d", n)
	}
	if rows, _ := ix.Query(Filter{Kind: "appeal", Council: "NOPE"}); len(rows) != 0 {
		t.Fatalf("unknown council: %v", ids(rows))
	}
}

// The index must answer exactly what a plain scan of the rows answers,
// whatever the rows, their updates and the filter.
func TestQueryMatchesAScan(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(vals ...string) string { return vals[r.IntN(len(vals))] }
	vocab := []string{"жер", "жерди", "суу", "мектеп", "Көл", "үй", "милиция", "пенсия", "0555123456", "Өзгөн", "жол"}
	date := func() string { return fmt.Sprintf("2026-%02d-%02d", 1+r.IntN(12), 1+r.IntN(28)) }
	randRow := func(id string) *Row {
		var words []string
		for i := 0; i < 1+r.IntN(5); i++ {
			words = append(words, vocab[r.IntN(len(vocab))])
		}
		row := &Row{Kind: pick("appeal", "appeal", "event"), ID: id, Council: pick("NRN", "OSH", "TLS"), Oblast: pick("KG-N", "KG-O"),
			District: pick("", "D1", "D2"), Status: pick("received", "closed", "verified"), Category: pick("land", "health"),
			Date: date(), Deleted: r.IntN(10) == 0, Search: Fold(strings.Join(words, " "))}
		if r.IntN(2) == 0 {
			row.Deadline = date()
		}
		if r.IntN(3) == 0 {
			row.DueNext = date()
		}
		return row
	}
	ix := New()
	truth := map[string]*Row{} // by key, with Search kept
	for i := 0; i < 3000; i++ {
		id := fmt.Sprintf("r%04d", r.IntN(1500)) // about half are updates
		row := randRow(id)
		cp := *row
		truth[row.Kind+":"+id] = &cp
		if err := ix.Put(row); err != nil {
			t.Fatal(err)
		}
	}
	scan := func(f Filter) []string {
		var got []*Row
		words := Words(f.Text)
		for _, row := range truth {
			switch {
			case row.Kind != f.Kind, row.Deleted && !f.IncludeDeleted,
				f.Council != "" && row.Council != f.Council, f.Status != "" && row.Status != f.Status,
				f.Category != "" && row.Category != f.Category, f.Oblast != "" && row.Oblast != f.Oblast,
				f.District != "" && row.District != f.District,
				f.From != "" && row.Date < f.From, f.To != "" && row.Date > f.To,
				f.OverdueOn != "" && (row.Deadline == "" || row.Deadline >= f.OverdueOn),
				f.DueBy != "" && (row.DueNext == "" || row.DueNext > f.DueBy):
				continue
			}
			have := Words(row.Search)
			ok := true
			for _, w := range words {
				if !slices.ContainsFunc(have, func(h string) bool {
					// Digits find a phone or ID number anywhere inside it.
					return strings.HasPrefix(h, w) || len(w) >= 3 && allDigits(w) && len(h) >= 6 && allDigits(h) && strings.Contains(h, w)
				}) {
					ok = false
				}
			}
			if ok {
				got = append(got, row)
			}
		}
		slices.SortFunc(got, func(a, b *Row) int {
			if c := strings.Compare(b.Date, a.Date); c != 0 {
				return c
			}
			return strings.Compare(b.ID, a.ID)
		})
		return ids(got)
	}
	for i := 0; i < 500; i++ {
		f := Filter{Kind: pick("appeal", "event"), Council: pick("", "", "NRN", "OSH"), Status: pick("", "", "received"),
			Category: pick("", "health"), Oblast: pick("", "", "KG-O"), District: pick("", "", "D1"), IncludeDeleted: r.IntN(4) == 0}
		switch r.IntN(5) {
		case 0:
			f.From, f.To = "2026-03-01", "2026-09-30"
		case 1:
			f.OverdueOn = date()
		case 2:
			f.DueBy = date()
		}
		if r.IntN(3) == 0 {
			f.Text = pick("жер", "ЖЕ", "кол", "суу жер", "0555", "123456", "мек")
		}
		rows, err := ix.Query(f)
		if err != nil {
			t.Fatal(err)
		}
		want := scan(f)
		if got := ids(rows); !reflect.DeepEqual(got, want) {
			t.Fatalf("filter %+v:\n got %v\nwant %v", f, got, want)
		}
	}
}

// At start the rows come first and their text after; a save in between
// keeps its own words, and searches wait for the text.
func TestLoadThenText(t *testing.T) {
	ix := New()
	for _, r := range []*Row{{Kind: "appeal", ID: "a1", Date: "2026-01-01"}, {Kind: "appeal", ID: "a2", Date: "2026-01-02"}} {
		if err := ix.LoadRow(r.Kind, r.ID, r.Marshal()); err != nil {
			t.Fatal(err)
		}
	}
	if rows, _ := ix.Query(Filter{Kind: "appeal"}); len(rows) != 2 {
		t.Fatalf("lists must work before the text is read: %v", ids(rows))
	}
	found := make(chan []string)
	go func() {
		rows, _ := ix.Query(Filter{Kind: "appeal", Text: "суу"})
		found <- ids(rows)
	}()
	// A save during loading: its words win over the stored (older) text.
	if err := ix.Put(&Row{Kind: "appeal", ID: "a2", Date: "2026-01-02", Search: Fold("Суу жок")}); err != nil {
		t.Fatal(err)
	}
	ix.LoadText("appeal", "a2", Fold("Жол бузулду"))
	ix.LoadText("appeal", "a1", Fold("Суу түтүгү"))
	ix.LoadText("appeal", "gone", Fold("Суу"))
	select {
	case got := <-found:
		t.Fatalf("a search ran before the text was loaded: %v", got)
	case <-time.After(50 * time.Millisecond):
	}
	ix.TextLoaded()
	if got := <-found; !reflect.DeepEqual(got, []string{"a2", "a1"}) {
		t.Fatalf("search after loading: %v", got)
	}
	if rows, _ := ix.Query(Filter{Kind: "appeal", Text: "жол"}); len(rows) != 0 {
		t.Fatalf("stored text overwrote a save: %v", ids(rows))
	}
}

// More distinct values than the columns can code (a hostile peer's data)
// must not break the index; such values are simply not filterable.
func TestTooManyDistinctValues(t *testing.T) {
	ix := New()
	rows := make([]*Row, 70_000)
	for i := range rows {
		rows[i] = &Row{Kind: "appeal", ID: fmt.Sprint(i), Council: fmt.Sprintf("C%d", i), Date: "2026-01-01"}
	}
	if err := ix.Put(rows...); err != nil {
		t.Fatal(err)
	}
	if n, _ := ix.Count(Filter{Kind: "appeal"}); n != 70_000 {
		t.Fatalf("%d rows listed", n)
	}
	if n, _ := ix.Count(Filter{Kind: "appeal", Council: "C5"}); n != 1 {
		t.Fatalf("a coded council: %d rows", n)
	}
	if r, ok := ix.Get("appeal", "69999"); !ok || r.Council != "C69999" {
		t.Fatalf("a row past the codes keeps its value: %+v", r)
	}
}

func TestSearchTextKeepsEachWordOnce(t *testing.T) {
	got := SearchText("Жер үлүшү, ЖЕР үлүшү!", "+996 555 123456", "")
	want := "жер улушу 996 555 123456"
	if got != want {
		t.Fatalf("SearchText = %q, want %q", got, want)
	}
	// Stored words find what the full text found.
	if !reflect.DeepEqual(Words(got), Words("Жер үлүшү, ЖЕР үлүшү! +996 555 123456")) {
		t.Fatalf("words of the stored text differ: %q", Words(got))
	}
	// The words of one call are not seen by the next (the set is kept for
	// reuse), after a small call and after one too large to keep.
	var many []string
	for i := range 2 * maxSeenWords {
		many = append(many, fmt.Sprintf("w%d", i))
	}
	for _, before := range [][]string{{"жер", "улушу"}, many} {
		SearchText(before...)
		if again := SearchText("Жер үлүшү, ЖЕР үлүшү!", "+996 555 123456", ""); again != want {
			t.Fatalf("after SearchText of %d words: %q, want %q", len(before), again, want)
		}
	}
}

// BenchmarkSearchText is an appeal's search text (its summary,
// description, village, authority and appellant), as a first pull builds
// one for each of its records.
func BenchmarkSearchText(b *testing.B) {
	parts := []string{"NRN-ATB-2026-00042", "Жер үлүшү боюнча талаш", "Айылдагы жер үлүшүн бөлүштүрүүдө кошунасы менен талаш чыкты, " +
		"айыл өкмөтү чечим чыгара элек. Ак-Муз айылы, 2025-жылдын күзүнөн бери.", "Ак-Муз", "Айыл өкмөтү", "",
		"Асанова Гүлнара", "+996 555 123456", "996555123456", "", ""}
	b.ReportAllocs()
	for b.Loop() {
		SearchText(parts...)
	}
}

// Rows and text loaded in place must not keep the buffers they were read
// from: the store reuses them for the next key.
func TestLoadInPlaceKeepsNothingOfTheBuffer(t *testing.T) {
	ix := New()
	want := map[string]Row{}
	for i, src := range append(rows(), &Row{Kind: "event", ID: "e2", Council: "OSH", Date: "2026-04-01", Title: "Угуу", Search: Fold("Угуу жыйыны")}) {
		src.Updated = uint64(i)
		b := src.Marshal()
		if err := ix.LoadRow(src.Kind, src.ID, b); err != nil {
			t.Fatal(err)
		}
		text := []byte(src.Search)
		ix.LoadTextBytes(src.Kind, src.ID, text)
		for j := range b {
			b[j] = 0xff
		}
		for j := range text {
			text[j] = 'x'
		}
		w := *src
		w.Search = ""
		want[src.Kind+":"+src.ID] = w
	}
	ix.TextLoaded()
	for key, w := range want {
		kind, id, _ := strings.Cut(key, ":")
		got, ok := ix.Get(kind, id)
		if !ok || !reflect.DeepEqual(*got, w) {
			t.Errorf("%s: %+v, want %+v", key, got, w)
		}
	}
	if got, _ := ix.Query(Filter{Kind: "appeal", Text: "кол озгон"}); !reflect.DeepEqual(ids(got), []string{"a3"}) {
		t.Errorf("search after loading in place: %v", ids(got))
	}
	if got, _ := ix.Query(Filter{Kind: "event", Text: "жыйын"}); !reflect.DeepEqual(ids(got), []string{"e2"}) {
		t.Errorf("event search after loading in place: %v", ids(got))
	}
}

// toLower is unicode.ToLower for every rune.
func TestToLower(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune+1; r++ {
		if got, want := toLower(r), unicode.ToLower(r); got != want {
			t.Fatalf("toLower(%U) = %U, unicode.ToLower says %U", r, got, want)
		}
	}
}

// SearchText folds every part into one buffer: its words are those of
// each part folded apart (Fold), the first of each kept, on generated
// texts of Kyrgyz, Russian and Latin letters in both cases, digits, signs,
// line breaks and bytes that are not UTF-8.
func TestSearchTextIsEachPartsWords(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 5))
	pieces := []string{"Жер", "ҮЛҮШ", "үлүш", "Көл", "ЁЛКА", "ң", "Ak", "MUZ", "K", "2026", "+996", "555123456", " ", ", ", "\n", "\t", "-", "\xff", "\xe2\x82", "ǅ", "ΣΑΣ"}
	for round := range 3000 {
		parts := make([]string, rng.IntN(6))
		for i := range parts {
			var b strings.Builder
			for range rng.IntN(12) {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
			parts[i] = b.String()
		}
		seen := map[string]bool{}
		var want []string
		for _, p := range parts {
			eachBaseWord(Fold(p), func(w string) {
				if !seen[w] {
					seen[w] = true
					want = append(want, w)
				}
			})
		}
		if got := SearchText(parts...); got != strings.Join(want, " ") {
			t.Fatalf("round %d, SearchText(%q) = %q, want %q", round, parts, got, strings.Join(want, " "))
		}
	}
}
