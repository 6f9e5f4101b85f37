package public

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/chacha20poly1305"

	"github.com/kenesh/kenesh/syncserver/internal/middleware"
)

// GuardConfig is the citizens' form's protection against abuse, with no
// third-party service: size limits (the body and every field), a honeypot
// field, a minimum time to fill the form, rate limits per address and per
// network, a cap on each council's waiting submissions, and a challenge
// that needs no JavaScript (digits in a picture, or spoken), which the
// administrator switches on when spam gets through the rest.
type GuardConfig struct {
	// Secret seals the form's tokens (32 bytes; derived from the server's
	// key, so that every process of a server and every restart accept
	// the same). nil: a random secret for this process.
	Secret []byte
	// Challenge asks the digits of a picture (or of a recording) on every
	// submission, from the start (Handler.SetChallenge switches it while
	// the server runs). On a store that keeps the switch for every
	// process (store.ChallengeSwitch), the store's switch is followed.
	Challenge bool
	// ChallengeEvery is how long a process may go on with the store's
	// challenge switch as it last read it (default 5 s): the form's
	// requests read it again when it is older.
	ChallengeEvery time.Duration
	// MinFill is the least time between showing the form and taking it
	// (default 3 s): a person reads and types; a script posts at once.
	MinFill time.Duration
	// MaxAge is how long a shown form may be sent (default 6 h).
	MaxAge time.Duration
	// PerAddress and PerNetwork are the submissions an hour allowed from
	// one address and from one network (/24 of IPv4, /48 of IPv6; a
	// village's mobile operator puts many people behind one address, so
	// they are generous): defaults 10 and 60, with bursts of the same.
	// Negative: no limit.
	PerAddress, PerNetwork float64
	// MaxWaiting is how many web submissions may wait in one council's
	// inbox (default 500): past it the form says to try later.
	MaxWaiting int
	// TrustProxy takes the client's address from the last entry of
	// X-Forwarded-For (a reverse proxy on this host adds it), not from
	// the connection.
	TrustProxy bool
}

type guard struct {
	cfg       GuardConfig
	challenge atomic.Bool // cfg.Challenge, as switched since
	seal      func(plain []byte) string
	open      func(token string) ([]byte, bool)
	derive    func(label, token string) []byte // 32 bytes of the secret and token: formID, formCode
	addr      *middleware.Limiters
	net       *middleware.Limiters
	lookup    *middleware.Limiters // tracking lookups per address
	// media: the challenge's pictures and recordings per address (a
	// recording costs 16 ms of CPU to make: unbounded, a few clients with
	// one token could keep the server's cores busy).
	media *middleware.Limiters
	// renders holds a slot for each picture or recording being made: as
	// many at once as the process has cores, the others waiting their
	// turn (at most mediaWait). A recording's samples are ~0.8 MB, and
	// the per-address limits do not bound many addresses at once: 400
	// visitors asking together took the server from 25 to 179-353 MiB
	// (attackmem -attacks challenge); more cores at work would not make
	// them sooner.
	renders   chan struct{}
	mediaWait time.Duration
	now       func() time.Time

	mu   sync.Mutex
	used map[[32]byte]time.Time // tokens spent, until they expire
	sent map[[32]byte]*sent     // what tokens' forms made, until they expire
}

// sent is what the sending of one form (by its token) made: a second
// sending of the same form (a double tap, a reload, a retry after a lost
// answer) is sent to the same tracking page instead of making a second
// submission.
type sent struct {
	until time.Time
	done  chan struct{} // closed when the first sending ended
	code  string        // its tracking code; "" when it made none
}

func newGuard(cfg GuardConfig, now func() time.Time) (*guard, error) {
	if cfg.MinFill == 0 {
		cfg.MinFill = 3 * time.Second
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = 6 * time.Hour
	}
	if cfg.PerAddress == 0 {
		cfg.PerAddress = 10
	}
	if cfg.PerNetwork == 0 {
		cfg.PerNetwork = 60
	}
	if cfg.MaxWaiting == 0 {
		cfg.MaxWaiting = 500
	}
	secret := cfg.Secret
	if len(secret) == 0 {
		secret = randomBytes(make([]byte, 32))
	}
	key := sha256.Sum256(append([]byte("kenesh-public-form-token:"), secret...))
	formKey := sha256.Sum256(append([]byte("kenesh-public-form-id:"), secret...))
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		return nil, err
	}
	g := &guard{cfg: cfg, now: now, used: map[[32]byte]time.Time{}, sent: map[[32]byte]*sent{},
		addr: limiter(cfg.PerAddress), net: limiter(cfg.PerNetwork), lookup: middleware.NewLimiters(1, 60),
		media:   middleware.NewLimiters(challengeMediaPerHour/3600, challengeMediaBurst),
		renders: make(chan struct{}, max(1, runtime.GOMAXPROCS(0))), mediaWait: challengeMediaWait}
	g.challenge.Store(cfg.Challenge)
	g.derive = func(label, token string) []byte {
		m := hmac.New(sha256.New, formKey[:])
		m.Write([]byte(label))
		m.Write([]byte(token))
		return m.Sum(nil)
	}
	g.seal = func(plain []byte) string {
		nonce := randomBytes(make([]byte, aead.NonceSize()))
		return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, nil))
	}
	g.open = func(token string) ([]byte, bool) {
		b, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(b) < aead.NonceSize()+aead.Overhead() {
			return nil, false
		}
		plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], nil)
		return plain, err == nil
	}
	return g, nil
}

func limiter(perHour float64) *middleware.Limiters {
	if perHour < 0 {
		return middleware.NewLimiters(0, 1)
	}
	return middleware.NewLimiters(perHour/3600, int(perHour))
}

// ticket is what a form's token holds, sealed: when the form was shown,
// the digits of its challenge (none when it is off), and an id.
type ticket struct {
	issued time.Time
	digits []byte // each 0-9
	id     [8]byte
}

// A person loads a form's picture, maybe a new one or the recording, for a
// few forms an hour: 30 at once, then 120 an hour, from one address.
const (
	challengeMediaBurst = 30
	// challengeMediaWait is the longest a picture or a recording waits
	// for its turn to be made (guard.renders) before the visitor is told
	// to try again: 5 s is ~700 recordings made on two cores.
	challengeMediaWait    = 5 * time.Second
	challengeMediaPerHour = 120.0
)

// challengeDigits is how many digits the challenge asks.
const challengeDigits = 5

// issue makes the token of a form shown now, with a challenge when they
// are on.
func (g *guard) issue() (token string, challenge bool) {
	t := ticket{issued: g.now()}
	randomBytes(t.id[:])
	if g.challenge.Load() {
		r := randomBytes(make([]byte, challengeDigits))
		for i := range r {
			r[i] %= 10 // 256 % 10 != 0: a slight bias, no matter for a picture
		}
		t.digits = r
	}
	b := binary.BigEndian.AppendUint64(nil, uint64(t.issued.UnixMilli()))
	b = append(b, t.id[:]...)
	b = append(b, t.digits...)
	return g.seal(b), len(t.digits) > 0
}

// read opens a token; ok is false for one this server did not make.
func (g *guard) read(token string) (ticket, bool) {
	if len(token) > 200 {
		return ticket{}, false
	}
	b, ok := g.open(token)
	if !ok || len(b) < 16 || len(b) > 16+challengeDigits {
		return ticket{}, false
	}
	t := ticket{issued: time.UnixMilli(int64(binary.BigEndian.Uint64(b)))}
	copy(t.id[:], b[8:16])
	t.digits = b[16:]
	for _, d := range t.digits {
		if d > 9 {
			return ticket{}, false
		}
	}
	return t, true
}

// formID is the record id of the web submission the form of token makes:
// the same for every sending of that form, through any process of the
// server (they share the secret) and after a restart, which no one without
// the secret can make. A version 7 UUID, as every record's, whose time is
// when the form was shown (ids still sort as the forms came) and whose
// other bits are the token's.
func (g *guard) formID(token string) string {
	var id uuid.UUID
	copy(id[6:], g.derive("submission:", token))
	t, _ := g.read(token)
	ms := uint64(t.issued.UnixMilli())
	for i := range 6 {
		id[i] = byte(ms >> (40 - 8*i))
	}
	id[6] = id[6]&0x0f | 0x70 // version 7
	id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
	return id.String()
}

// formCode is the first tracking code tried for the form of token: like
// formID, the same for every sending of that form.
func (g *guard) formCode(token string) string {
	seed, more := g.derive("code:", token), false
	return trackingCode(func(buf []byte) {
		if more { // past the first 32 bytes, which the code rarely needs
			seed = g.derive("more:", string(seed))
		}
		more = true
		copy(buf, seed)
	})
}

// spend marks a token used; false when it was used already.
func (g *guard) spend(token string) bool {
	sum := sha256.Sum256([]byte(token))
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.used) > 10000 {
		for k, until := range g.used {
			if now.After(until) {
				delete(g.used, k)
			}
		}
	}
	if _, ok := g.used[sum]; ok {
		return false
	}
	g.used[sum] = now.Add(g.cfg.MaxAge)
	return true
}

func sentKey(token string) [32]byte { return sha256.Sum256([]byte("sent:" + token)) }

// sending claims the form of token for one submission: first is true for
// the sending that must make it (and then call finish); another gets the
// first's, to wait for.
func (g *guard) sending(token string) (s *sent, first bool) {
	key, now := sentKey(token), g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.sent) > 10000 {
		for k, old := range g.sent {
			if now.After(old.until) {
				delete(g.sent, k)
			}
		}
	}
	if s, ok := g.sent[key]; ok {
		return s, false
	}
	s = &sent{until: now.Add(g.cfg.MaxAge), done: make(chan struct{})}
	g.sent[key] = s
	return s, true
}

// finish ends the first sending of token's form with the code it made ("":
// none, and the form may be sent again).
func (g *guard) finish(token string, s *sent, code string) {
	g.mu.Lock()
	s.code = code
	if code == "" {
		delete(g.sent, sentKey(token))
	}
	g.mu.Unlock()
	close(s.done)
}

// Why the guard turned a submission back.
var (
	errExpired   = errors.New("the form's token is missing, not ours or expired")
	errTooFast   = errors.New("sent faster than a person fills the form")
	errChallenge = errors.New("the challenge's digits did not match")
)

// check judges a posted form's token and challenge answer.
func (g *guard) check(token, answer string) error {
	t, ok := g.read(token)
	age := g.now().Sub(t.issued)
	switch {
	case !ok || age > g.cfg.MaxAge || age < -time.Minute:
		return errExpired
	case age < g.cfg.MinFill:
		return errTooFast
	}
	if !g.challenge.Load() {
		return nil // and a form shown while it was on is taken as it is
	}
	if len(t.digits) == 0 {
		return errChallenge // a form shown before the challenge was switched on
	}
	if !g.spend(token) {
		return errExpired
	}
	want := make([]byte, len(t.digits))
	for i, d := range t.digits {
		want[i] = '0' + d
	}
	got := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		if r >= '０' && r <= '９' { // full-width digits, as some phone keyboards type them
			return '0' + (r - '０')
		}
		return -1
	}, answer)
	if got != string(want) {
		return errChallenge
	}
	return nil
}

// clientAddr is the address a request came from (see TrustProxy).
func (g *guard) clientAddr(r *http.Request) net.IP {
	if g.cfg.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return net.ParseIP(host)
}

// network is the network an address belongs to: its /24 (IPv4) or /48
// (IPv6).
func network(ip net.IP) string {
	if ip == nil {
		return "unknown"
	}
	if v4 := ip.To4(); v4 != nil {
		return v4.Mask(net.CIDRMask(24, 32)).String() + "/24"
	}
	return ip.Mask(net.CIDRMask(48, 128)).String() + "/48"
}

// allow takes one submission from r's address and network; when either is
// spent it says how long to wait.
func (g *guard) allow(r *http.Request) (bool, time.Duration) {
	ip := g.clientAddr(r)
	now := g.now()
	if ok, wait := g.addr.Allow("a:"+ip.String(), now); !ok {
		return false, wait
	}
	return g.net.Allow("n:"+network(ip), now)
}

// tokenID names a token for the challenge's picture (its randomness).
func tokenID(t ticket) string { return hex.EncodeToString(t.id[:]) }
