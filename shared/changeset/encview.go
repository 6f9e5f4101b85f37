package changeset

import "github.com/kenesh/kenesh/shared/hlc"

// StateHeader is DecodeState without the fields (Fields nil): what a
// judge reads of a state it merges on the encoding (MergeEncoded), for the
// writes whose rules read nothing else (policy.HeaderOnly). A JSON state
// is decoded whole.
func StateHeader(data []byte) (*State, error) {
	if len(data) == 0 || data[0] != binaryV1 {
		return DecodeState(data)
	}
	var s State
	r := reader{b: data}
	r.header(&s)
	if r.err != nil {
		return nil, r.err
	}
	return &s, nil
}

// HeaderReader reads states' headers one after another (StateHeader),
// into a State of its own: a string of a header that is the one before's
// (its kind, council, author, device: a council's states are written by
// its few laptops) is that one's, not made anew. A server judging a
// spread backlog reads a header for nearly every operation, and
// StateHeader made a State and five strings of each (BENCHMARKS.md,
// issue 15, push4). The zero value is ready to use; not safe for
// concurrent use.
type HeaderReader struct{ s State }

// Read is StateHeader(data), into h's State: valid until the next Read,
// which sets every field of it anew (a change made to it does not last).
func (h *HeaderReader) Read(data []byte) (*State, error) {
	if len(data) == 0 || data[0] != binaryV1 {
		return DecodeState(data)
	}
	prev := h.s
	r := reader{b: data}
	r.version()
	h.s = State{} // in the order reader.header reads them
	h.s.Kind = sameStr(prev.Kind, r.bytes())
	h.s.ID = sameStr(prev.ID, r.bytes())
	h.s.Council = sameStr(prev.Council, r.bytes())
	h.s.Author = sameStr(prev.Author, r.bytes())
	h.s.Device = sameStr(prev.Device, r.bytes())
	h.s.Created = hlc.Timestamp(r.uvarint())
	h.s.Updated = hlc.Timestamp(r.uvarint())
	if r.err != nil {
		h.s = State{}
		return nil, r.err
	}
	return &h.s, nil
}

// sameStr is b as a string: prev when it holds the same bytes (compared
// without a copy).
func sameStr(prev string, b []byte) string {
	if string(b) == prev {
		return prev
	}
	return string(b)
}

// HasField reports whether the encoded state data holds a field name
// (false for one that does not decode).
func HasField(data []byte, name string) bool {
	if len(data) == 0 || data[0] != binaryV1 {
		s, err := DecodeState(data)
		if err != nil {
			return false
		}
		_, ok := s.Fields[name]
		return ok
	}
	r := reader{b: data}
	r.version()
	for range 5 {
		r.bytes()
	}
	r.uvarint()
	r.uvarint()
	nd := r.count(len(data))
	for i := 0; i < nd && r.err == nil; i++ {
		r.bytes()
	}
	n := r.count(len(data))
	for i := 0; i < n && r.err == nil; i++ {
		f, ok := r.shortBytes()
		if !ok {
			f = r.bytes()
		}
		if string(f) == name {
			return r.err == nil
		}
		if string(f) > name {
			return false
		}
		r.bytes()
		r.uvarint()
		r.uvarint()
		r.uvarint()
		r.uvarint()
	}
	return false
}

// StateClocks reads the created and updated clocks of the encoded state
// data, what StateHeader gives of them, without making the header's
// strings: a store deciding how to keep a state it is given encoded
// (whether it holds its creation alone) reads nothing else of it.
func StateClocks(data []byte) (created, updated hlc.Timestamp, err error) {
	if len(data) == 0 || data[0] != binaryV1 {
		s, err := DecodeState(data)
		if err != nil {
			return 0, 0, err
		}
		return s.Created, s.Updated, nil
	}
	r := reader{b: data}
	r.version()
	for range 5 { // kind, id, council, author, device
		r.bytes()
	}
	created = hlc.Timestamp(r.uvarint())
	updated = hlc.Timestamp(r.uvarint())
	if r.err != nil {
		return 0, 0, r.err
	}
	return created, updated, nil
}
