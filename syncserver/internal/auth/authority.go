package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// ErrInput marks a request an administrator must correct (unknown
// council, bad role, ...).
var ErrInput = errors.New("invalid input")

// Enrollment code lifetimes.
const (
	DefaultCodeTTL = 72 * time.Hour
	MaxCodeTTL     = 30 * 24 * time.Hour
	maxName        = 200
)

// Authority enrolls, authenticates and revokes devices.
type Authority struct {
	st  store.Store
	now func() time.Time

	mu       sync.Mutex
	reserved map[string]bool // device ids no laptop may have (the server's own)
}

// Reserve keeps device id from every laptop: no code enrolls it and no
// token of it is accepted. The server reserves the id of its own
// operations: a laptop writing under it would be served as the server.
func (a *Authority) Reserve(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.reserved == nil {
		a.reserved = map[string]bool{}
	}
	a.reserved[id] = true
}

func (a *Authority) isReserved(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reserved[id]
}

// New returns an authority over st; now is time.Now when nil.
func New(st store.Store, now func() time.Time) *Authority {
	if now == nil {
		now = time.Now
	}
	return &Authority{st: st, now: now}
}

// IssueRequest asks for an enrollment code.
type IssueRequest struct {
	// Device, if set, is the enrolled device the code re-binds (a laptop
	// reinstalled or whose token was lost); role, council and name default
	// to the device's. Without it the code enrolls a new device only.
	Device  string        `json:"device,omitempty"`
	Council string        `json:"council,omitempty"`
	Role    string        `json:"role"`
	Name    string        `json:"name"`
	TTL     time.Duration `json:"ttl,omitempty"` // 0: DefaultCodeTTL
}

// Issued is a new enrollment code: shown once, only its hash is kept.
type Issued struct {
	Code    string    `json:"code"`
	Device  string    `json:"device,omitempty"`
	Council string    `json:"council,omitempty"`
	Role    string    `json:"role"`
	Name    string    `json:"name"`
	Expires time.Time `json:"expires"`
}

func inputErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInput, fmt.Sprintf(format, a...))
}

// Issue makes a one-time enrollment code for a device of role in council.
func (a *Authority) Issue(ctx context.Context, req IssueRequest) (*Issued, error) {
	if req.Device != "" {
		if err := a.forDevice(ctx, &req); err != nil {
			return nil, err
		}
	}
	req.Name = strings.TrimSpace(req.Name)
	switch {
	case !slices.Contains(domain.Roles, req.Role):
		return nil, inputErr("role %q: want one of %s", req.Role, strings.Join(domain.Roles, ", "))
	case req.Name == "" || utf8.RuneCountInString(req.Name) > maxName || !utf8.ValidString(req.Name):
		return nil, inputErr("name: give who or which laptop the code is for (at most %d characters)", maxName)
	case req.Role == domain.RoleSecretary && req.Council == "":
		return nil, inputErr("a secretary's laptop belongs to a council: give --council CODE")
	case req.TTL < 0 || req.TTL > MaxCodeTTL:
		return nil, inputErr("ttl %s: at most %s", req.TTL, MaxCodeTTL)
	}
	if req.TTL == 0 {
		req.TTL = DefaultCodeTTL
	}
	if req.Council != "" {
		if err := CouncilExists(ctx, a.st, req.Council); err != nil {
			return nil, err
		}
	}
	code := NewCode()
	now := a.now().UTC()
	c := &store.Code{Device: req.Device, Council: req.Council, Role: req.Role, Name: req.Name, Created: now, Expires: now.Add(req.TTL)}
	err := a.st.Update(ctx, func(x store.DirTx) error { return x.PutCode(HashCode(code), c) })
	if err != nil {
		return nil, fmt.Errorf("save enrollment code: %w", err)
	}
	return &Issued{Code: code, Device: c.Device, Council: c.Council, Role: c.Role, Name: c.Name, Expires: c.Expires}, nil
}

// forDevice checks a re-enrollment request and fills in what it leaves
// out from the device it names.
func (a *Authority) forDevice(ctx context.Context, req *IssueRequest) error {
	var d *store.Device
	err := a.st.View(ctx, func(x store.DirTx) (err error) { d, err = x.Device(req.Device); return err })
	switch {
	case err != nil:
		return err
	case d == nil:
		return inputErr("no enrolled device %q (see admin devices; a new laptop needs a code without --device)", req.Device)
	case d.Revoked:
		return inputErr("device %s (%s) was revoked and cannot enroll again", d.ID, d.Name)
	}
	if req.Role == "" {
		req.Role, req.Council = d.Role, d.Council
	}
	if req.Name == "" {
		req.Name = d.Name
	}
	return nil
}

// CouncilExists returns nil when the server holds council code (and it is
// not deleted), else an ErrInput error saying how to add it.
func CouncilExists(ctx context.Context, st store.States, code string) error {
	s, err := st.State(ctx, domain.KindCouncil, code)
	if errors.Is(err, store.ErrNotFound) || (err == nil && s.Deleted()) {
		return inputErr("council %q does not exist on this server (add it first: admin council add --code %s ...)", code, code)
	}
	return err
}

// Enrolled is a device bound by Enroll, and its token (given once).
type Enrolled struct {
	Device *store.Device
	Token  string
}

func protoErr(code syncproto.Code, format string, a ...any) error {
	return &syncproto.Error{Code: code, Message: fmt.Sprintf(format, a...)}
}

// Enroll exchanges a one-time code for a device token. A new device's id
// must be new to the server: not reserved, and without operations on the
// server. A device enrolled before (a reinstalled laptop keeping its id)
// is re-bound only by a code issued for it (IssueRequest.Device): it gets
// a new token and the code's council and role, and keeps its acknowledged
// operations; any other code is refused, so no code can take over another
// laptop's id (ids are in every pulled operation). A revoked device is
// refused. Errors are *syncproto.Error.
func (a *Authority) Enroll(ctx context.Context, req syncproto.EnrollRequest) (*Enrolled, error) {
	if err := syncproto.CheckProto(req.Proto); err != nil {
		return nil, err
	}
	if !domain.ValidID(req.DeviceID) {
		return nil, protoErr(syncproto.CodeInvalid, "device_id %q is not a UUID", trunc(req.DeviceID))
	}
	name := strings.TrimSpace(req.DeviceName)
	if utf8.RuneCountInString(name) > maxName || !utf8.ValidString(name) || strings.ContainsRune(name, 0) {
		return nil, protoErr(syncproto.CodeInvalid, "device_name: at most %d characters of valid text", maxName)
	}
	if a.isReserved(req.DeviceID) {
		return nil, protoErr(syncproto.CodeForbidden, "device id %s is reserved for the server's own changes: a laptop cannot have it", req.DeviceID)
	}
	if NormalizeCode(req.Code) == "" {
		return nil, protoErr(syncproto.CodeBadCode, "no enrollment code given")
	}
	sum := HashCode(req.Code)
	tok, tsum := NewToken()
	now := a.now().UTC()
	var out *store.Device
	err := a.st.Update(ctx, func(x store.DirTx) error {
		c, err := x.Code(sum)
		switch {
		case err != nil:
			return err
		case c == nil:
			return protoErr(syncproto.CodeBadCode, "the enrollment code is unknown: check it, or ask the administrator for a new one")
		case c.UsedAt != nil:
			return protoErr(syncproto.CodeBadCode, "the enrollment code was already used (%s): ask the administrator for a new one", c.UsedAt.Format(time.RFC3339))
		case !now.Before(c.Expires):
			return protoErr(syncproto.CodeBadCode, "the enrollment code expired on %s: ask the administrator for a new one", c.Expires.Format(time.RFC3339))
		}
		if c.Device != "" && c.Device != req.DeviceID {
			return protoErr(syncproto.CodeBadCode, "this enrollment code was issued for another laptop: ask the administrator for a code for this one")
		}
		d, err := x.Device(req.DeviceID)
		if err != nil {
			return err
		}
		switch {
		case d != nil && d.Revoked:
			return protoErr(syncproto.CodeRevoked, "this laptop (%s) was revoked by the administrator and cannot enroll again; ask the administrator", d.Name)
		case d != nil && c.Device != d.ID:
			return protoErr(syncproto.CodeForbidden, "a laptop with this id (%s) is already enrolled: to enroll it again, the administrator issues a code for it (admin enroll --device %s)", d.ID, d.ID)
		case d == nil && c.Device != "":
			return protoErr(syncproto.CodeBadCode, "this enrollment code is for a laptop that is no longer enrolled: ask the administrator for a new code")
		case d == nil:
			authored, err := x.Authored(req.DeviceID)
			if err != nil {
				return err
			}
			if authored {
				return protoErr(syncproto.CodeForbidden, "the server holds changes under this laptop's id (%s), but no enrolled laptop has it: ask the administrator", req.DeviceID)
			}
			d = &store.Device{ID: req.DeviceID, Enrolled: now}
		}
		d.Name, d.Council, d.Role, d.DeviceName = c.Name, c.Council, c.Role, name
		if err := x.SetToken(d, tsum); err != nil {
			return err
		}
		if err := x.PutDevice(d); err != nil {
			return err
		}
		c.UsedBy, c.UsedAt = d.ID, &now
		if err := x.PutCode(sum, c); err != nil {
			return err
		}
		out = d
		return nil
	})
	var perr *syncproto.Error
	if errors.As(err, &perr) {
		return nil, perr
	}
	if err != nil {
		return nil, fmt.Errorf("enroll: %w", err)
	}
	return &Enrolled{Device: out, Token: tok}, nil
}

// Authenticate returns the device a bearer token belongs to. Errors are
// *syncproto.Error (unauthorized, revoked) or store failures.
func (a *Authority) Authenticate(ctx context.Context, token string) (*store.Device, error) {
	if token == "" {
		return nil, protoErr(syncproto.CodeUnauthorized, "no device token: enroll this laptop with a code from the administrator")
	}
	d, err := a.st.DeviceByToken(ctx, HashToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, protoErr(syncproto.CodeUnauthorized, "this laptop's token is not known to the server: enroll it again with a code the administrator makes for this laptop (admin enroll --device ID)")
	}
	if err != nil {
		return nil, err
	}
	if a.isReserved(d.ID) {
		return nil, protoErr(syncproto.CodeForbidden, "this token is bound to device id %s, which is reserved for the server's own changes: ask the administrator", d.ID)
	}
	if d.Revoked {
		when := ""
		if d.RevokedAt != nil {
			when = " on " + d.RevokedAt.Format("2006-01-02")
		}
		return nil, protoErr(syncproto.CodeRevoked, "this laptop (%s) was revoked by the administrator%s: it can no longer sync; ask the administrator", d.Name, when)
	}
	return d, nil
}

// Revoke revokes a device: its token stops working at once and it can
// never enroll again. Revoking a revoked device changes nothing.
func (a *Authority) Revoke(ctx context.Context, id string) (*store.Device, error) {
	now := a.now().UTC()
	var out *store.Device
	err := a.st.Update(ctx, func(x store.DirTx) error {
		d, err := x.Device(id)
		if err != nil {
			return err
		}
		if d == nil {
			return inputErr("no device %q (see admin devices)", id)
		}
		out = d
		if d.Revoked {
			return nil
		}
		d.Revoked, d.RevokedAt = true, &now
		return x.PutDevice(d)
	})
	if err != nil {
		return nil, fmt.Errorf("revoke: %w", err)
	}
	return out, nil
}

func trunc(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// Presence remembers when devices last synced, in memory, and writes it
// to the store in batches: a sync costs no extra write.
type Presence struct {
	mu    sync.Mutex
	seen  map[string]time.Time
	dirty map[string]time.Time
}

// NewPresence returns an empty tracker.
func NewPresence() *Presence {
	return &Presence{seen: map[string]time.Time{}, dirty: map[string]time.Time{}}
}

// Touch notes that device id synced at t.
func (p *Presence) Touch(id string, t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen[id] = t
	p.dirty[id] = t
}

// Snapshot returns the last time each device was seen by this process.
func (p *Presence) Snapshot() map[string]time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]time.Time, len(p.seen))
	for k, v := range p.seen {
		out[k] = v
	}
	return out
}

// Flush writes what changed since the last flush.
func (p *Presence) Flush(ctx context.Context, st store.Directory) error {
	p.mu.Lock()
	batch := p.dirty
	p.dirty = map[string]time.Time{}
	p.mu.Unlock()
	if err := st.SetSeen(ctx, batch); err != nil {
		p.mu.Lock()
		for k, v := range batch { // try again next time
			if _, newer := p.dirty[k]; !newer {
				p.dirty[k] = v
			}
		}
		p.mu.Unlock()
		return fmt.Errorf("save last seen: %w", err)
	}
	return nil
}
