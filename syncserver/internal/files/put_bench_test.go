package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/blobstore"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
)

// BenchmarkPut is the server's side of a send: puts of 8 MiB of new
// chunks (64 of 128 KiB, random: stored raw) into a real Badger store and
// blob directory on the disk of the temporary directory, as a laptop's
// requests bring them. What it measures is mostly the disk's syncs.
//
//	go test -run - -bench Put -benchtime 20x ./syncserver/internal/files
func BenchmarkPut(b *testing.B) {
	ctx := context.Background()
	st, err := badgerstore.Open(ctx, b.TempDir(), badgerstore.Options{Small: true, Key: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	blobs, err := blobstore.OpenDir(b.TempDir(), blobstore.DirOptions{MinFree: 1})
	if err != nil {
		b.Fatal(err)
	}
	recs := &records{Store: st, states: map[string]*changeset.State{}}
	svc, err := New(Config{Store: recs, Blobs: blobs, Key: bytes.Repeat([]byte{9}, 32), Quota: -1, MaterialQuota: -1, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	const chunks, size = 64, 128 << 10
	b.SetBytes(chunks * size)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		parts := make([][]byte, chunks)
		for j := range parts {
			parts[j] = content(uint64(i*chunks+j), size)
		}
		id := fmt.Sprintf("a%d", i)
		recs.attach("NRN-ATB", id, file(parts...))
		var buf bytes.Buffer
		cw := syncproto.NewChunkWriter(&buf)
		cw.Start()
		for _, p := range parts {
			cw.Write(sha256.Sum256(p), syncproto.ChunkRaw, p)
		}
		b.StartTimer()
		resp, err := svc.Put(ctx, secretary("NRN-ATB"), syncproto.RecordRef{Kind: domain.KindAppeal, Record: id}, syncproto.NewChunkReader(&buf))
		if err != nil || resp.Stored != chunks {
			b.Fatalf("%+v %v", resp, err)
		}
	}
}
