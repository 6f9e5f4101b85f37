package api

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/kenesh/kenesh/shared/syncproto"
)

// A reply is compressed at the better level while no more sync requests
// are being served than there are cores, and at the fastest level beyond,
// unless it is large; every frame decodes the same.
func TestReplyCodec(t *testing.T) {
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		t.Fatal(err)
	}
	h := New(Config{Codec: codec})
	var small, large bytes.Buffer
	small.WriteString(`{"proto":2,"acked":5,"ops":[`)
	for i := 0; small.Len() < 20<<10; i++ {
		fmt.Fprintf(&small, `{"dv":"01a21153-0b49-7f01-9325-%012d","sq":%d,"t":%d,"k":"appeal","r":"01a21153-0b83-732a-a9d2-%012d","c":"NRN-ATB","a":"update","f":{"status":{"v":"under_review","b":%d}}},`, i%24, i, 117675588638146560+i*7919, i*31, 117675588638146000+i)
	}
	small.WriteString(`{}]}`)
	for large.Len() < fastReplyBelow {
		large.Write(small.Bytes())
	}
	tests := []struct {
		name    string
		syncing int64
		raw     []byte
		better  bool
	}{
		{"one request", 1, small.Bytes(), true},
		{"as many as cores", h.busyAbove, small.Bytes(), true},
		{"more than cores", h.busyAbove + 1, small.Bytes(), false},
		{"more than cores, large reply", h.busyAbove + 1, large.Bytes(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := codec.Encode(tt.raw, 1)
			if err != nil {
				t.Fatal(err)
			}
			got, err := h.replyCodec(tt.syncing).Encode(tt.raw, 1)
			if err != nil {
				t.Fatal(err)
			}
			if better := bytes.Equal(got, want); better != tt.better {
				t.Errorf("%d requests, %d bytes: at the better level %v, want %v", tt.syncing, len(tt.raw), better, tt.better)
			}
			raw, err := codec.Decode(got)
			if err != nil || !bytes.Equal(raw, tt.raw) {
				t.Fatalf("round trip: %v", err)
			}
		})
	}
}
