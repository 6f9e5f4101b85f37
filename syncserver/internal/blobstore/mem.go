package blobstore

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Mem keeps blobs in memory: a real engine of the contract for tests (as
// restic's mem backend), lost when the process ends.
type Mem struct {
	mu    sync.RWMutex
	blobs map[string][]byte
}

// NewMem returns an empty in-memory store.
func NewMem() *Mem { return &Mem{blobs: map[string][]byte{}} }

var _ Store = (*Mem)(nil)

func (m *Mem) Put(ctx context.Context, key string, data []byte) error {
	if err := checkPut(ctx, key, data); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.blobs[key] = slices.Clone(data)
	return nil
}

func (m *Mem) PutBatch(ctx context.Context, blobs []Blob) error {
	if err := checkBatch(ctx, blobs); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range blobs {
		m.blobs[b.Key] = slices.Clone(b.Data)
	}
	return nil
}

func (m *Mem) Get(ctx context.Context, key string) ([]byte, error) {
	if err := checkKey(ctx, "get", key); err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, ok := m.blobs[key]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", key, ErrNotFound)
	}
	return slices.Clone(b), nil
}

func (m *Mem) Stat(ctx context.Context, key string) (int64, error) {
	if err := checkKey(ctx, "stat", key); err != nil {
		return 0, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	b, ok := m.blobs[key]
	if !ok {
		return 0, fmt.Errorf("stat %s: %w", key, ErrNotFound)
	}
	return int64(len(b)), nil
}

func (m *Mem) Delete(ctx context.Context, key string) error {
	if err := checkKey(ctx, "delete", key); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.blobs, key)
	return nil
}

func (m *Mem) List(ctx context.Context, prefix string, fn func(key string, size int64) error) error {
	m.mu.RLock()
	type kv struct {
		k string
		n int64
	}
	var all []kv
	for k, b := range m.blobs {
		if strings.HasPrefix(k, prefix) {
			all = append(all, kv{k, int64(len(b))})
		}
	}
	m.mu.RUnlock()
	sort.Slice(all, func(i, j int) bool { return all[i].k < all[j].k })
	for _, e := range all {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(e.k, e.n); err != nil {
			return err
		}
	}
	return nil
}

func (m *Mem) Close() error { return nil }
