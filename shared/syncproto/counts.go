package syncproto

import "github.com/kenesh/kenesh/shared/changeset"

// Counts is what decoding a sync request makes: operations, their fields,
// and the values those fields settle. What the server holds while it
// decodes and takes a request grows with them far more than with the
// payload's bytes: a binary body writes an empty field in four bytes and
// a settled value in two (names and devices come from its string table),
// so 1.2 MiB of payload, a frame of 3 KiB, decodes into 262,144 fields
// that took the server's heap 127 MiB above idle (hostile.TestBinaryFlood).
type Counts struct {
	Ops, Fields, Settles int
}

// CountRequest counts what DecodeSyncRequest would make of raw, without
// decoding it and without allocating: at least what the decoder allocates
// before it returns, whether it succeeds, fails or stops at a limit. For a
// binary body that is what the header and the counts read so far declare;
// for JSON what requestCounts counts. err says why the walk stopped early
// (a limit or a malformed body); the counts are still an upper bound of
// the decoder's.
func CountRequest(raw []byte) (Counts, error) {
	if !IsBinaryRequest(raw) {
		return countJSONRequest(raw)
	}
	var n Counts
	r := &binReader{b: raw[len(binMagic):]}
	tab := 0
	ref := func() {
		if i := r.uvarint(); r.err == nil {
			switch {
			case i == 0:
				r.bytes()
				tab++
			case i > uint64(tab):
				r.fail(errShort)
			}
		}
	}
	r.uvarint() // proto
	r.uvarint() // capability
	r.bytes()   // device
	r.uvarint() // cursor
	r.uvarint() // flags
	r.uvarint() // maxPull
	nops := r.uvarint()
	if r.err != nil || nops == 0 {
		return n, r.err
	}
	if nops > MaxPushOps {
		return n, ErrLimit
	}
	n.Ops = int(nops)
	r.uvarint() // first
	ngroups := r.uvarint()
	left := nops
	for g := uint64(0); g < ngroups && r.err == nil; g++ {
		ref() // kind
		ref() // record
		ref() // council
		ops := r.uvarint()
		if r.err != nil || ops == 0 || ops > left {
			break
		}
		left -= ops
		for range ops {
			r.uvarint() // seq
			r.varint()  // hlc
			ref()       // action
			ref()       // author
			nf := r.uvarint()
			if r.err != nil {
				return n, r.err
			}
			if nf > changeset.MaxFieldsPerOp || n.Fields+int(nf) > MaxPushFields {
				n.Fields += int(min(nf, changeset.MaxFieldsPerOp))
				return n, ErrLimit
			}
			n.Fields += int(nf)
			for range nf {
				ref()       // name
				r.bytes()   // value
				r.uvarint() // base
				ns := r.uvarint()
				if r.err != nil {
					return n, r.err
				}
				if ns > changeset.MaxSettles || n.Settles+int(ns) > MaxPushSettles {
					return n, ErrLimit
				}
				n.Settles += int(ns)
				for range ns {
					r.varint()
					ref()
				}
			}
		}
	}
	return n, r.err
}
