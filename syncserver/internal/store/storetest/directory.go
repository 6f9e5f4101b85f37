package storetest

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// The identity is made once: every call, and every call after a restart,
// gives the same.
func testIdentity(t *testing.T, h *handle) {
	id, err := h.st.Identity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !domain.ValidID(id.ServerID) || !domain.ValidID(id.Device) || id.ServerID == id.Device {
		t.Fatalf("identity %+v: want two different UUIDs", id)
	}
	again, err := h.st.Identity(ctx)
	if err != nil || again != id {
		t.Fatalf("second call: %+v, %v; want %+v", again, err, id)
	}
	if h.reopen() {
		if again, err := h.st.Identity(ctx); err != nil || again != id {
			t.Fatalf("after reopening: %+v, %v; want %+v", again, err, id)
		}
	}
}

func sum(s string) [32]byte { return sha256.Sum256([]byte(s)) }

func putDevice(t testing.TB, st store.Store, d *store.Device, token string) {
	t.Helper()
	err := st.Update(ctx, func(x store.DirTx) error {
		if token != "" {
			if err := x.SetToken(d, sum(token)); err != nil {
				return err
			}
		}
		return x.PutDevice(d)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Devices are kept as written, listed in enrollment order with their
// acknowledgement, and unknown ones are nil or ErrNotFound.
func testDevices(t *testing.T, h *handle) {
	st := h.st
	t0 := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	a := &store.Device{ID: domain.NewID(), Name: "Ат-Башы ноутбугу", DeviceName: "ноутбук", Council: "NRN-ATB", Role: "secretary", Enrolled: t0.Add(time.Hour)}
	b := &store.Device{ID: domain.NewID(), Name: "Борбор", Role: "central", Enrolled: t0}
	c := &store.Device{ID: domain.NewID(), Name: "Ара", Council: "OSH-ARA", Role: "secretary", Enrolled: t0.Add(time.Hour)}
	for _, d := range []*store.Device{a, b, c} {
		putDevice(t, st, d, "token-"+d.ID)
	}
	err := st.View(ctx, func(x store.DirTx) error {
		got, err := x.Device(a.ID)
		if err != nil {
			return err
		}
		if got == nil || got.Name != a.Name || got.DeviceName != a.DeviceName || got.Council != a.Council || got.Role != a.Role || !got.Enrolled.Equal(a.Enrolled) {
			t.Errorf("device read back: %+v, want %+v", got, a)
		}
		if got, err := x.Device(domain.NewID()); err != nil || got != nil {
			t.Errorf("an unknown device: %+v, %v", got, err)
		}
		if got, err := x.Device("a:b"); err != nil || got != nil {
			t.Errorf("an invalid id: %+v, %v", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	accept(t, st, byCouncil, newOp(a.ID, 1, "appeal", domain.NewID(), "NRN-ATB", "x"), newOp(a.ID, 2, "appeal", domain.NewID(), "NRN-ATB", "y"))
	ds, err := st.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{b.ID, a.ID, c.ID}
	if a.ID > c.ID {
		want[1], want[2] = c.ID, a.ID
	}
	if len(ds) != 3 || ds[0].ID != want[0] || ds[1].ID != want[1] || ds[2].ID != want[2] {
		t.Fatalf("devices in the order %v, want %v (enrollment time, then id)", devIDs(ds), want)
	}
	for _, d := range ds {
		if d.ID == a.ID && d.Acked != 2 {
			t.Errorf("device %s listed with acked %d, want 2", d.ID, d.Acked)
		}
	}
}

func devIDs(ds []store.Device) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

// A token finds its device; a new token unbinds the old one at once.
func testTokens(t *testing.T, h *handle) {
	st := h.st
	d := &store.Device{ID: domain.NewID(), Name: "ноутбук", Role: "secretary", Council: "NRN-ATB", Enrolled: time.Now().UTC()}
	putDevice(t, st, d, "first")
	got, err := st.DeviceByToken(ctx, sum("first"))
	if err != nil || got.ID != d.ID {
		t.Fatalf("by its token: %+v, %v", got, err)
	}
	if _, err := st.DeviceByToken(ctx, sum("nobody's")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an unknown token: %v, want ErrNotFound", err)
	}
	// Re-enrolled: the device as stored carries the hash of its token,
	// which SetToken replaces.
	err = st.Update(ctx, func(x store.DirTx) error {
		cur, err := x.Device(d.ID)
		if err != nil {
			return err
		}
		if err := x.SetToken(cur, sum("second")); err != nil {
			return err
		}
		return x.PutDevice(cur)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DeviceByToken(ctx, sum("first")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the replaced token still works: %v", err)
	}
	if got, err := st.DeviceByToken(ctx, sum("second")); err != nil || got.ID != d.ID {
		t.Fatalf("the new token: %+v, %v", got, err)
	}
	err = st.View(ctx, func(x store.DirTx) error {
		id, err := x.TokenDevice(sum("second"))
		if err != nil || id != d.ID {
			t.Errorf("TokenDevice: %q, %v", id, err)
		}
		id, err = x.TokenDevice(sum("first"))
		if err != nil || id != "" {
			t.Errorf("TokenDevice of the replaced token: %q, %v", id, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Codes are kept by hash, as written; an unknown hash is nil.
func testCodes(t *testing.T, h *handle) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	c := &store.Code{Council: "NRN-ATB", Role: "secretary", Name: "Ат-Башы", Created: now, Expires: now.Add(72 * time.Hour)}
	if err := h.st.Update(ctx, func(x store.DirTx) error { return x.PutCode(sum("K7QH"), c) }); err != nil {
		t.Fatal(err)
	}
	used := now.Add(time.Hour)
	err := h.st.Update(ctx, func(x store.DirTx) error {
		got, err := x.Code(sum("K7QH"))
		if err != nil {
			return err
		}
		if got == nil || got.Name != c.Name || got.Role != c.Role || !got.Expires.Equal(c.Expires) || got.UsedAt != nil {
			t.Errorf("code read back: %+v", got)
		}
		if other, err := x.Code(sum("OTHER")); err != nil || other != nil {
			t.Errorf("an unknown code: %+v, %v", other, err)
		}
		got.UsedBy, got.UsedAt = "dev", &used
		return x.PutCode(sum("K7QH"), got)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = h.st.View(ctx, func(x store.DirTx) error {
		got, err := x.Code(sum("K7QH"))
		if err == nil && (got.UsedAt == nil || !got.UsedAt.Equal(used) || got.UsedBy != "dev") {
			t.Errorf("a used code: %+v", got)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

var errStop = errors.New("storetest: stop")

// A directory transaction whose function fails writes nothing, and its
// error comes back as it is.
func testDirectoryAtomic(t *testing.T, h *handle) {
	d := &store.Device{ID: domain.NewID(), Name: "n", Role: "central", Enrolled: time.Now().UTC()}
	err := h.st.Update(ctx, func(x store.DirTx) error {
		if err := x.SetToken(d, sum("tok")); err != nil {
			return err
		}
		if err := x.PutDevice(d); err != nil {
			return err
		}
		if err := x.PutCode(sum("code"), &store.Code{Role: "central", Name: "n"}); err != nil {
			return err
		}
		return errStop
	})
	if !errors.Is(err, errStop) {
		t.Fatalf("Update returned %v, want the function's error", err)
	}
	if _, err := h.st.DeviceByToken(ctx, sum("tok")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a token of a failed transaction: %v", err)
	}
	err = h.st.View(ctx, func(x store.DirTx) error {
		if got, err := x.Device(d.ID); got != nil || err != nil {
			t.Errorf("a device of a failed transaction: %+v, %v", got, err)
		}
		if got, err := x.Code(sum("code")); got != nil || err != nil {
			t.Errorf("a code of a failed transaction: %+v, %v", got, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Last-seen times are kept; devices are counted by state.
func testSeenAndCounts(t *testing.T, h *handle) {
	st := h.st
	now := time.Date(2026, 12, 3, 9, 30, 15, 123e6, time.UTC)
	active := &store.Device{ID: domain.NewID(), Name: "a", Role: "secretary", Council: "NRN-ATB", Enrolled: now}
	revoked := &store.Device{ID: domain.NewID(), Name: "r", Role: "secretary", Council: "NRN-ATB", Enrolled: now, Revoked: true, RevokedAt: &now}
	putDevice(t, st, active, "")
	putDevice(t, st, revoked, "")
	if a, r, err := st.CountDevices(ctx); err != nil || a != 1 || r != 1 {
		t.Fatalf("counted %d active and %d revoked (%v), want 1 and 1", a, r, err)
	}
	if err := st.SetSeen(ctx, map[string]time.Time{active.ID: now}); err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Minute)
	if err := st.SetSeen(ctx, map[string]time.Time{active.ID: later, "a:b": later}); err != nil {
		t.Fatal(err)
	}
	ds, err := st.Devices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		switch d.ID {
		case active.ID:
			if d.LastSeen == nil || !d.LastSeen.Equal(later) {
				t.Errorf("last seen %v, want %v", d.LastSeen, later)
			}
		case revoked.ID:
			if d.LastSeen != nil || !d.Revoked || d.RevokedAt == nil {
				t.Errorf("the revoked device: %+v", d)
			}
		}
	}
}
