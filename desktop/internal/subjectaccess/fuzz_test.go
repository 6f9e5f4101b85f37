package subjectaccess

import (
	"bytes"
	"testing"
)

// FuzzPDF prints whatever a secretary may have typed into a record: any
// text prints, or fails with an error, never a panic or a broken file.
func FuzzPDF(f *testing.F) {
	f.Add("Айгүл Токтогулова", "Уурулук тууралуу арыз\r\nкабыл алынган жок.\t✓", "ky")
	f.Add("", "\x00\x01\u202e\ufffd😀", "ru")
	f.Add("ＡＢＣ 中文 عربى", string(bytes.Repeat([]byte("ң"), 3000)), "en")
	f.Fuzz(func(t *testing.T, name, text, lang string) {
		if lang != "ky" && lang != "ru" {
			lang = "en"
		}
		s := sample()
		a := s.Appeals[0]
		s.Appeals, s.Events, s.Query = s.Appeals[:1], nil, name
		a.Appellant.Name, a.Description, a.Consultations[0].Summary = name, text, text
		d, err := Build(s, Options{Language: lang})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WritePDF(&buf, d); err != nil {
			return // an error is an answer; a panic is not
		}
		if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) || !bytes.Contains(buf.Bytes(), []byte("%%EOF")) {
			t.Fatalf("not a whole PDF (%d bytes)", buf.Len())
		}
	})
}
