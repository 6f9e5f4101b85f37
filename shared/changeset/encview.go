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
