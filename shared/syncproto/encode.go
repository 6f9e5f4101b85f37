package syncproto

import (
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/kenesh/kenesh/shared/changeset"
)

// AppendOp appends o encoded as a WireOp, exactly as Marshal writes it
// (fields in the struct's order, field names sorted, no HTML escaping),
// without reflection and without building the WireOp: a pull page encodes
// every operation it carries, and encoding/json took twice as long. Values
// are written as they are stored (they were checked to be JSON when they
// were pushed); one that is not JSON is an error, never a broken page.
func AppendOp(dst []byte, o *changeset.Op) ([]byte, error) {
	dst = append(dst, `{"dv":`...)
	dst = appendString(dst, o.Device)
	dst = append(dst, `,"sq":`...)
	dst = strconv.AppendUint(dst, o.Seq, 10)
	dst = append(dst, `,"t":`...)
	dst = strconv.AppendUint(dst, uint64(o.HLC), 10)
	dst = append(dst, `,"k":`...)
	dst = appendString(dst, o.Kind)
	dst = append(dst, `,"r":`...)
	dst = appendString(dst, o.Record)
	if o.Council != "" {
		dst = append(dst, `,"c":`...)
		dst = appendString(dst, o.Council)
	}
	dst = append(dst, `,"a":`...)
	dst = appendString(dst, string(o.Action))
	if o.Author != "" {
		dst = append(dst, `,"u":`...)
		dst = appendString(dst, o.Author)
	}
	dst = append(dst, `,"f":{`...)
	names := make([]string, 0, len(o.Fields))
	for name := range o.Fields {
		names = append(names, name)
	}
	slices.Sort(names)
	for i, name := range names {
		c := o.Fields[name]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, name)
		dst = append(dst, `:{"v":`...)
		switch {
		case len(c.Value) == 0:
			dst = append(dst, "null"...)
		case !changeset.ValidJSON(c.Value):
			return dst, fmt.Errorf("operation %s: field %q is not JSON", o.ID(), name)
		default:
			dst = append(dst, c.Value...)
		}
		if c.Base != 0 {
			dst = append(dst, `,"b":`...)
			dst = strconv.AppendUint(dst, uint64(c.Base), 10)
		}
		if len(c.Settles) > 0 {
			dst = append(dst, `,"s":[`...)
			for j, v := range c.Settles {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = append(dst, `{"t":`...)
				dst = strconv.AppendUint(dst, uint64(v.HLC), 10)
				dst = append(dst, `,"d":`...)
				dst = appendString(dst, v.Device)
				dst = append(dst, '}')
			}
			dst = append(dst, ']')
		}
		dst = append(dst, '}')
	}
	return append(dst, "}}"...), nil
}

const hexDigits = "0123456789abcdef"

// appendString writes s as encoding/json does without HTML escaping (see
// strLen, which counts what this writes).
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			if r == utf8.RuneError {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			}
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendSyncRequestJSON appends req's JSON body exactly as Marshal writes
// req.WithWire() (the struct's fields in order, empty ones left out as
// its tags say), its Push operations written by AppendOp, without
// building a WireOp (a map) for each and without reflection: a laptop's
// small change sets go as JSON (tinyChangeSet), and encoding/json was
// most of what writing one cost. A request with Ops is Marshal's.
func AppendSyncRequestJSON(dst []byte, req *SyncRequest) ([]byte, error) {
	if len(req.Ops) > 0 {
		raw, err := Marshal(req.WithWire())
		return append(dst, raw...), err
	}
	dst = append(dst, `{"proto":`...)
	dst = strconv.AppendInt(dst, int64(req.Proto), 10)
	dst = append(dst, `,"device":`...)
	dst = appendString(dst, req.Device)
	if len(req.Push) > 0 || len(req.PushEncoded) > 0 {
		dst = append(dst, `,"ops":[`...)
		for i, o := range req.Push {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = AppendOp(dst, o); err != nil {
				return dst, err
			}
		}
		for i := range req.PushEncoded {
			if i > 0 || len(req.Push) > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = AppendOp(dst, req.PushEncoded[i].Op()); err != nil {
				return dst, err
			}
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"cursor":`...)
	dst = strconv.AppendUint(dst, req.Cursor, 10)
	dst = append(dst, `,"pull":`...)
	dst = strconv.AppendBool(dst, req.Pull)
	if req.MaxPull != 0 {
		dst = append(dst, `,"max_pull":`...)
		dst = strconv.AppendInt(dst, int64(req.MaxPull), 10)
	}
	if req.Cap != 0 {
		dst = append(dst, `,"cap":`...)
		dst = strconv.AppendInt(dst, int64(req.Cap), 10)
	}
	return append(dst, '}'), nil
}

// encodeRequestJSON frames req's JSON body (AppendSyncRequestJSON).
func (c *Codec) encodeRequestJSON(req *SyncRequest, dict uint32) ([]byte, error) {
	buf := bodyBufs.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= maxPooledBody {
			bodyBufs.Put(buf)
		}
	}()
	raw, err := AppendSyncRequestJSON((*buf)[:0], req)
	if err != nil {
		return nil, err
	}
	*buf = raw
	return c.Encode(raw, dict)
}
