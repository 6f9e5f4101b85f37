package files_test

import (
	"bytes"
	"context"
	"io"
	mrand "math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/shared/domain"
)

func opens(t *testing.T, fl *files.Files, id, name string, want []byte) {
	t.Helper()
	_, r, err := fl.Open(context.Background(), domain.KindAppeal, id, name)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s did not open whole: %v", name, err)
	}
}

// A replaced attachment's own chunks are dropped by a sweep, the chunks
// its new version shares with it kept; a deleted appeal keeps its file
// (it can be restored); a sweep done today is not done again by a sync
// until a day later.
func TestSweepDropsWhatNoRecordNames(t *testing.T) {
	ctx := context.Background()
	svc, fl, st := open(t, t.TempDir())
	defer st.Close()
	svc.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N"})
	a, _ := svc.CreateAppeal(ctx, appeal())
	// The bytes from a fixed seed: content-defined chunks cut random bytes
	// where their content says, so how many chunks a 20 KB edit touches
	// varies with them (once 5, past the bound below); these bytes cut the
	// same way every time.
	seeded := mrand.NewChaCha8([32]byte{'s', 'w', 'e', 'e', 'p'})
	v1 := make([]byte, 2<<20)
	seeded.Read(v1)
	if _, err := fl.Attach(ctx, domain.KindAppeal, a.ID, files.Input{Name: "v1.pdf"}, bytes.NewReader(v1)); err != nil {
		t.Fatal(err)
	}
	v2 := bytes.Clone(v1)
	seeded.Read(v2[1<<20 : 1<<20+20_000])
	if _, err := fl.Attach(ctx, domain.KindAppeal, a.ID, files.Input{Name: "v2.pdf"}, bytes.NewReader(v2)); err != nil {
		t.Fatal(err)
	}
	deleted, _ := svc.CreateAppeal(ctx, appeal())
	kept := make([]byte, 300_000)
	seeded.Read(kept)
	if _, err := fl.Attach(ctx, domain.KindAppeal, deleted.ID, files.Input{Name: "kept.pdf"}, bytes.NewReader(kept)); err != nil {
		t.Fatal(err)
	}
	if err := svc.Delete(ctx, domain.KindAppeal, deleted.ID); err != nil {
		t.Fatal(err)
	}
	if r, err := fl.Sweep(ctx); err != nil || r.Chunks != 0 {
		t.Fatalf("a sweep with every chunk named dropped %+v (%v)", r, err)
	}
	if err := fl.Detach(ctx, domain.KindAppeal, a.ID, "v1.pdf"); err != nil {
		t.Fatal(err)
	}
	r, err := fl.Sweep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The edit touched a chunk or three: about that much of v1 is its own.
	if r.Chunks == 0 || r.Chunks > 4 || r.Bytes < 20_000 || r.Bytes > 600_000 {
		t.Fatalf("dropped %+v of a 2 MiB file whose new version rewrote 20 KB", r)
	}
	opens(t, fl, a.ID, "v2.pdf", v2)
	if err := svc.Restore(ctx, domain.KindAppeal, deleted.ID); err != nil {
		t.Fatal(err)
	}
	opens(t, fl, deleted.ID, "kept.pdf", kept)

	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	if _, ran, err := fl.SweepIfDue(ctx, now); err != nil || !ran {
		t.Fatalf("the first sweep of a sync: %v %v", ran, err)
	}
	if _, ran, _ := fl.SweepIfDue(ctx, now.Add(time.Hour)); ran {
		t.Error("swept again an hour later")
	}
	if _, ran, _ := fl.SweepIfDue(ctx, now.Add(files.SweepEvery)); !ran {
		t.Error("not swept a day later")
	}
}

// Attachments while sweeps run: a file on its way to its record is never
// dropped; every file attached opens whole.
func TestSweepWhileAttaching(t *testing.T) {
	ctx := context.Background()
	svc, fl, st := open(t, t.TempDir())
	defer st.Close()
	svc.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N"})
	a, _ := svc.CreateAppeal(ctx, appeal())
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := fl.Sweep(ctx); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	contents := map[string][]byte{}
	for i := range 12 {
		c := randomBytes(200_000 + i)
		att, err := fl.Attach(ctx, domain.KindAppeal, a.ID, files.Input{Name: "scan.pdf"}, bytes.NewReader(c))
		if err != nil {
			t.Fatal(err)
		}
		contents[att.ID] = c
	}
	close(stop)
	wg.Wait()
	for id, c := range contents {
		opens(t, fl, a.ID, id, c)
	}
}
