package records

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/index"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/deadline"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/policy"
	"github.com/kenesh/kenesh/shared/refdata"
)

// Kyrgyzstan keeps UTC+6 all year (no daylight saving since 2005). A fixed
// zone needs no tz database, which Windows laptops may lack.
var Bishkek = time.FixedZone("Asia/Bishkek", 6*60*60)

// Device is this installation's identity.
type Device struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Tag     string    `json:"tag"` // in registration numbers
	Created time.Time `json:"created"`
}

// Meta names.
const (
	metaDevice      = "device"
	metaSeq         = "seq"
	metaClock       = "hlc"
	metaSeen        = "hlc_seen" // the newest clock of an operation pulled and merged
	metaHomeCouncil = "home_council"
	metaIndexDigest = "index_digest"
	metaRegNoPrefix = "regno:"
)

// ErrNotInitialised means the store has no device identity yet.
var ErrNotInitialised = errors.New("this store has not been set up (run 'keneshctl init')")

// Options configure a Service.
type Options struct {
	Catalog *refdata.Catalog // default refdata.Default()
	Rules   *deadline.Rules  // default deadline.Default()
	Now     func() time.Time // default time.Now
	Logger  *slog.Logger
	// TextInBackground makes Open return as soon as lists and filters
	// work, and read the search words after (searches wait for them):
	// the desktop app's start. Close waits for the reading to end.
	TextInBackground bool
	// Format is the sync protocol's form of an operation (see OpFormat);
	// nil keeps held-back operations in changeset's own JSON.
	Format OpFormat
}

// Service is the recording core over one open store. Saves are serialised
// (one device: one sequence of operations); reads run concurrently.
type Service struct {
	st    *store.Store
	ix    *index.Index
	cat   *refdata.Catalog
	rules *deadline.Rules
	now   func() time.Time
	log   *slog.Logger
	wire  OpFormat

	// settled are the refusals found settled (refusals.go): a later
	// write of a field is never taken back, so they are not read again.
	settled settledSet
	// recreate knows the records whose creation the centre refused
	// (recreate.go): an edit of one is sent as its creation again.
	recreate refusedCreations

	// dev is set by Open and never changed: read without mu.
	dev Device
	// seq is this device's newest operation's sequence number, changed
	// under mu (Update) and read without it (Seq): the syncer asks for it
	// between the pages of a first pull, and waiting for mu there waited
	// for the whole window being applied (seconds), so the next window's
	// pages were not pulled meanwhile.
	seq atomic.Uint64

	mu    sync.Mutex // guards the fields below and serialises saves
	clock *hlc.Clock
	// seen is the newest clock among the operations pulled and merged
	// (metaSeen): what a clock set right again must issue after (Restamp).
	seen hlc.Timestamp
	// bulkNew is, during a bulk load begun in this process on a store
	// that held no records (BeginBulkLoad), the records the load may have
	// written: any other record has no state, and applyOps does not look
	// for one (a first pull's reads of states that are not there looked
	// through every table of Badger's level 0, on the applier's path).
	// nil otherwise; any other commit clears it.
	bulkNew map[string]bool
	// indexing, when not nil, is closed once the rows of a bulk load's
	// window, put in the index after its apply returned (applyOps), are
	// in it. Whatever changes the index next waits for it first
	// (awaitIndexing), so rows go in in the order they were stored.
	indexing chan struct{}
	// author names this laptop in its operations: its registered name
	// (the enrollment's, which the server knows it by), or its device
	// name before enrollment. Never free text typed at save time: who
	// wrote a value is shown to people deciding a conflict.
	author string
	home   string
	// writer is the enrolled role and council whose rules saves follow
	// (nil before enrollment: a laptop on its own writes anything).
	writer *policy.Device

	notify notifier

	// bg is the background reading of search words (see Options).
	bg       sync.WaitGroup
	bgCancel context.CancelFunc
}

// Init gives a new store its device identity. It fails if the store has one.
func Init(ctx context.Context, st *store.Store, deviceName string) (Device, error) {
	if _, err := st.Meta(ctx, metaDevice); err == nil {
		return Device{}, fmt.Errorf("init: this store is already set up")
	}
	if deviceName == "" {
		return Device{}, fmt.Errorf("init: a device name is required (for example \"Naryn council laptop\")")
	}
	d := Device{ID: domain.NewID(), Name: deviceName, Tag: randomTag(), Created: time.Now().UTC()}
	b, _ := json.Marshal(d)
	if err := st.SetMeta(ctx, map[string][]byte{metaDevice: b, metaSeq: []byte("0"), metaClock: []byte("0")}); err != nil {
		return Device{}, fmt.Errorf("init: %w", err)
	}
	return d, nil
}

func randomTag() string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = domain.DeviceTagAlphabet[int(b[i])%len(domain.DeviceTagAlphabet)]
	}
	return string(b)
}

// Open loads the device identity and builds the index. The store stays
// owned by the caller.
func Open(ctx context.Context, st *store.Store, o Options) (*Service, error) {
	if o.Catalog == nil {
		o.Catalog = refdata.Default()
	}
	if o.Rules == nil {
		o.Rules = deadline.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Format == nil {
		o.Format = ownFormat{}
	}
	s := &Service{st: st, ix: index.New(), cat: o.Catalog, rules: o.Rules, now: o.Now, log: o.Logger, wire: o.Format}
	b, err := st.Meta(ctx, metaDevice)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotInitialised
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &s.dev); err != nil {
		return nil, fmt.Errorf("open: device identity is damaged: %w", err)
	}
	seq, err := s.metaUint(ctx, metaSeq)
	if err != nil {
		return nil, err
	}
	s.seq.Store(seq)
	last, err := s.metaUint(ctx, metaClock)
	if err != nil {
		return nil, err
	}
	s.clock = hlc.NewClock(hlc.Timestamp(last), o.Now)
	seen, err := s.metaUint(ctx, metaSeen)
	if err != nil {
		return nil, err
	}
	s.seen = hlc.Timestamp(seen)
	s.author = s.dev.Name
	if h, err := st.Meta(ctx, metaHomeCouncil); err == nil {
		s.home = string(h)
	}
	switch e, err := s.Enrollment(ctx); {
	case err == nil:
		s.writer = &policy.Device{Role: e.Role, Council: e.Council}
		if e.Name != "" {
			s.author = e.Name
		}
	case !errors.Is(err, ErrNotEnrolled):
		return nil, err
	}
	if err := s.loadIndex(ctx, o.TextInBackground); err != nil {
		return nil, err
	}
	return s, nil
}

// Close ends the service's background work; the store stays open (its
// owner closes it after). It waits for a bulk load's window still going
// into the index (applyOps): that goroutine would otherwise put rows and
// notify subscribers (who read the store) after the owner closed it.
func (s *Service) Close() {
	if s.bgCancel != nil {
		s.bgCancel()
	}
	s.mu.Lock()
	s.awaitIndexing()
	s.mu.Unlock()
	s.bg.Wait()
}

func (s *Service) metaUint(ctx context.Context, name string) (uint64, error) {
	b, err := s.st.Meta(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("open: meta %s is damaged: %w", name, err)
	}
	return n, nil
}

// Device returns this installation's identity. It does not wait for a
// save or a pulled window being applied.
func (s *Service) Device() Device { return s.dev }

// HomeCouncil is the council new records default to ("" if none).
func (s *Service) HomeCouncil() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.home
}

// SetHomeCouncil sets the council new records default to.
func (s *Service) SetHomeCouncil(ctx context.Context, code string) error {
	if _, ok := s.ix.Get(domain.KindCouncil, code); !ok {
		return fmt.Errorf("council %q: %w (add it first)", code, domain.ErrNotFound)
	}
	if err := s.st.SetMeta(ctx, map[string][]byte{metaHomeCouncil: []byte(code)}); err != nil {
		return err
	}
	s.mu.Lock()
	s.home = code
	s.mu.Unlock()
	return nil
}

// Seq is the sequence number of this device's newest operation. It does
// not wait for a save or a pulled window being applied.
func (s *Service) Seq() uint64 { return s.seq.Load() }

// Today is the current day in Kyrgyzstan.
func (s *Service) Today() caldate.Date { return caldate.Of(s.now().In(Bishkek)) }

// Catalog returns the reference data in use.
func (s *Service) Catalog() *refdata.Catalog { return s.cat }

// Rules returns the deadline rules in use.
func (s *Service) Rules() *deadline.Rules { return s.rules }
