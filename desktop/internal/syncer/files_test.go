package syncer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/internal/testnet"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/syncproto/syncclient"
	"github.com/kenesh/kenesh/shared/syncproto/synctest"
)

// noise is content that does not compress.
func noise(seed byte, n int) []byte {
	var s [32]byte
	s[0] = seed
	b := make([]byte, n)
	mrand.NewChaCha8(s).Read(b)
	return b
}

// attach attaches content to a new appeal of the laptop's council.
func (l *laptop) attach(t *testing.T, name string, content []byte) (*domain.Appeal, *domain.Attachment) {
	t.Helper()
	a := l.saveAppeal(t, "Жер үлүшү: "+name)
	att, err := l.files.Attach(context.Background(), domain.KindAppeal, a.ID, files.Input{Name: name}, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	return a, att
}

// content reads a file's content as this laptop holds it.
func (l *laptop) content(t *testing.T, kind, id, att string) ([]byte, error) {
	t.Helper()
	_, r, err := l.files.Open(context.Background(), kind, id, att)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// via routes the laptop's syncs through a proxy at u.
func (l *laptop) via(u string) {
	codec := l.sync.codec
	l.sync.newClient = func(e *records.Enrollment) (*syncclient.Client, error) {
		return syncclient.New(u, syncclient.Options{Token: e.Token, Codec: codec, ServerDicts: e.Dicts, Timeout: 20 * time.Second})
	}
}

// Files travel with their records: up from the laptop that attached them
// (the text compressed, the photo as it is), down to the council's other
// laptop byte for byte; central staff fetch them only when a person opens
// the record; a second sync moves nothing.
// atbashy starts a fake server with the council of Ат-Башы and enrolls a
// secretary's laptop there for each name, in order.
func atbashy(t *testing.T, names ...string) (*fakeSync, []*laptop) {
	t.Helper()
	srv := startFake(t, synctest.Options{})
	srv.addCouncil("NRN-ATB", "Ат-Башы", "KG-N")
	var ls []*laptop
	for _, n := range names {
		l := newLaptop(t, n)
		l.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.URL)
		ls = append(ls, l)
	}
	return srv, ls
}

func TestFilesTravel(t *testing.T) {
	srv, l := atbashy(t, "a", "a2")
	a, a2 := l[0], l[1]
	central := newLaptop(t, "central")
	central.enroll(t, srv, "", "", domain.RoleCentral, srv.URL)

	text := []byte(strings.Repeat("Кеңештин жыйынынын протоколу. Катышкандар: 24 адам. ", 8000))
	photo := noise(1, 700_000)
	ap, scan := a.attach(t, "протокол.txt", text)
	_, err := a.files.Attach(context.Background(), domain.KindAppeal, ap.ID, files.Input{Name: "сүрөт.jpg"}, bytes.NewReader(photo))
	if err != nil {
		t.Fatal(err)
	}
	sum := a.syncOK(t)
	if sum.Files == nil || sum.Files.UpChunks == 0 || sum.Files.UpBytes >= int64(len(text)+len(photo)) || sum.Files.UpBytes < int64(len(photo)) {
		t.Fatalf("up: %+v (the text compresses, the photo does not)", sum.Files)
	}
	if again := a.syncOK(t); again.Files.UpChunks != 0 {
		t.Errorf("a second sync sent %d chunks again", again.Files.UpChunks)
	}
	got := a2.syncOK(t)
	if got.Files.DownChunks == 0 {
		t.Fatalf("the council's other laptop fetched nothing: %+v", got.Files)
	}
	if b, err := a2.content(t, domain.KindAppeal, ap.ID, scan.ID); err != nil || !bytes.Equal(b, text) {
		t.Fatalf("the text on a2: %v", err)
	}
	if b, err := a2.content(t, domain.KindAppeal, ap.ID, "сүрөт.jpg"); err != nil || !bytes.Equal(b, photo) {
		t.Fatalf("the photo on a2: %v", err)
	}
	if again := a2.syncOK(t); again.Files.DownChunks != 0 || again.Files.UpChunks != 0 {
		t.Errorf("a second sync moved files again: %+v", again.Files)
	}
	// Central staff: the record arrives, its files when asked for.
	central.syncOK(t)
	if _, err := central.content(t, domain.KindAppeal, ap.ID, scan.ID); !errors.Is(err, files.ErrNotDownloaded) {
		t.Fatalf("central opened a file it never fetched: %v", err)
	}
	central.files.Want(domain.KindAppeal, ap.ID)
	central.syncOK(t)
	if b, err := central.content(t, domain.KindAppeal, ap.ID, scan.ID); err != nil || !bytes.Equal(b, text) {
		t.Fatalf("central after asking: %v", err)
	}
}

// A 20 MB file through a link that drops at random points about every
// 2 MB (the fault-injecting proxy): syncs are retried until it is up,
// every byte arrives, and what was sent in all stays within a chunk a cut
// of the file's size (nothing sent twice but the chunk a cut broke);
// the same on the way down to the council's other laptop.
//
// On the fake and on the real server (which stores several chunks of a
// put at once: a cut must still keep every chunk that arrived whole).
func TestFilesResumeThroughCuts(t *testing.T) {
	if testing.Short() {
		t.Skip("20 MB through a cut link")
	}
	t.Run("fake", func(t *testing.T) { resumeThroughCuts(t, startFake(t, synctest.Options{})) })
	t.Run("server", func(t *testing.T) { resumeThroughCuts(t, startServer(t)) })
}

func resumeThroughCuts(t *testing.T, srv server) {
	srv.addCouncil("NRN-ATB", "Ат-Башы", "KG-N")
	link, err := testnet.NewLink(strings.TrimPrefix(srv.baseURL(), "http://"), 50_000_000, 2*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer link.Close()
	a := newLaptop(t, "a")
	a.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.baseURL())
	b := newLaptop(t, "b")
	b.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.baseURL())
	a.sync.syncOK(t)
	b.sync.syncOK(t)
	content := noise(2, 20<<20)
	ap, att := a.attach(t, "видео.mp4", content)
	a.syncRecordsOnly(t) // the record first, on a good link
	for _, l := range []*laptop{a, b} {
		l.via("http://" + link.Addr)
	}
	for i, l := range []*laptop{a, b} {
		link.CutEvery(2<<20, uint64(i+1))
		cuts0 := link.Cuts()
		link.Reset()
		tries := 0
		for ; tries < 60; tries++ {
			if _, err := l.sync.SyncOnce(context.Background()); err == nil {
				break
			}
		}
		link.CutEvery(0, 0)
		cuts := link.Cuts() - cuts0
		// What crossed the line: sent by a, received by b.
		moved, _ := link.Bytes()
		if l == b {
			_, moved = link.Bytes()
		}
		if tries == 60 || cuts == 0 {
			t.Fatalf("%s: %d tries, %d cuts", l.name, tries, cuts)
		}
		// Requests, answers and headers cost a little besides the chunks.
		if most := int64(len(content)) + cuts*files.MaxChunk + 256<<10; moved > most {
			t.Errorf("%s: %d bytes moved for a file of %d with %d cuts: more than a chunk a cut (%d)", l.name, moved, len(content), cuts, most)
		}
		t.Logf("%s: %d syncs, %d cuts, %.2f MB moved for a file of %.2f MB (%.0f KB a cut)", l.name, tries+1, cuts, float64(moved)/1e6,
			float64(len(content))/1e6, float64(moved-int64(len(content)))/float64(cuts)/1e3)
	}
	if got, err := b.content(t, domain.KindAppeal, ap.ID, att.ID); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("the file on the other laptop: %v", err)
	}
}

// syncRecordsOnly syncs the records without moving files.
func (l *laptop) syncRecordsOnly(t *testing.T) {
	t.Helper()
	fs := l.sync.Files
	l.sync.Files = nil
	defer func() { l.sync.Files = fs }()
	l.syncOK(t)
}

func (s *Syncer) syncOK(t *testing.T) {
	t.Helper()
	if _, err := s.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// A new version of a 20 MB file with 1% of it changed sends under 5% of
// it.
func TestFilesSecondVersionSendsTheChange(t *testing.T) {
	_, l := atbashy(t, "a")
	a := l[0]
	v1 := noise(3, 20<<20)
	ap, _ := a.attach(t, "отчет.pdf", v1)
	a.syncOK(t)
	v2 := bytes.Clone(v1)
	copy(v2[len(v2)/3:], noise(4, len(v2)/100))
	if _, err := a.files.Attach(context.Background(), domain.KindAppeal, ap.ID, files.Input{Name: "отчет-2.pdf"}, bytes.NewReader(v2)); err != nil {
		t.Fatal(err)
	}
	sum := a.syncOK(t)
	if pct := 100 * float64(sum.Files.UpBytes) / float64(len(v2)); pct >= 5 {
		t.Errorf("the second version sent %.1f%% of the file", pct)
	} else {
		t.Logf("the second version sent %.1f%% of the file (%d bytes)", pct, sum.Files.UpBytes)
	}
}

// newProxy is a reverse proxy to target with a transport of its own. Not
// net/http's default one, which the process shares: every httptest server
// that closes (another test's, in its clean-up) drops that transport's idle
// connections, and it then closes each connection that falls idle until
// it is asked for one again; a proxy's answer cut by that reads on the
// laptop as a line gone (unexpected EOF, out of reach), which is not what
// a test of a damaged chunk checks. Its connections close with the test.
func newProxy(t *testing.T, target string) *httputil.ReverseProxy {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	tr := &http.Transport{}
	rp.Transport = tr
	t.Cleanup(tr.CloseIdleConnections)
	return rp
}

// flipper is a proxy that damages the chunk stream of the next n files
// answers, as a bad line might.
type flipper struct {
	proxy *httputil.ReverseProxy
	left  atomic.Int32
}

func newFlipper(t *testing.T, target string, n int32, damage func(stream []byte)) *httptest.Server {
	f := &flipper{proxy: newProxy(t, target)}
	f.left.Store(n)
	f.proxy.ModifyResponse = func(resp *http.Response) error {
		if resp.Request.URL.Path != syncproto.PathFilesGet || resp.StatusCode != http.StatusOK || f.left.Add(-1) < 0 {
			return nil
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if len(b) > 200 {
			damage(b)
		}
		resp.Body = io.NopCloser(bytes.NewReader(b))
		return nil
	}
	s := httptest.NewServer(f.proxy)
	t.Cleanup(s.Close)
	return s
}

// lastChunkSize is where the last chunk's size (4 bytes, big-endian) sits
// in a chunk stream: after the stream's magic, each chunk is a header of
// its SHA-256, its encoding and its payload's size, then the payload.
func lastChunkSize(stream []byte) int {
	at, last := 4, -1
	for at+syncproto.ChunkHeaderBytes <= len(stream) {
		last = at + 33
		at += syncproto.ChunkHeaderBytes + int(binary.BigEndian.Uint32(stream[at+33:]))
	}
	return last
}

// resize changes the size the last chunk of stream declares by d.
func resize(stream []byte, d int) {
	at := lastChunkSize(stream)
	binary.BigEndian.PutUint32(stream[at:], uint32(int(binary.BigEndian.Uint32(stream[at:]))+d))
}

// A chunk damaged on the way down is refused, never stored, and fetched
// again: the file arrives whole. Where the damage falls matters: in a
// payload the chunk does not match its SHA-256; in the last chunk's size
// the answer ends inside that chunk, which is damage too, not a server
// out of reach (a flip there made this test fail now and then, when how
// many chunks an answer holds moved the middle onto a size).
func TestFilesDamagedChunkIsFetchedAgain(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func([]byte)
	}{
		// In the middle of the first chunk's payload: the middle of the
		// whole answer fell now and then on another chunk's size, which
		// ends the answer early (the cases below) rather than damaging a
		// payload.
		{"a byte in the middle of a payload", func(b []byte) {
			b[4+syncproto.ChunkHeaderBytes+int(binary.BigEndian.Uint32(b[4+33:]))/2] ^= 0x20
		}},
		{"the last chunk's size grown", func(b []byte) { resize(b, 100) }},
		{"the last chunk's size shrunk", func(b []byte) { resize(b, -100) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, l := atbashy(t, "a", "b")
			a, b := l[0], l[1]
			content := noise(5, 1<<20)
			ap, att := a.attach(t, "арыз.pdf", content)
			a.syncOK(t)
			b.via(newFlipper(t, srv.URL, 1, tc.damage).URL)
			sum := b.syncOK(t)
			if sum.Files.Refetched == 0 {
				t.Fatalf("no chunk was fetched again: %+v", sum.Files)
			}
			if got, err := b.content(t, domain.KindAppeal, ap.ID, att.ID); err != nil || sha256.Sum256(got) != sha256.Sum256(content) {
				t.Fatalf("the file after a damaged chunk: %v", err)
			}
		})
	}
}

// upFlipper is a proxy that flips one byte near the end of the chunk
// stream of the next n put requests (in the last chunk of each), as a bad
// line might on the way up.
func upFlipper(t *testing.T, target string, n int32) *httptest.Server {
	var left atomic.Int32
	left.Store(n)
	rp := newProxy(t, target)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == syncproto.PathFilesPut && left.Add(-1) >= 0 {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			if len(b) > 200 {
				b[len(b)-100] ^= 0x20
			}
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
			r.Header.Del("Content-Length")
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// A chunk damaged on the way up is refused by the server, never stored:
// the sync says so, the chunks before it in the request are kept, and the
// next sync sends the rest; the council's other laptop then fetches the
// file whole, with nothing damaged to fetch again.
// On the fake and on the real server.
func TestFilesDamagedOnTheWayUpIsSentAgain(t *testing.T) {
	t.Run("fake", func(t *testing.T) { damagedOnTheWayUp(t, startFake(t, synctest.Options{})) })
	t.Run("server", func(t *testing.T) { damagedOnTheWayUp(t, startServer(t)) })
}

func damagedOnTheWayUp(t *testing.T, srv server) {
	srv.addCouncil("NRN-ATB", "Ат-Башы", "KG-N")
	a := newLaptop(t, "a")
	a.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.baseURL())
	b := newLaptop(t, "b")
	b.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.baseURL())
	content := noise(7, 3<<20)
	ap, att := a.attach(t, "протокол.pdf", content)
	a.syncRecordsOnly(t)
	a.via(upFlipper(t, srv.baseURL(), 1).URL)
	_, err := a.sync.SyncOnce(context.Background())
	if code := syncproto.CodeOf(err); code != syncproto.CodeFrame {
		t.Fatalf("a put with a damaged chunk: %v (code %q), want %q", err, code, syncproto.CodeFrame)
	}
	if st, _ := a.files.Status(context.Background()); st.UpChunks != len(att.Chunks) {
		t.Fatalf("after the damaged put %d of %d chunks wait to go: some counted as sent unanswered", st.UpChunks, len(att.Chunks))
	}
	a.via(srv.baseURL())
	sum := a.syncOK(t)
	if sum.Files.UpChunks == 0 || sum.Files.UpChunks >= len(att.Chunks) {
		t.Errorf("the next sync sent %d of %d chunks: the ones before the damaged one should be kept, the rest sent", sum.Files.UpChunks, len(att.Chunks))
	}
	if st, _ := a.files.Status(context.Background()); st.UpChunks != 0 {
		t.Errorf("after the second sync %d chunks wait to go", st.UpChunks)
	}
	t.Logf("%d chunks; the second sync sent %d", len(att.Chunks), sum.Files.UpChunks)
	got := b.syncOK(t)
	if got.Files.Refetched != 0 {
		t.Errorf("the other laptop met a damaged chunk: the server kept one (%+v)", got.Files)
	}
	if c, err := b.content(t, domain.KindAppeal, ap.ID, att.ID); err != nil || !bytes.Equal(c, content) {
		t.Fatalf("the file on the other laptop: %v", err)
	}
}

// A laptop whose disk is nearly full stops downloading before the store's
// own reserve: its records sync, the sync says why the files wait
// (files.ErrNoRoom), nothing half-fetched can be opened, and a new appeal
// can still be saved; once there is room the next sync brings the file
// whole.
func TestFilesNoRoomToDownload(t *testing.T) {
	_, l := atbashy(t, "a", "b")
	a, b := l[0], l[1]
	content := noise(8, 2<<20)
	ap, att := a.attach(t, "сүрөт.jpg", content)
	a.syncOK(t)
	free, err := b.st.FreeBytes()
	if err != nil {
		t.Fatal(err)
	}
	// More kept free than the disk has: as a disk with less than the
	// reserve left.
	b.files.FetchReserve = free + 1<<30
	_, err = b.sync.SyncOnce(context.Background())
	if !errors.Is(err, files.ErrNoRoom) {
		t.Fatalf("a sync with no room for files: %v", err)
	}
	if _, err := b.svc.Appeal(context.Background(), ap.ID); err != nil {
		t.Fatalf("the records did not sync: %v", err)
	}
	if _, err := b.content(t, domain.KindAppeal, ap.ID, att.ID); !errors.Is(err, files.ErrNotDownloaded) {
		t.Fatalf("the file with no room to fetch it: %v", err)
	}
	if st, _ := b.files.Status(context.Background()); st.DownChunks != len(att.Chunks) {
		t.Fatalf("%d of %d chunks wait to come down", st.DownChunks, len(att.Chunks))
	}
	b.saveAppeal(t, "Көпүрө талкаланды")
	b.files.FetchReserve = 0
	sum := b.syncOK(t)
	if sum.Files.DownChunks != len(att.Chunks) {
		t.Errorf("once there was room %d of %d chunks came", sum.Files.DownChunks, len(att.Chunks))
	}
	if got, err := b.content(t, domain.KindAppeal, ap.ID, att.ID); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("the file once there was room: %v", err)
	}
}

// A server from before files (it answers their endpoints "no such
// endpoint"): records sync as before, the files stay on the laptop and
// wait for a server that carries them.
func TestFilesOldServer(t *testing.T) {
	srv := startFake(t, synctest.Options{})
	srv.addCouncil("NRN-ATB", "Ат-Башы", "KG-N")
	rp := newProxy(t, srv.URL)
	old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/files/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"code":"invalid","message":"no such endpoint: ` + r.URL.Path + `"}`))
			return
		}
		rp.ServeHTTP(w, r)
	}))
	defer old.Close()
	a := newLaptop(t, "a")
	a.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.URL)
	a.via(old.URL)
	a.attach(t, "арыз.pdf", noise(6, 100_000))
	sum := a.syncOK(t)
	if !sum.Files.NoFiles || sum.Sent == 0 {
		t.Fatalf("against an old server: %+v, sent %d", sum.Files, sum.Sent)
	}
	if s, _ := a.files.Status(context.Background()); s.UpChunks == 0 {
		t.Fatalf("the files were forgotten: %+v", s)
	}
	a.via(srv.URL)
	if sum := a.syncOK(t); sum.Files.UpChunks == 0 {
		t.Fatalf("the files did not go once the server carried them: %+v", sum.Files)
	}
}

// A request holds as many chunks as fit its limit, the stream's framing
// counted: a put of the largest size the link allows is never over what
// the server takes (it was, by 37 bytes a chunk, found by filesbench).
func TestFilesRequestsFit(t *testing.T) {
	w := &files.Work{}
	var idx []int
	for i := range 300 {
		w.Chunks = append(w.Chunks, files.Chunk{Size: 128 << 10})
		idx = append(idx, i)
	}
	n := fit(w, idx, syncproto.MaxPutBytes, syncproto.MaxPutChunks, syncproto.ChunkHeaderBytes)
	if body := 4 + int64(n)*(128<<10+syncproto.ChunkHeaderBytes); n == 0 || body > syncproto.MaxPutBytes {
		t.Errorf("a put of %d chunks: %d bytes, at most %d", n, body, syncproto.MaxPutBytes)
	}
	if n2 := fit(w, idx[:n+1], syncproto.MaxPutBytes+int64(n+1)*syncproto.ChunkHeaderBytes+4, syncproto.MaxPutChunks, syncproto.ChunkHeaderBytes); n2 != n+1 {
		t.Errorf("with room for one more, %d of %d", n2, n+1)
	}
	if n := fit(w, idx, syncproto.MaxGetBytes, syncproto.MaxGetChunks, 0); int64(n)*(128<<10) > syncproto.MaxGetBytes || n == 0 {
		t.Errorf("a get of %d chunks", n)
	}
	// One chunk goes whatever the limit, and the chunk count is bounded.
	if fit(w, idx, 1, syncproto.MaxPutChunks, syncproto.ChunkHeaderBytes) != 1 || fit(w, idx, 1<<40, 256, 0) != 256 {
		t.Error("the bounds of a request")
	}
}

// A competition entry sent as a file (central staff add it, with the
// work as a PDF) travels like an attachment: up from central staff's
// laptop, down to the juror's laptop at its next sync (a juror judges the
// work), not to a council's laptop that is not on the jury until a
// person there asks for it; the sweeps of the laptops keep it (the
// competition names it). On the fake and on the real server.
func TestCompetitionEntryFileTravels(t *testing.T) {
	t.Run("fake", func(t *testing.T) { entryFileTravels(t, startFake(t, synctest.Options{})) })
	t.Run("server", func(t *testing.T) { entryFileTravels(t, startServer(t)) })
}

func entryFileTravels(t *testing.T, srv server) {
	ctx := context.Background()
	srv.addCouncil("NRN-ATB", "Ат-Башы", "KG-N")
	central := newLaptop(t, "central")
	central.enroll(t, srv, "", "", domain.RoleCentral, srv.baseURL())
	juror := newLaptop(t, "juror")
	juror.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.baseURL())
	other := newLaptop(t, "other")
	other.enroll(t, srv, "NRN-ATB", "KG-N", domain.RoleSecretary, srv.baseURL())

	comp, err := central.svc.SaveCompetition(ctx, domain.Competition{Title: "Мыкты журналисттик иш", Audience: domain.AudienceJournalists,
		Deadline: caldate.Today(records.Bishkek), Criteria: []domain.Criterion{{Name: "Маанилүүлүгү", Max: 10}},
		Jurors: []domain.Juror{{Name: "Айгүл", Device: juror.svc.Device().ID}}})
	if err != nil {
		t.Fatal(err)
	}
	work := append([]byte("%PDF-1.4\n"), noise(3, 600_000)...)
	_, e, err := central.files.AddEntry(ctx, comp.ID, domain.Entry{Author: "Нурлан Токтоматов", Title: "Жер үлүшү кимде?"},
		files.Input{Name: "жер-үлүшү.pdf"}, bytes.NewReader(work))
	if err != nil {
		t.Fatal(err)
	}
	if e.File == nil || e.File.Size != int64(len(work)) || e.File.MIME != "application/pdf" {
		t.Fatalf("the entry's file: %+v", e.File)
	}
	if up := central.syncOK(t); up.Files == nil || up.Files.UpBytes < int64(len(work))/2 {
		t.Fatalf("central staff's laptop sent %+v of a work of %d bytes", up.Files, len(work))
	}
	open := func(l *laptop) ([]byte, error) {
		c, err := l.svc.Competition(ctx, comp.ID)
		if err != nil {
			return nil, err
		}
		got, ok := c.Entry(e.ID)
		if !ok || got.File == nil {
			return nil, fmt.Errorf("%s holds no file of the entry", l.name)
		}
		r, err := l.files.Content(ctx, got.File)
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	}
	if down := juror.syncOK(t); down.Files == nil || down.Files.DownBytes < int64(len(work))/2 {
		t.Fatalf("the juror's laptop fetched %+v", down.Files)
	}
	if b, err := open(juror); err != nil || !bytes.Equal(b, work) {
		t.Fatalf("the work on the juror's laptop: %v", err)
	}
	other.syncOK(t)
	if _, err := open(other); !errors.Is(err, files.ErrNotDownloaded) {
		t.Fatalf("a laptop off the jury holds the work without asking: %v", err)
	}
	other.files.Want(domain.KindCompetition, comp.ID)
	other.syncOK(t)
	if b, err := open(other); err != nil || !bytes.Equal(b, work) {
		t.Fatalf("the work once asked for: %v", err)
	}
	for _, l := range []*laptop{central, juror, other} {
		if _, err := l.files.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if b, err := open(l); err != nil || !bytes.Equal(b, work) {
			t.Fatalf("%s: the work after the sweep: %v", l.name, err)
		}
	}
}
