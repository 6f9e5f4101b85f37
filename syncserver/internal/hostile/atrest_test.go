package hostile

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"

	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/admin"
	"github.com/kenesh/kenesh/syncserver/internal/server"
	"github.com/kenesh/kenesh/syncserver/internal/serverkey"
	"github.com/kenesh/kenesh/syncserver/internal/store"
	"github.com/kenesh/kenesh/syncserver/internal/store/badgerstore"
)

// secrets are what a saved appeal holds that no file may show.
var secrets = [][]byte{[]byte("Токтогулов Эрмек"), []byte("+996 555 123 987"), []byte("Милиция арызды каттоодон баш тартты")}

func private(council string) map[string]any {
	f := appeal(council)
	f["appellant"] = map[string]string{"name": "Токтогулов Эрмек", "phone": "+996 555 123 987"}
	f["summary"] = "Милиция арызды каттоодон баш тартты"
	return f
}

// grep returns the files under root that hold any of the secrets.
func grep(t *testing.T, root string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Type()&fs.ModeSocket != 0 {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if bytes.Contains(b, s) {
				found = append(found, filepath.Base(p)+": "+string(s))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// Nothing in the server's data directory or its backups shows a saved
// appellant's name, phone or complaint: Badger's tables, value log and
// write-ahead log are encrypted with the data key, and backups are age
// files.
func TestNothingReadableAtRest(t *testing.T) {
	tg := start(t, server.Config{})
	sec := tg.enroll(domain.RoleSecretary, "NRN-ATB")
	id := domain.NewID()
	sec.mustPush(sec.op(domain.KindAppeal, id, changeset.ActionCreate, private("NRN-ATB")))

	if found := grep(t, tg.dir); len(found) > 0 {
		t.Errorf("the running server's data directory shows %v", found)
	}
	backup := filepath.Join(t.TempDir(), "server.kbk")
	if _, err := admin.WriteBackupFile(context.Background(), tg.admin, backup, nil); err != nil {
		t.Fatal(err)
	}
	if found := grep(t, filepath.Dir(backup)); len(found) > 0 {
		t.Errorf("the backup shows %v", found)
	}
	tg.close()
	if found := grep(t, tg.dir); len(found) > 0 {
		t.Errorf("the stopped server's data directory shows %v", found)
	}

	// The key file restores the backup; the appeal is there.
	key, err := serverkey.Load(tg.dir + ".key")
	if err != nil {
		t.Fatal(err)
	}
	ident, _ := serverkey.BackupIdentity(key)
	restored := filepath.Join(t.TempDir(), "restored")
	if err := admin.RestoreFile(context.Background(), restored, backup, []age.Identity{ident}, badgerstore.Options{Key: key, Small: true}); err != nil {
		t.Fatal(err)
	}
	st, err := badgerstore.Open(context.Background(), restored, badgerstore.Options{Key: key, Small: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := st.State(context.Background(), domain.KindAppeal, id)
	if err != nil || !bytes.Contains(s.Fields["appellant"].Value, secrets[0]) {
		t.Fatalf("the restored appeal: %v", err)
	}
	if found := grep(t, restored); len(found) > 0 {
		t.Errorf("the restored data directory shows %v", found)
	}
}

// A store an older server left in plaintext is encrypted when the server
// starts: afterwards nothing in the directory shows what it holds.
func TestPlaintextStoreIsEncryptedAtStart(t *testing.T) {
	dir := t.TempDir()
	st, err := badgerstore.Open(context.Background(), dir, badgerstore.Options{Small: true, MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	op := &changeset.Op{Device: domain.NewID(), Seq: 1, HLC: 117677491360104448, Kind: domain.KindAppeal, Record: domain.NewID(),
		Council: "NRN-ATB", Action: changeset.ActionCreate, Fields: map[string]changeset.Change{"appellant": {Value: []byte(`{"name":"Токтогулов Эрмек","phone":"+996 555 123 987"}`)}}}
	err = st.Append(context.Background(), func(x store.LogTx) error {
		var s changeset.State
		if _, _, err := s.Apply(op); err != nil {
			return err
		}
		if err := x.PutState(&s); err != nil {
			return err
		}
		_, err := x.Accept(op, store.Index{Council: "NRN-ATB"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if found := grep(t, dir); len(found) == 0 {
		t.Fatal("the plaintext store shows nothing: the test proves nothing")
	}
	s, err := server.New(context.Background(), server.Config{DataDir: dir, Small: true, MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if found := grep(t, dir); len(found) > 0 {
		t.Fatalf("after encrypting, the data directory shows %v", found)
	}
	key, err := serverkey.Load(dir + ".key")
	if err != nil {
		t.Fatal(err)
	}
	st, err = badgerstore.Open(context.Background(), dir, badgerstore.Options{Small: true, MinFree: 1, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got, err := st.State(context.Background(), op.Kind, op.Record); err != nil || !bytes.Contains(got.Fields["appellant"].Value, secrets[0]) {
		t.Fatalf("the encrypted store lost the appeal: %v", err)
	}
}
