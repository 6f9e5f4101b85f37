package files_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/shared/domain"
)

// A trainer publishes a material and then a new version: the catalogue
// holds one entry, at version 2, with the new file; what is not given
// again is kept; a description that breaks the rules is refused before
// the file is read.
func TestPublish(t *testing.T) {
	ctx := context.Background()
	svc, fl, st := open(t, t.TempDir())
	defer st.Close()
	v1 := randomBytes(300_000)
	m, err := fl.Publish(ctx, files.MaterialInput{Title: "Аялдардын укуктары", Language: "ky", Topic: "gender",
		File: files.Input{Name: "колдонмо.pdf"}}, bytes.NewReader(v1))
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != 1 || m.File.Size != int64(len(v1)) || m.File.MIME != "application/pdf" {
		t.Fatalf("material %+v", m)
	}
	v2 := append(bytes.Clone(v1), randomBytes(5000)...)
	m2, err := fl.Publish(ctx, files.MaterialInput{Replaces: m.ID, Notes: "5-бет кошулду", File: files.Input{Name: "колдонмо-2.pdf"}}, bytes.NewReader(v2))
	if err != nil {
		t.Fatal(err)
	}
	if m2.ID != m.ID || m2.Version != 2 || m2.Title != m.Title || m2.Topic != "gender" || m2.Notes != "5-бет кошулду" {
		t.Fatalf("version 2: %+v", m2)
	}
	list, err := svc.Materials(ctx)
	if err != nil || len(list) != 1 || list[0].Version != 2 {
		t.Fatalf("catalogue: %+v %v", list, err)
	}
	_, r, err := fl.OpenMaterial(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(r); !bytes.Equal(got, v2) {
		t.Fatal("the material opens with another content than its newest version")
	}
	read := false
	_, err = fl.Publish(ctx, files.MaterialInput{Title: "", Language: "fr", File: files.Input{Name: "x.pdf"}}, readerFunc(func(p []byte) (int, error) {
		read = true
		return 0, io.EOF
	}))
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || read {
		t.Fatalf("a material without a title in French: %v (file read: %v)", err, read)
	}
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
