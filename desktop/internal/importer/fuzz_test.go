package importer

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

var fuzzCouncils = []domain.Council{{Code: "NRN-ATB", Name: "Ат-Башы коомдук кеңеши", Oblast: "KG-N", District: "KG-N-ATB"}}

// Whatever a file holds, reading it gives rows, refusals or an error that
// says what is wrong: never a panic, never a row without its number.
func fuzzParse(t *testing.T, data []byte) {
	for _, kind := range []string{domain.KindAppeal, domain.KindEvent} {
		p, err := parse("fuzz", data, kind, &Mapping{Defaults: map[string]string{"council": "NRN-ATB"}}, refdata.Default(), fuzzCouncils)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error that says nothing")
			}
			continue
		}
		for _, r := range p.rows {
			if r.no < 2 || len(r.digest) != 64 {
				t.Fatalf("row %d, digest %q", r.no, r.digest)
			}
		}
		for _, r := range p.refused {
			if r.Row < 2 || r.Problem == "" {
				t.Fatalf("refusal %+v", r)
			}
		}
	}
}

func FuzzCSV(f *testing.F) {
	f.Add([]byte("№;Дата поступления;ФИО;Как поступило;Право;Суть обращения\n1;05.03.2026;Асан;По телефону;Здравоохранение;x\n"))
	f.Add([]byte("Received,How it came,Right at stake,Summary,District,Status,Answered on\n2026-03-05,Phone,Health,\"a\nb\",KG-N-ATB,Closed,2026-03-20\n"))
	f.Add([]byte("Түрү,Аталышы,Күнү,Жарандар — Аялдар\nКоомдук угуу,Угуу,12.03.2026,10\n"))
	f.Add([]byte("\xef\xbb\xbfReceived\tSummary\n\"2026-03-05\t\"x\n"))
	f.Add([]byte("\xff\xfeR\x00e\x00c\x00\n\x00"))
	f.Add([]byte("\xc4\xe0\xf2\xe0;\xd1\xf3\xf2\xfc\n05.03.26;\xf2\xe5\xea\xf1\xf2\n"))
	f.Fuzz(fuzzParse)
}

func FuzzXLSX(f *testing.F) {
	x := excelize.NewFile()
	x.SetSheetRow("Sheet1", "A1", &[]any{"Received", "How it came", "Right at stake", "Summary", "Anonymous", "Vulnerable groups"})
	x.SetSheetRow("Sheet1", "A2", &[]any{46086.0, "Phone", "Health", "x", "yes", "disability; children"})
	var buf bytes.Buffer
	x.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:buf.Len()/3])
	f.Fuzz(fuzzParse)
}
