package ingest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
)

// A material is checked whole once merged, since every laptop downloads
// the file it names: one whose chunks do not add up to its size is
// refused with the field at fault, and the record is not changed by it.
func TestMaterialCheckedWhole(t *testing.T) {
	ctx := context.Background()
	st, g := newIngester(t, badgerstore.Options{Small: true}, nil)
	trainer := &store.Device{ID: domain.NewID(), Role: domain.RoleTrainer, Name: "Тренер"}
	id := domain.NewID()
	file := func(size int64) json.RawMessage {
		b, _ := json.Marshal(domain.Attachment{ID: domain.NewID(), Name: "колдонмо.pdf", Size: size, SHA256: strings.Repeat("a", 64),
			Chunks: []domain.Chunk{{SHA256: strings.Repeat("b", 64), Size: 3}}})
		return b
	}
	clock := hlc.NewClock(0, time.Now)
	op := func(seq uint64, action string, fields map[string]string, f json.RawMessage) syncproto.WireOp {
		w := syncproto.WireOp{Device: trainer.ID, Seq: seq, HLC: uint64(clock.Now()), Kind: domain.KindMaterial, Record: id, Action: action,
			Fields: map[string]syncproto.WireChange{}}
		for k, v := range fields {
			w.Fields[k] = syncproto.WireChange{V: json.RawMessage(v)}
		}
		if f != nil {
			w.Fields["file"] = syncproto.WireChange{V: f}
		}
		return w
	}
	good := map[string]string{"title": `"Аялдардын укуктары"`, "language": `"ky"`, "version": `1`, "published_on": `"` + time.Now().Format(time.DateOnly) + `"`}
	res, err := g.Push(ctx, trainer, []syncproto.WireOp{
		op(1, "create", good, file(3)),
		op(2, "update", map[string]string{"version": `2`}, file(5)), // chunks add up to 3
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted != 1 || len(res.Refused) != 1 || res.Refused[0].Seq != 2 || res.Refused[0].Code != syncproto.CodeInvalid ||
		len(res.Refused[0].Fields) == 0 || res.Refused[0].Fields[0].Field != "file.chunks" {
		t.Fatalf("push: %+v", res)
	}
	cur, err := st.State(ctx, domain.KindMaterial, id)
	if err != nil || string(cur.Fields["version"].Value) != "1" {
		t.Fatalf("the refused version changed the material: %v %s", err, cur.Fields["version"].Value)
	}
}
