package badgerstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// deviceRec is a device as stored: with its token's hash, without what is
// kept under keys of its own (acked, last seen).
type deviceRec struct {
	store.Device
	TokenHash []byte `json:"token_hash,omitempty"`
}

// View implements store.Directory.
func (s *Store) View(ctx context.Context, fn func(store.DirTx) error) error {
	return s.view(ctx, func(x *txn) error { return fn(x) })
}

// Update implements store.Directory.
func (s *Store) Update(ctx context.Context, fn func(store.DirTx) error) error {
	return s.update(ctx, func(x *txn) error { return fn(x) })
}

// Device implements store.DirTx.
func (x *txn) Device(id string) (*store.Device, error) {
	if !validPart(id) {
		return nil, nil
	}
	var r deviceRec
	ok, err := x.getJSON(deviceKey(id), &r)
	if !ok || err != nil {
		return nil, err
	}
	d := r.Device
	d.TokenHash = r.TokenHash
	return &d, nil
}

// PutDevice implements store.DirTx.
func (x *txn) PutDevice(d *store.Device) error {
	if !validPart(d.ID) {
		return fmt.Errorf("device id %q: not a valid name", d.ID)
	}
	r := deviceRec{Device: *d, TokenHash: d.TokenHash}
	r.Acked, r.LastSeen = 0, nil
	return x.setJSON(deviceKey(d.ID), r)
}

// SetToken implements store.DirTx.
func (x *txn) SetToken(d *store.Device, sum [32]byte) error {
	if len(d.TokenHash) == 32 {
		x.dir = true
		if err := x.t.Delete(tokenKey([32]byte(d.TokenHash))); err != nil {
			return err
		}
	}
	d.TokenHash = sum[:]
	return x.set(tokenKey(sum), []byte(d.ID))
}

// TokenDevice implements store.DirTx.
func (x *txn) TokenDevice(sum [32]byte) (string, error) {
	b, _, err := x.get(tokenKey(sum))
	return string(b), err
}

// Code implements store.DirTx.
func (x *txn) Code(sum [32]byte) (*store.Code, error) {
	var c store.Code
	ok, err := x.getJSON(codeKey(sum), &c)
	if !ok || err != nil {
		return nil, err
	}
	return &c, nil
}

// PutCode implements store.DirTx.
func (x *txn) PutCode(sum [32]byte, c *store.Code) error { return x.setJSON(codeKey(sum), c) }

// Authored implements store.DirTx.
func (x *txn) Authored(id string) (bool, error) {
	if !validPart(id) {
		return false, nil
	}
	if _, ok, err := x.get(ackedKey(id)); ok || err != nil {
		return ok, err
	}
	it := x.t.NewIterator(badger.IteratorOptions{Prefix: []byte(judgedPrefix(id)), PrefetchValues: false})
	defer it.Close()
	it.Rewind()
	return it.Valid(), nil
}

// DeviceByToken implements store.Directory: from the store's token cache
// (store.TokenCache) while no device or token was written since it was
// read. Each of 500 laptops' syncs read the token's key and the device's
// record and decoded its JSON in a Badger View of its own (one of a sync's
// three; their read timestamps queue on Badger's oracle when hundreds run
// at once: BENCHMARKS.md, load8). Badger's directory is one process's (it
// is locked), so every write of a device or a token is this store's,
// through txn.set or SetToken's delete: the transaction notes it
// (txn.dir), and once it is over updateFreeing makes the cache forget, so
// a revoked device or a replaced token is seen by every authentication
// that starts once the revoking Update has returned.
func (s *Store) DeviceByToken(ctx context.Context, sum [32]byte) (*store.Device, error) {
	d, gen := s.tokens.Get(sum)
	if d != nil {
		return d, nil
	}
	err := s.view(ctx, func(x *txn) error {
		id, err := x.TokenDevice(sum)
		if err != nil || id == "" {
			return err
		}
		d, err = x.Device(id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	if d == nil {
		return nil, ErrNotFound
	}
	s.tokens.Put(sum, gen, d)
	return d, nil
}

// Devices implements store.Directory.
func (s *Store) Devices(ctx context.Context) ([]store.Device, error) {
	out := []store.Device{}
	err := s.view(ctx, func(x *txn) error {
		it := x.t.NewIterator(badger.IteratorOptions{Prefix: []byte(spaceDevice), PrefetchValues: true})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			var r deviceRec
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &r) }); err != nil {
				return fmt.Errorf("damaged device: %w", err)
			}
			d := r.Device
			var err error
			if d.Acked, err = x.Acked(d.ID); err != nil {
				return err
			}
			b, ok, err := x.get(seenKey(d.ID))
			if err != nil {
				return err
			}
			if ok {
				t := time.UnixMilli(int64(u64(b))).UTC()
				d.LastSeen = &t
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	slices.SortFunc(out, func(a, b store.Device) int {
		if c := a.Enrolled.Compare(b.Enrolled); c != 0 {
			return c
		}
		return bytes.Compare([]byte(a.ID), []byte(b.ID))
	})
	return out, nil
}

// CountDevices implements store.Directory.
func (s *Store) CountDevices(ctx context.Context) (active, revoked int, err error) {
	err = s.scan(ctx, []byte(spaceDevice), func(_, v []byte) error {
		var r deviceRec
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		if r.Revoked {
			revoked++
		} else {
			active++
		}
		return nil
	})
	return active, revoked, err
}

// SetSeen implements store.Directory.
func (s *Store) SetSeen(ctx context.Context, seen map[string]time.Time) error {
	if len(seen) == 0 {
		return nil
	}
	return s.update(ctx, func(x *txn) error {
		for id, t := range seen {
			if !validPart(id) {
				continue
			}
			if err := x.set(seenKey(id), be(uint64(t.UnixMilli()))); err != nil {
				return err
			}
		}
		return nil
	})
}
