package files_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// A file attached here waits to go up until the server holds its chunks;
// then the record is done, also after the laptop is opened again.
func TestWorkUp(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	svc, fl, st := open(t, dir)
	svc.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N"})
	a, err := svc.CreateAppeal(ctx, appeal())
	if err != nil {
		t.Fatal(err)
	}
	content := randomBytes(400_000)
	att, err := fl.Attach(ctx, domain.KindAppeal, a.ID, files.Input{Name: "сүрөт.jpg"}, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	ws, err := fl.Pending(ctx)
	if err != nil || len(ws) != 1 {
		t.Fatalf("pending: %d %v", len(ws), err)
	}
	w := ws[0]
	if n, b := w.Up(); w.Kind != domain.KindAppeal || w.ID != a.ID || w.Owner != "NRN-ATB" || n != len(att.Chunks) || b != att.Size {
		t.Fatalf("work %+v: up %d chunks, %d bytes", w, n, b)
	}
	if n, _ := w.Down(); n != 0 {
		t.Errorf("%d chunks to fetch of a file made here", n)
	}
	if s, _ := fl.Status(ctx); s.UpBytes != att.Size || s.Records != 1 {
		t.Errorf("status %+v", s)
	}
	// The server holds all but the last chunk: not done.
	var sums [][32]byte
	for _, c := range w.Chunks {
		sums = append(sums, c.Sum)
	}
	if err := fl.Sent(ctx, w, sums[:len(sums)-1]); err != nil {
		t.Fatal(err)
	}
	ws, _ = fl.Pending(ctx)
	if n, _ := ws[0].Up(); n != 1 {
		t.Fatalf("%d chunks to send after the others went", n)
	}
	fl.Sent(ctx, w, sums[len(sums)-1:])
	ws, _ = fl.Pending(ctx)
	if n, _ := ws[0].Up(); n != 0 {
		t.Fatalf("%d chunks to send after all went", n)
	}
	if err := fl.Done(ctx, ws[0]); err != nil {
		t.Fatal(err)
	}
	if ws, _ := fl.Pending(ctx); len(ws) != 0 {
		t.Fatalf("%d records pending when done", len(ws))
	}
	st.Close()
	// What was noted of the transfer went with it.
	st.EachFileMark(ctx, "s:", func(name string, _ []byte) error {
		t.Errorf("a mark of a done transfer is left: %s", name)
		return nil
	})
	// Opened again: looked through, nothing to do.
	svc, fl, st = open(t, dir)
	defer st.Close()
	if ws, err := fl.Pending(ctx); err != nil || len(ws) != 0 {
		t.Fatalf("after opening again: %d pending, %v", len(ws), err)
	}
	// The same file on another appeal is asked about again: the server
	// may have released it since (no record named it), so what it held
	// for the first is not taken for the second.
	a2, err := svc.CreateAppeal(ctx, appeal())
	if err == nil {
		_, err = fl.Attach(ctx, domain.KindAppeal, a2.ID, files.Input{Name: "сүрөт.jpg"}, bytes.NewReader(content))
	}
	if err != nil {
		t.Fatal(err)
	}
	ws, err = fl.Pending(ctx)
	if err != nil || len(ws) != 1 || ws[0].ID != a2.ID {
		t.Fatalf("pending after the same file went on another appeal: %d %v", len(ws), err)
	}
	if n, _ := ws[0].Up(); n != len(att.Chunks) {
		t.Fatalf("%d of %d chunks of the second appeal to ask about", n, len(att.Chunks))
	}
}

// A record pulled from another laptop names a file this laptop lacks: a
// council's laptop fetches it, central staff only when asked; what is
// fetched arrives chunk by chunk and the file opens only once whole.
func TestWorkDown(t *testing.T) {
	ctx := context.Background()
	// The laptop that attached it.
	src, srcFiles, srcSt := open(t, t.TempDir())
	defer srcSt.Close()
	src.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N"})
	a, _ := src.CreateAppeal(ctx, appeal())
	// Over twice the largest chunk, so that it is cut into at least three
	// whatever its random bytes: the test receives half of the chunks first
	// (500 KB of random bytes came out as one chunk about once in a thousand
	// runs, and then half was nothing).
	content := randomBytes(2*files.MaxChunk + 1)
	att, err := srcFiles.Attach(ctx, domain.KindAppeal, a.ID, files.Input{Name: "арыз.pdf"}, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if len(att.Chunks) < 3 {
		t.Fatalf("%d chunks of %d bytes", len(att.Chunks), len(content))
	}
	for _, role := range []string{domain.RoleSecretary, domain.RoleCentral} {
		t.Run(role, func(t *testing.T) {
			svc, fl, st := open(t, t.TempDir())
			defer st.Close()
			council := "NRN-ATB"
			if role == domain.RoleCentral {
				council = ""
			}
			if err := svc.Enroll(ctx, records.Enrollment{Server: "http://127.0.0.1:1", ServerID: "s", Token: "k1.x", Council: council, Role: role, Name: "x"}); err != nil {
				t.Fatal(err)
			}
			// The records as a pull brings them.
			copyRecords(t, src, srcSt, svc)
			fl.Touch(domain.KindAppeal, a.ID)
			ws, err := fl.Pending(ctx)
			if err != nil || len(ws) != 1 {
				t.Fatalf("pending: %d %v", len(ws), err)
			}
			w := ws[0]
			if n, _ := w.Up(); n != 0 {
				t.Errorf("%d chunks to send of a file not made here", n)
			}
			if (role == domain.RoleSecretary) != w.Fetch {
				t.Fatalf("fetch %v", w.Fetch)
			}
			if _, _, err := fl.Open(ctx, domain.KindAppeal, a.ID, att.ID); !errors.Is(err, files.ErrNotDownloaded) {
				t.Fatalf("open before download: %v", err)
			}
			if role == domain.RoleCentral {
				if err := fl.Done(ctx, w); err != nil {
					t.Fatal(err)
				}
				if ws, _ := fl.Pending(ctx); len(ws) != 0 {
					t.Fatalf("central: %d pending before asked", len(ws))
				}
				if s, _ := fl.Status(ctx); s.OnDemandBytes != att.Size || s.DownBytes != 0 {
					t.Errorf("status %+v", s)
				}
				fl.Want(domain.KindAppeal, a.ID)
				ws, _ = fl.Pending(ctx)
				if len(ws) != 1 || !ws[0].Fetch {
					t.Fatalf("central after asking: %+v", ws)
				}
				w = ws[0]
			}
			// Half of it arrives, then the rest.
			var chunks [][]byte
			for _, c := range att.Chunks {
				sum, _ := hexSum(c.SHA256)
				b, err := srcSt.Chunk(ctx, sum)
				if err != nil {
					t.Fatal(err)
				}
				chunks = append(chunks, b)
			}
			half := len(chunks) / 2
			if err := fl.Received(ctx, w, chunks[:half]); err != nil {
				t.Fatal(err)
			}
			if done, total, _ := fl.Local(ctx, att); done == 0 || done >= total {
				t.Fatalf("half: %d of %d", done, total)
			}
			if _, _, err := fl.Open(ctx, domain.KindAppeal, a.ID, att.ID); !errors.Is(err, files.ErrNotDownloaded) {
				t.Fatalf("a half-downloaded file opened: %v", err)
			}
			if err := fl.Received(ctx, w, chunks[half:]); err != nil {
				t.Fatal(err)
			}
			ws, _ = fl.Pending(ctx)
			if len(ws) != 1 {
				t.Fatalf("%d pending", len(ws))
			}
			if n, _ := ws[0].Down(); n != 0 {
				t.Fatalf("%d chunks to fetch after all came", n)
			}
			fl.Done(ctx, ws[0])
			if ws, _ := fl.Pending(ctx); len(ws) != 0 {
				t.Fatalf("%d pending when done", len(ws))
			}
			_, r, err := fl.Open(ctx, domain.KindAppeal, a.ID, att.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := io.ReadAll(r); err != nil || sha256.Sum256(got) != sha256.Sum256(content) {
				t.Fatalf("content: %v", err)
			}
		})
	}
}

// A record central staff's laptop never fetched the files of, then
// deleted by its council, no longer counts as waiting on demand: nothing
// of it is fetched any more (the convergence test met it, now and then).
func TestStatusForgetsDeletedRecords(t *testing.T) {
	ctx := context.Background()
	src, srcFiles, srcSt := open(t, t.TempDir())
	defer srcSt.Close()
	src.AddCouncil(ctx, domain.Council{Code: "NRN-ATB", Name: "Ат-Башы", Oblast: "KG-N"})
	a, _ := src.CreateAppeal(ctx, appeal())
	att, err := srcFiles.Attach(ctx, domain.KindAppeal, a.ID, files.Input{Name: "арыз.pdf"}, bytes.NewReader(randomBytes(300_000)))
	if err != nil {
		t.Fatal(err)
	}
	svc, fl, st := open(t, t.TempDir())
	defer st.Close()
	if err := svc.Enroll(ctx, records.Enrollment{Server: "http://127.0.0.1:1", ServerID: "s", Token: "k1.x", Role: domain.RoleCentral, Name: "x"}); err != nil {
		t.Fatal(err)
	}
	copied := copyRecordsAfter(t, src, srcSt, svc, 0)
	fl.Touch(domain.KindAppeal, a.ID)
	ws, err := fl.Pending(ctx)
	if err != nil || len(ws) != 1 || ws[0].Fetch {
		t.Fatalf("pending: %+v %v", ws, err)
	}
	if err := fl.Done(ctx, ws[0]); err != nil {
		t.Fatal(err)
	}
	if s, _ := fl.Status(ctx); s.OnDemandBytes != att.Size {
		t.Fatalf("before the deletion: %+v", s)
	}
	if err := src.Delete(ctx, domain.KindAppeal, a.ID); err != nil {
		t.Fatal(err)
	}
	copyRecordsAfter(t, src, srcSt, svc, copied)
	fl.Touch(domain.KindAppeal, a.ID)
	if s, err := fl.Status(ctx); err != nil || s.OnDemandBytes != 0 || s.OnDemandChunks != 0 || s.Records != 0 {
		t.Fatalf("after the deletion: %+v %v", s, err)
	}
}

// copyRecordsAfter applies src's laptop's operations after the first
// after of them to dst, as a pull would, and says how many it has.
func copyRecordsAfter(t *testing.T, src *records.Service, srcSt *store.Store, dst *records.Service, after uint64) uint64 {
	t.Helper()
	var ops []*changeset.Op
	err := srcSt.Ops(context.Background(), src.Device().ID, after, func(op *changeset.Op) error { ops = append(ops, op); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dst.ApplyRemote(context.Background(), ops, after+uint64(len(ops))); err != nil {
		t.Fatal(err)
	}
	return after + uint64(len(ops))
}

// copyRecords applies every operation of src's laptop to dst, as a pull
// would.
func copyRecords(t *testing.T, src *records.Service, srcSt *store.Store, dst *records.Service) {
	t.Helper()
	var ops []*changeset.Op
	err := srcSt.Ops(context.Background(), src.Device().ID, 0, func(op *changeset.Op) error { ops = append(ops, op); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dst.ApplyRemote(context.Background(), ops, uint64(len(ops))); err != nil {
		t.Fatal(err)
	}
}

func hexSum(s string) ([32]byte, error) {
	var sum [32]byte
	_, err := hex.Decode(sum[:], []byte(s))
	return sum, err
}
