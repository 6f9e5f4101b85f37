package files_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// fixedNow is 2026-03-10 noon in Bishkek.
var fixedNow = time.Date(2026, 3, 10, 12, 0, 0, 0, records.Bishkek)

// open opens (and the first time makes) a store in dir with its records
// and files.
func open(t *testing.T, dir string) (*records.Service, *files.Files, *store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dir, testKey, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Meta(ctx, "device"); err != nil {
		if _, err := records.Init(ctx, st, "test laptop"); err != nil {
			t.Fatal(err)
		}
	}
	svc, err := records.Open(ctx, st, records.Options{Now: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	return svc, files.New(st, svc), st
}

func appeal() domain.Appeal {
	return domain.Appeal{
		Council: "NRN-ATB", Channel: "in_person", Oblast: "KG-N", District: "KG-N-ATB", Village: "Ак-Муз",
		Appellant: &domain.Appellant{Name: "Асанова Гүлнара"}, Gender: "female",
		Category: "land_property", Summary: "Жер үлүшү тартылып алынды",
		ReceivedOn: caldate.MustParse("2026-02-02"), RegisteredOn: caldate.MustParse("2026-02-02"),
	}
}

func TestAttachments(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	svc, fl, st := open(t, dir)
	if _, err := svc.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N"}); err != nil {
		t.Fatal(err)
	}
	a, err := svc.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}

	// A scan of several chunks whose text must not be readable on disk;
	// over twice the largest chunk, so that it is several chunks whatever
	// its random bytes (600 KB came out as one chunk about once in 5,000).
	secret := []byte("ҮЙ-БҮЛӨЛҮК ЗОМБУЛУК: Асанова Гүлнара, ПИН 21203199000123. ")
	content := make([]byte, 2*files.MaxChunk+1)
	rand.Read(content)
	for i := 0; i+len(secret) < len(content); i += 50_000 {
		copy(content[i:], secret)
	}
	random := make([]byte, 1000)
	rand.Read(random)

	att, err := fl.Attach(ctx, domain.KindAppeal, a.ID, files.Input{Name: "арыз.pdf", Caption: "Арыздын сканы"}, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if att.Size != int64(len(content)) || len(att.Chunks) < 2 || att.MIME != "application/pdf" {
		t.Fatalf("attachment %+v", att)
	}
	for i, c := range att.Chunks {
		if c.Size > files.MaxChunk || c.Size < files.MinChunk && i < len(att.Chunks)-1 {
			t.Errorf("chunk %d of %d bytes", i, c.Size)
		}
	}
	photo, err := fl.Attach(ctx, domain.KindAppeal, a.ID, files.Input{Name: "photo.jpg"}, bytes.NewReader(random))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	svc, fl, st = open(t, dir)
	defer st.Close()
	got, err := svc.Appeal(ctx, a.ID)
	if err != nil || len(got.Attachments) != 2 {
		t.Fatalf("appeal has %d attachments (%v)", len(got.Attachments), err)
	}
	for _, ref := range []string{att.ID, "арыз.pdf"} {
		_, r, err := fl.Open(ctx, domain.KindAppeal, a.ID, ref)
		if err != nil {
			t.Fatal(err)
		}
		back, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(back, content) {
			t.Fatalf("content read back by %q differs (%v)", ref, err)
		}
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte("Гүлнара")) || bytes.Contains(b, []byte("21203199000123")) {
			t.Errorf("%s holds attachment text in plaintext", p)
		}
		return nil
	})

	if err := fl.Detach(ctx, domain.KindAppeal, a.ID, photo.ID); err != nil {
		t.Fatal(err)
	}
	got, _ = svc.Appeal(ctx, a.ID)
	if len(got.Attachments) != 1 || got.Attachments[0].ID != att.ID {
		t.Fatalf("after detach: %+v", got.Attachments)
	}
	if _, err := svc.EditAppeal(ctx, a.ID, []byte(`{"attachments":[]}`)); err == nil {
		t.Fatal("attachments edited through a patch")
	}

	big := io.LimitReader(zeros{}, domain.MaxAttachmentSize+1)
	if _, err := fl.Attach(ctx, domain.KindAppeal, a.ID, files.Input{Name: "huge.wav"}, big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("oversized file: %v", err)
	}
	if _, err := fl.Attach(ctx, domain.KindAppeal, "01a21153-0b83-732a-a9d2-550af7253b78", files.Input{Name: "x.txt"}, strings.NewReader("x")); err == nil {
		t.Fatal("attached to a record that does not exist")
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
