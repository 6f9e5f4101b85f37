package badgerstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/kenesh/kenesh/internal/badgerdb"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

var _ store.Exporter = (*Store)(nil)

// Export implements store.Exporter: every key space, from one snapshot.
// What is derived and kept only to be read fast (the judgements of
// accepted operations, the lists of web submissions by appeal, the
// councils' waiting counts, the owners' chunk usage) is not given: the
// items it is derived from are.
func (s *Store) Export(ctx context.Context, fn func(store.Item) error) error {
	return s.statesView(ctx, func(x *txn) error {
		if err := x.exportMeta(fn); err != nil {
			return err
		}
		scan := func(space string, each func(k, v []byte) error) error {
			return badgerdb.Scan(ctx, x.t, []byte(space), func(k, v []byte) error {
				return each(k[len(space):], v)
			})
		}
		steps := []struct {
			space string
			each  func(k, v []byte) error
		}{
			{spaceDevice, func(_, v []byte) error {
				var r deviceRec
				if err := json.Unmarshal(v, &r); err != nil {
					return fmt.Errorf("damaged device: %w", err)
				}
				d := r.Device
				d.TokenHash, d.Acked, d.LastSeen = bytes.Clone(r.TokenHash), 0, nil
				b, ok, err := x.get(seenKey(d.ID))
				if err != nil {
					return err
				}
				if ok {
					t := time.UnixMilli(int64(u64(b))).UTC()
					d.LastSeen = &t
				}
				return fn(store.Item{Device: &d})
			}},
			{spaceToken, func(k, v []byte) error {
				if len(k) != 32 {
					return fmt.Errorf("damaged token key %x", k)
				}
				return fn(store.Item{Token: &store.TokenItem{Sum: [32]byte(k), Device: string(v)}})
			}},
			{spaceCode, func(k, v []byte) error {
				var c store.Code
				if len(k) != 32 {
					return fmt.Errorf("damaged code key %x", k)
				}
				if err := json.Unmarshal(v, &c); err != nil {
					return fmt.Errorf("damaged enrollment code: %w", err)
				}
				return fn(store.Item{Code: &store.CodeItem{Sum: [32]byte(k), Code: c}})
			}},
			{spaceAcked, func(k, v []byte) error {
				return fn(store.Item{Acked: &store.AckedItem{Device: string(k), Seq: u64(v)}})
			}},
			{spaceRefused, func(k, v []byte) error {
				dev, seq, err := splitSeq(k)
				if err != nil {
					return fmt.Errorf("refusal: %w", err)
				}
				var r refusedRec
				if err := json.Unmarshal(v, &r); err != nil {
					return fmt.Errorf("damaged refusal %s/%d: %w", dev, seq, err)
				}
				out := store.Refusal{Device: dev, Seq: seq, Code: r.Code, Message: r.Message, Op: bytes.Clone(r.Op), At: r.At}
				j, err := x.Judgement(dev, seq)
				if err != nil {
					return err
				}
				if j != nil {
					out.HLC, out.Kind, out.Record = j.HLC, j.Kind, j.Record
				}
				return fn(store.Item{Refusal: &out})
			}},
			{spaceState, func(k, v []byte) error {
				st, err := changeset.DecodeState(bytes.Clone(v))
				if err != nil {
					return fmt.Errorf("state %s: %w", k, err)
				}
				return fn(store.Item{State: st})
			}},
			{spaceConflict, func(k, v []byte) error {
				var c changeset.Conflict
				if err := json.Unmarshal(v, &c); err != nil {
					return fmt.Errorf("damaged conflict: %w", err)
				}
				return fn(store.Item{Conflict: &c})
			}},
			{spacePublicAppeal, func(k, v []byte) error {
				var p store.PublicAppeal
				if err := json.Unmarshal(v, &p); err != nil {
					return fmt.Errorf("damaged public appeal %s: %w", k, err)
				}
				return fn(store.Item{PublicAppeal: &p})
			}},
			{spacePublicCouncil, func(k, v []byte) error {
				var c store.PublicCouncil
				if err := json.Unmarshal(v, &c); err != nil {
					return fmt.Errorf("damaged public council %s: %w", k, err)
				}
				return fn(store.Item{PublicCouncil: &c})
			}},
			{spacePublicWinners, func(k, v []byte) error {
				var c store.PublicCompetition
				if err := json.Unmarshal(v, &c); err != nil {
					return fmt.Errorf("damaged public competition %s: %w", k, err)
				}
				return fn(store.Item{PublicCompetition: &c})
			}},
			{spaceTrack, func(k, v []byte) error {
				var t store.Tracking
				if err := json.Unmarshal(v, &t); err != nil {
					return fmt.Errorf("damaged tracking %s: %w", k, err)
				}
				return fn(store.Item{Tracking: &t})
			}},
			{spaceTrackCode, func(k, v []byte) error {
				if len(k) != 32 {
					return fmt.Errorf("damaged tracking code key %x", k)
				}
				return fn(store.Item{TrackingCode: &store.TrackingCodeItem{Sum: [32]byte(k), Submission: string(v)}})
			}},
			{spaceChunk, func(k, v []byte) error {
				if len(k) < 34 || k[len(k)-33] != ':' {
					return fmt.Errorf("damaged chunk key %x", k)
				}
				owner := string(k[:len(k)-33])
				return fn(store.Item{Chunk: &store.ChunkItem{Owner: owner, Sum: [32]byte(k[len(k)-32:]), Size: int64(u64(v))}})
			}},
		}
		for _, step := range steps {
			if err := scan(step.space, step.each); err != nil {
				return err
			}
		}
		return x.exportLog(ctx, fn)
	})
}

func (x *txn) exportMeta(fn func(store.Item) error) error {
	var m store.Meta
	for _, f := range []struct {
		name string
		to   *string
	}{{metaServerID, &m.Identity.ServerID}, {metaServerDevice, &m.Identity.Device}} {
		b, _, err := x.get(metaKey(f.name))
		if err != nil {
			return err
		}
		*f.to = string(b)
	}
	var err error
	if m.Head, err = x.metaUint(metaHead); err != nil {
		return err
	}
	clock, err := x.metaUint(metaClock)
	if err != nil {
		return err
	}
	m.Clock = hlc.Timestamp(clock)
	if m.Public, err = x.publicVersion(); err != nil {
		return err
	}
	rule, err := x.metaUint(metaPublicRule)
	if err != nil {
		return err
	}
	m.PublicRule = int(rule)
	return fn(store.Item{Meta: &m})
}

// exportLog gives the log in server order, each operation with the pull
// index its G: or I: entry says (none: central staff only).
func (x *txn) exportLog(ctx context.Context, fn func(store.Item) error) error {
	index := map[uint64]store.Index{}
	var entries []ixEntry
	readIndex := func(prefix string, council func(rest []byte) (string, uint64, error)) error {
		return badgerdb.Scan(ctx, x.t, []byte(prefix), func(k, v []byte) error {
			c, last, err := council(k[len(prefix):])
			if err != nil {
				return fmt.Errorf("pull index: %w", err)
			}
			if entries, err = decodeIndex(last, v, entries[:0]); err != nil {
				return err
			}
			for _, e := range entries {
				index[e.seq] = store.Index{Global: c == "", Council: c}
			}
			return nil
		})
	}
	if err := readIndex(spaceGlobalIx, func(rest []byte) (string, uint64, error) { return "", u64(rest), nil }); err != nil {
		return err
	}
	if err := readIndex(spacePullIx, splitSeq); err != nil {
		return err
	}
	it := x.t.NewIterator(badger.IteratorOptions{Prefix: []byte(spaceLogBatch), PrefetchValues: true, PrefetchSize: 4})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		b, err := logBatchOf(it.Item())
		if err != nil {
			return err
		}
		for seq := b.first; seq <= b.last; seq++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			op, err := changeset.DecodeOp(b.item(seq))
			if err != nil {
				return fmt.Errorf("log entry %d: %w", seq, err)
			}
			if err := fn(store.Item{Op: &store.OpItem{Seq: seq, Op: op, Index: index[seq]}}); err != nil {
				return err
			}
		}
	}
	return nil
}

// splitSeq splits NAME:SEQ (8 bytes) into its parts.
func splitSeq(k []byte) (string, uint64, error) {
	if len(k) < 10 || k[len(k)-9] != ':' {
		return "", 0, fmt.Errorf("damaged key %q", k)
	}
	return string(k[:len(k)-9]), u64(k[len(k)-8:]), nil
}
