package badgerstore

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// opEntry is a judgement as stored, with the JSON names an older store
// wrote it under.
type opEntry struct {
	ServerSeq uint64 `json:"s,omitempty"` // 0 when refused
	HLC       uint64 `json:"t"`
	Kind      string `json:"k"`
	Record    string `json:"r"`
	Code      string `json:"x,omitempty"` // refusal code
	Message   string `json:"m,omitempty"` // refusal message
}

// One opEntry is written for every operation a device pushes, so it is
// kept small and cheap to write: a version byte (JSON, from an older store,
// begins with '{'), then the server seq, clock, kind and record, and the
// refusal code and message when there is one, as varints and
// length-prefixed strings.
const opEntryV1 = 0x01

func (e opEntry) appendBinary(b []byte) []byte {
	b = append(b, opEntryV1)
	b = binary.AppendUvarint(b, e.ServerSeq)
	b = binary.AppendUvarint(b, e.HLC)
	for _, s := range []string{e.Kind, e.Record, e.Code, e.Message} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func (e *opEntry) judgement() *store.Judgement {
	return &store.Judgement{ServerSeq: e.ServerSeq, HLC: e.HLC, Kind: e.Kind, Record: e.Record, Code: e.Code, Message: e.Message}
}

func decodeOpEntry(b []byte) (*opEntry, error) {
	var e opEntry
	if len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &e); err != nil {
			return nil, fmt.Errorf("damaged entry: %w", err)
		}
		return &e, nil
	}
	if len(b) == 0 || b[0] != opEntryV1 {
		return nil, fmt.Errorf("damaged entry: unknown encoding")
	}
	b = b[1:]
	num := func() uint64 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			b = nil
			return 0
		}
		b = b[n:]
		return v
	}
	e.ServerSeq, e.HLC = num(), num()
	strs := [4]*string{&e.Kind, &e.Record, &e.Code, &e.Message}
	for _, p := range strs {
		n := num()
		if b == nil || n > uint64(len(b)) {
			return nil, fmt.Errorf("damaged entry: cut off")
		}
		*p = string(b[:n])
		b = b[n:]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("damaged entry: %d bytes left over", len(b))
	}
	return &e, nil
}
