package files

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/policy"
)

// What still has to travel is worked out from the records: every record
// that names files (policy.Files: an appeal's or event's attachments, a
// material's file, a competition entry's work) is done once the server holds every chunk of them and,
// when this laptop fetches them, this laptop does too. The bookkeeping in
// the store (names under f:):
//
//	s:KIND:ID:SHA256 the server held this chunk for the record's owner while this laptop
//	                 moved the record's files as of this digest (32 bytes): sent, or fetched
//	d:KIND:ID        the record's files are done as of this digest of their chunks
//	                 (32 bytes), and a byte: 1 when this laptop holds them all
//	o:auto_max       materials up to this many bytes are fetched on a slow link too
//
// Records are looked through once after opening and then as they change
// (Watch): a record whose digest is not its done mark is dirty.
//
// What the server holds is noted per record and digest, and forgotten
// once the record is done: the server releases the chunks no record names
// any more (its sweep), so that a chunk it held for one record, or for an
// earlier version of this one, may be gone when another names it. A
// record whose files changed asks the server about all of them once; only
// a transfer in progress trusts what it noted (a transfer cut at 90%
// sends only the rest).

// DefaultAutoMax is the size up to which materials are fetched on a slow
// link without a person asking: a booklet, not a video.
const DefaultAutoMax = 20 << 20

type ref struct{ kind, id string }

// Chunk is one chunk of a record's files.
type Chunk struct {
	Sum   [32]byte
	Size  int64
	Local bool // this laptop holds it
	Sent  bool // the server holds it for the record's owner, as far as this laptop knows
}

// Work is a record whose files have something to send or to fetch.
type Work struct {
	Kind, ID string
	// Owner is whom the server keeps the chunks for (policy.Owner).
	Owner  string
	Chunks []Chunk // each once, in the order the files name them
	// Fetch says to fetch the chunks this laptop lacks now; else they
	// wait for a person (Want).
	Fetch  bool
	digest [32]byte
}

// Up and Down are the chunks and bytes waiting to go to the server and
// (when Fetch) to come from it.
func (w *Work) Up() (n int, bytes int64) {
	return w.count(func(c Chunk) bool { return c.Local && !c.Sent })
}
func (w *Work) Down() (n int, bytes int64) {
	return w.count(func(c Chunk) bool { return !c.Local && w.Fetch })
}

func (w *Work) count(f func(Chunk) bool) (n int, bytes int64) {
	for _, c := range w.Chunks {
		if f(c) {
			n++
			bytes += c.Size
		}
	}
	return n, bytes
}

func sentPrefix(kind, id string) string { return "s:" + kind + ":" + id + ":" }
func sentName(kind, id string, sum [32]byte) string {
	return sentPrefix(kind, id) + hex.EncodeToString(sum[:])
}
func doneName(kind, id string) string { return "d:" + kind + ":" + id }

const autoMaxName = "o:auto_max"

// Touch notes that a record's files may have changed.
func (f *Files) Touch(kind, id string) {
	if !slices.Contains(policy.FileKinds, kind) {
		return
	}
	f.mu.Lock()
	f.dirty[ref{kind, id}] = true
	f.mu.Unlock()
}

// Want asks for a record's files now, whatever the automatic rules say
// (a person opened it, or pressed Download).
func (f *Files) Want(kind, id string) {
	f.mu.Lock()
	f.dirty[ref{kind, id}] = true
	f.want[ref{kind, id}] = true
	f.mu.Unlock()
}

// SetSlow says whether the link is slow (as the last transfer measured
// it): materials over AutoMax then wait for a person.
func (f *Files) SetSlow(slow bool) {
	f.mu.Lock()
	f.slow = slow
	f.mu.Unlock()
}

// Follow marks the records that change as dirty, from now until stop
// returns (the core follows them while it is open).
func (f *Files) Follow() (stop func()) {
	ch, unsubscribe := f.rec.Subscribe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for batch := range ch {
			for _, c := range batch {
				if c == records.Overflow {
					f.mu.Lock()
					f.scan = false // missed some: look through them all again
					f.mu.Unlock()
					continue
				}
				f.Touch(c.Kind, c.ID)
			}
		}
	}()
	return func() {
		unsubscribe() // closes ch
		<-done
	}
}

// AutoMax is the size up to which materials are fetched on a slow link.
func (f *Files) AutoMax(ctx context.Context) (int64, error) {
	m, err := f.st.FileMarks(ctx, []string{autoMaxName})
	if err != nil {
		return 0, err
	}
	if v, ok := m[autoMaxName]; ok {
		if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return n, nil
		}
	}
	return DefaultAutoMax, nil
}

// SetAutoMax sets the size up to which materials are fetched on a slow
// link without a person asking.
func (f *Files) SetAutoMax(ctx context.Context, n int64) error {
	if n < 0 {
		return fmt.Errorf("the automatic download size is %d bytes; give 0 or more", n)
	}
	if err := f.st.SetFileMarks(ctx, map[string][]byte{autoMaxName: []byte(strconv.FormatInt(n, 10))}); err != nil {
		return err
	}
	f.mu.Lock()
	for r := range f.dirty {
		f.dirty[r] = true
	}
	f.scan = false // what waited may be fetched now
	f.mu.Unlock()
	return nil
}

// Pending returns the records whose files have something to send or to
// fetch, with what of them is here and at the server, and forgets the
// dirty records that have not.
func (f *Files) Pending(ctx context.Context) ([]*Work, error) {
	if err := f.lookThrough(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	refs := make([]ref, 0, len(f.dirty))
	for r := range f.dirty {
		refs = append(refs, r)
	}
	f.mu.Unlock()
	// Materials first (every council waits for them), then in id order
	// (ids are time-ordered: the oldest first).
	slices.SortFunc(refs, func(a, b ref) int {
		if (a.kind == domain.KindMaterial) != (b.kind == domain.KindMaterial) {
			if a.kind == domain.KindMaterial {
				return -1
			}
			return 1
		}
		if c := bytes.Compare([]byte(a.kind), []byte(b.kind)); c != 0 {
			return c
		}
		return bytes.Compare([]byte(a.id), []byte(b.id))
	})
	autoMax, err := f.AutoMax(ctx)
	if err != nil {
		return nil, err
	}
	var out []*Work
	for _, r := range refs {
		w, err := f.work(ctx, r, autoMax)
		if err != nil {
			return nil, err
		}
		if w == nil {
			f.mu.Lock()
			delete(f.dirty, r)
			f.mu.Unlock()
			continue
		}
		out = append(out, w)
	}
	return out, nil
}

// lookThrough marks dirty every record that names files and is not
// done as of its files, once after opening (or after missed changes).
func (f *Files) lookThrough(ctx context.Context) error {
	f.mu.Lock()
	done := f.scan
	f.scan = true
	f.mu.Unlock()
	if done {
		return nil
	}
	for _, kind := range policy.FileKinds {
		var refs []ref
		var names []string
		var digests [][32]byte
		err := f.st.EachState(ctx, kind, func(st *changeset.State) error {
			files := policy.Files(st)
			if len(files) == 0 || st.Deleted() {
				return nil
			}
			refs = append(refs, ref{st.Kind, st.ID})
			names = append(names, doneName(st.Kind, st.ID))
			digests = append(digests, digestOf(policy.Owner(st), files))
			return nil
		})
		if err == nil {
			var marks map[string][]byte
			if marks, err = f.st.FileMarks(ctx, names); err == nil {
				f.mu.Lock()
				for i, r := range refs {
					m := marks[names[i]]
					// Done with everything here is done; done without
					// everything here is looked at again (the rules of
					// what is fetched may have changed).
					if len(m) != 33 || [32]byte(m[:32]) != digests[i] || m[32] != 1 {
						f.dirty[r] = true
					}
				}
				f.mu.Unlock()
			}
		}
		if err != nil {
			f.mu.Lock()
			f.scan = false
			f.mu.Unlock()
			return fmt.Errorf("files: look through the %s records: %w", kind, err)
		}
	}
	return nil
}

// digestOf names a record's files as they are now: its owner and every
// chunk they name.
func digestOf(owner string, files []domain.Attachment) [32]byte {
	var sums []string
	for _, a := range files {
		for _, c := range a.Chunks {
			sums = append(sums, c.SHA256)
		}
	}
	slices.Sort(sums)
	h := sha256.New()
	h.Write([]byte(owner))
	for _, s := range slices.Compact(sums) {
		h.Write([]byte{0})
		h.Write([]byte(s))
	}
	return [32]byte(h.Sum(nil))
}

// work is what a dirty record has to send or fetch (nil: nothing).
func (f *Files) work(ctx context.Context, r ref, autoMax int64) (*Work, error) {
	st, err := f.st.State(ctx, r.kind, r.id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	files := policy.Files(st)
	if len(files) == 0 || st.Deleted() {
		return nil, nil
	}
	w := &Work{Kind: st.Kind, ID: st.ID, Owner: policy.Owner(st), digest: digestOf(policy.Owner(st), files)}
	seen := map[[32]byte]bool{}
	var size int64
	for _, a := range files {
		for _, c := range a.Chunks {
			sum, err := parseSum(c.SHA256)
			if err != nil || seen[sum] {
				continue
			}
			seen[sum] = true
			w.Chunks = append(w.Chunks, Chunk{Sum: sum, Size: c.Size})
			size += c.Size
		}
	}
	sums := make([][32]byte, len(w.Chunks))
	names := make([]string, len(w.Chunks)+1)
	for i, c := range w.Chunks {
		sums[i] = c.Sum
		names[i] = sentName(r.kind, r.id, c.Sum)
	}
	names[len(w.Chunks)] = doneName(r.kind, r.id)
	local, err := f.st.HasChunks(ctx, sums)
	if err != nil {
		return nil, err
	}
	marks, err := f.st.FileMarks(ctx, names)
	if err != nil {
		return nil, err
	}
	// Done as of this digest: the server held them all.
	m := marks[doneName(r.kind, r.id)]
	done := len(m) == 33 && [32]byte(m[:32]) == w.digest
	all := true
	for i := range w.Chunks {
		w.Chunks[i].Local = local[w.Chunks[i].Sum]
		w.Chunks[i].Sent = done || bytes.Equal(marks[names[i]], w.digest[:])
		all = all && w.Chunks[i].Local
	}
	f.mu.Lock()
	wanted, slow := f.want[r], f.slow
	f.mu.Unlock()
	switch {
	case wanted:
		w.Fetch = true
	case r.kind == domain.KindMaterial:
		w.Fetch = !slow || size <= autoMax
	case r.kind == domain.KindCompetition:
		// An entry's work is for its jurors, who fetch it to judge it;
		// every other laptop (every council's reads competitions) when
		// a person asks.
		if c, err := policy.CompetitionOf(st); err == nil {
			_, w.Fetch = c.JurorOf(f.rec.Device().ID)
		}
	default:
		// A council's laptop keeps its council's files; central staff
		// fetch a record's when they open it (Want); a laptop not
		// enrolled holds only its own.
		dev, enrolled := f.rec.Reader()
		w.Fetch = !enrolled || dev.Role == domain.RoleSecretary
	}
	if done && (m[32] == 1 || !w.Fetch && !all) {
		if up, _ := w.Up(); up == 0 {
			return nil, nil
		}
	}
	return w, nil
}

// Sent notes that the server holds chunks of w's record, as w names its
// files.
func (f *Files) Sent(ctx context.Context, w *Work, sums [][32]byte) error {
	marks := make(map[string][]byte, len(sums))
	for _, s := range sums {
		marks[sentName(w.Kind, w.ID, s)] = w.digest[:]
	}
	return f.st.SetFileMarks(ctx, marks)
}

// Received keeps chunks of w's record fetched from the server (checked
// against their SHA-256 on arrival) and notes that the server holds them.
func (f *Files) Received(ctx context.Context, w *Work, chunks [][]byte) error {
	for _, c := range chunks {
		if len(c) == 0 || len(c) > domain.MaxChunkSize {
			return fmt.Errorf("files: a chunk of %d bytes", len(c))
		}
	}
	if err := f.room(chunks); err != nil {
		return err
	}
	f.naming.RLock()
	defer f.naming.RUnlock()
	if err := f.st.PutChunks(ctx, chunks); err != nil {
		return err
	}
	sums := make([][32]byte, len(chunks))
	for i, c := range chunks {
		sums[i] = sha256.Sum256(c)
	}
	return f.Sent(ctx, w, sums)
}

// room refuses chunks fetched from the server with ErrNoRoom when keeping
// them would leave less than the fetch reserve free. When the free space
// cannot be read the store's own check decides.
func (f *Files) room(chunks [][]byte) error {
	reserve := cmp.Or(f.FetchReserve, DefaultFetchReserve)
	var need uint64
	for _, c := range chunks {
		need += uint64(len(c))
	}
	free, err := f.st.FreeBytes()
	if err != nil || free >= reserve+need {
		return nil
	}
	return fmt.Errorf("%w (%d MiB free, downloads leave %d MiB)", ErrNoRoom, free>>20, reserve>>20)
}

// Done notes that a record's files are done as w describes them: the
// server holds them all and, when w fetched, this laptop too. A material
// whose file is all here is noted downloaded in this laptop's copy.
func (f *Files) Done(ctx context.Context, w *Work) error {
	st, err := f.st.State(ctx, w.Kind, w.ID)
	if err != nil {
		return err
	}
	if digestOf(policy.Owner(st), policy.Files(st)) != w.digest {
		return nil // changed meanwhile: still dirty, looked at again
	}
	sums := make([][32]byte, len(w.Chunks))
	for i, c := range w.Chunks {
		sums[i] = c.Sum
	}
	local, err := f.st.HasChunks(ctx, sums)
	if err != nil {
		return err
	}
	all := len(local) == len(sums)
	mark := append(w.digest[:], 0)
	if all {
		mark[32] = 1
	}
	// Done: what was noted of the transfer is forgotten with it (the
	// done mark says the server held them all).
	marks := map[string][]byte{doneName(w.Kind, w.ID): mark}
	err = f.st.EachFileMark(ctx, sentPrefix(w.Kind, w.ID), func(name string, _ []byte) error {
		marks[name] = nil
		return nil
	})
	if err != nil {
		return err
	}
	if err := f.st.SetFileMarks(ctx, marks); err != nil {
		return err
	}
	f.mu.Lock()
	r := ref{w.Kind, w.ID}
	if all || !w.Fetch {
		// Else some chunk was not at the server yet: asked again at the
		// next sync.
		delete(f.dirty, r)
	}
	if all {
		delete(f.want, r)
	}
	f.mu.Unlock()
	if all && w.Kind == domain.KindMaterial {
		var version int
		if v, ok := st.Fields["version"]; ok {
			json.Unmarshal(v.Value, &version)
		}
		if version > 0 {
			return f.rec.NoteMaterial(ctx, w.ID, version, 0)
		}
	}
	return nil
}

// Status is what waits to travel, for keneshctl files status and the
// status bar.
type Status struct {
	UpChunks   int   `json:"up_chunks"`
	UpBytes    int64 `json:"up_bytes"`
	DownChunks int   `json:"down_chunks"`
	DownBytes  int64 `json:"down_bytes"`
	// OnDemand are the chunks and bytes of files this laptop fetches
	// only when a person asks (central staff's attachments, materials
	// over the automatic size on a slow link).
	OnDemandChunks int   `json:"on_demand_chunks"`
	OnDemandBytes  int64 `json:"on_demand_bytes"`
	Records        int   `json:"records"`
}

// Status sums what waits to travel, and what waits for a person to ask
// for it.
func (f *Files) Status(ctx context.Context) (Status, error) {
	ws, err := f.Pending(ctx)
	if err != nil {
		return Status{}, err
	}
	var s Status
	pending := map[ref]bool{}
	for _, w := range ws {
		pending[ref{w.Kind, w.ID}] = true
		n, b := w.Up()
		s.UpChunks, s.UpBytes = s.UpChunks+n, s.UpBytes+b
		n, b = w.Down()
		s.DownChunks, s.DownBytes = s.DownChunks+n, s.DownBytes+b
		if !w.Fetch {
			n, b = w.count(func(c Chunk) bool { return !c.Local })
			s.OnDemandChunks, s.OnDemandBytes = s.OnDemandChunks+n, s.OnDemandBytes+b
		}
	}
	s.Records = len(ws)
	// Records done without their files here: fetched when asked for.
	var waiting []ref
	err = f.st.EachFileMark(ctx, "d:", func(name string, v []byte) error {
		if len(v) == 33 && v[32] == 0 {
			kind, id, ok := strings.Cut(name[len("d:"):], ":")
			if ok && !pending[ref{kind, id}] {
				waiting = append(waiting, ref{kind, id})
			}
		}
		return nil
	})
	if err != nil {
		return s, err
	}
	for _, r := range waiting {
		st, err := f.st.State(ctx, r.kind, r.id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return s, err
		}
		if st.Deleted() {
			continue // nothing of it is fetched any more (as Pending)
		}
		for _, a := range policy.Files(st) {
			done, total, err := f.Local(ctx, &a)
			if err != nil {
				return s, err
			}
			if done < total {
				s.OnDemandBytes += total - done
				s.OnDemandChunks += len(a.Chunks) // at most; a file is asked for whole
			}
		}
	}
	return s, nil
}

// Chunk returns a chunk this laptop holds, checked against its sum.
func (f *Files) Chunk(ctx context.Context, sum [32]byte) ([]byte, error) { return f.st.Chunk(ctx, sum) }
