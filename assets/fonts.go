package assets

import _ "embed"

// The DejaVu Sans fonts (regular and bold) that documents made for a person
// are printed in: they cover Cyrillic with the Kyrgyz ң ө ү and Latin. Their
// licence is fonts/LICENSE. They are apart from FS because only the
// programs that print a document need their 1.4 MB.
var (
	//go:embed fonts/DejaVuSans.ttf
	FontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	FontBold []byte
)
