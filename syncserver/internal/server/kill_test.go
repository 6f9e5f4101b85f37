package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kenesh/kenesh/internal/pgtest"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/admin"
)

// The kill test runs the server in a child process (this test binary,
// re-executed), so that SIGKILL hits a real process mid-write.
const childEnv = "KENESH_TEST_SERVER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		os.Exit(serveChild(dir))
	}
	os.Exit(pgtest.Main(m))
}

// childPostgresEnv, set with childEnv, makes the child serve this
// PostgreSQL database, with its files in the child's directory.
const childPostgresEnv = "KENESH_TEST_SERVER_POSTGRES"

func serveChild(dir string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg := Config{DataDir: dir, Listen: "127.0.0.1:0", Small: true, MinFree: 1,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if url := os.Getenv(childPostgresEnv); url != "" {
		cfg.DataDir, cfg.Postgres, cfg.FilesDir = "", url, dir
	}
	s, err := New(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	err = s.Run(ctx, func(a net.Addr) { fmt.Printf("listening %s\n", a) })
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// child is a server process.
type child struct {
	cmd *exec.Cmd
	url string
}

func startChild(t *testing.T, dir string, env ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+dir), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("server child did not start: %v", err)
	}
	go io.Copy(io.Discard, out)
	return &child{cmd: cmd, url: "http://" + strings.TrimSpace(strings.TrimPrefix(line, "listening "))}
}

func (c *child) kill() {
	c.cmd.Process.Kill()
	c.cmd.Wait()
}

// killDevice pushes in a loop and remembers what the server acknowledged.
type killDevice struct {
	*device
	ops   []syncproto.WireOp // every operation made, index seq-1
	acked uint64             // the highest acknowledgement received
	// pipelined sends each batch as two change sets at once.
	pipelined bool
}

// pushUntilError sends the operations after what the server acknowledged,
// making new ones as it goes, until a request fails or stop is closed.
func (k *killDevice) pushUntilError(r *rand.Rand, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		for n := 1 + r.IntN(30); n > 0; n-- {
			k.ops = append(k.ops, k.op(domain.KindAppeal, domain.NewID(), k.cncl, changeset.ActionCreate, appealFields(k.cncl)))
		}
		batch := k.ops[k.acked:]
		if !k.pipelined || len(batch) < 2 {
			status, resp, eb, err := k.trySync(k.frame(&syncproto.SyncRequest{Proto: syncproto.Proto, Device: k.id, Ops: batch}))
			if err != nil {
				return
			}
			if status != http.StatusOK {
				k.h.t.Errorf("push: %d %+v", status, eb)
				return
			}
			k.acked = resp.Acked
			continue
		}
		// As a laptop with a backlog pushes (desktop/internal/syncer's
		// pipeline): the batch in two binary change sets, the second sent
		// while the server judges the first; the device's turns keep them
		// in order. Either may be what the kill cuts.
		half := len(batch) / 2
		var wg sync.WaitGroup
		acks := make([]uint64, 2)
		failed := make([]bool, 2)
		for i, part := range [][]syncproto.WireOp{batch[:half], batch[half:]} {
			frame, err := k.h.codec.EncodeSyncRequest(&syncproto.SyncRequest{Proto: syncproto.Proto, Device: k.id, Ops: part}, 1)
			if err != nil {
				k.h.t.Error(err)
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, resp, eb, err := k.trySync(frame)
				switch {
				case err != nil:
					failed[i] = true
				case status == http.StatusOK:
					acks[i] = resp.Acked
				case eb != nil && eb.Code == syncproto.CodeGap:
					// The second came first: sent again in the next round.
				default:
					k.h.t.Errorf("pipelined push: %d %+v", status, eb)
					failed[i] = true
				}
			}()
			if i == 0 {
				time.Sleep(time.Millisecond) // sent first, as the laptop does
			}
		}
		wg.Wait()
		k.acked = max(k.acked, acks[0], acks[1])
		if failed[0] || failed[1] {
			return
		}
	}
}

// startKillable starts a child server in a new directory, with a harness
// speaking to it and an admin client that has added councils (in
// oblasts, one each): the start of every test that kills the server.
// The caller closes cl once it has enrolled what it needs.
func startKillable(t *testing.T, councils, oblasts []string) (dir string, c *child, h *harness, cl *admin.Client) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "srv")
	c = startChild(t, dir)
	h = &harness{t: t, url: c.url}
	var err error
	if h.codec, err = syncproto.DefaultCodec(); err != nil {
		t.Fatal(err)
	}
	if cl, err = admin.Dial(t.Context(), dir); err != nil {
		t.Fatal(err)
	}
	h.admin = cl
	for i, code := range councils {
		h.council(code, oblasts[i])
	}
	return dir, c, h, cl
}

func TestServerKilledDuringPushesKeepsWhatItAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("kills server processes")
	}
	councils := []string{"NRN-ATB", "OSH-NOO", "TLS-BKR"}
	dir, c, h, cl := startKillable(t, councils, []string{"KG-N", "KG-O", "KG-T"})
	var devs []*killDevice
	for i := 0; i < 4; i++ {
		devs = append(devs, &killDevice{device: h.enroll(domain.RoleSecretary, councils[i%len(councils)]), pipelined: i%2 == 1})
	}
	reader := h.enroll(domain.RoleCentral, "")
	cl.Close()

	r := rand.New(rand.NewPCG(20261125, 7))
	rounds := 6
	for round := 0; round < rounds; round++ {
		var wg sync.WaitGroup
		for i, d := range devs {
			wg.Add(1)
			go func(seed uint64) {
				defer wg.Done()
				d.pushUntilError(rand.New(rand.NewPCG(seed, uint64(round))), nil)
			}(uint64(i))
		}
		time.Sleep(time.Duration(50+r.IntN(400)) * time.Millisecond)
		c.kill() // a power cut: no graceful shutdown
		wg.Wait()

		c = startChild(t, dir)
		h.url = c.url
		for _, d := range devs {
			// What the server holds now must cover every acknowledgement.
			_, resp, eb, err := d.trySync(d.frame(&syncproto.SyncRequest{Proto: syncproto.Proto, Device: d.id}))
			if err != nil || resp == nil {
				t.Fatalf("round %d: after restart: %v %+v", round, err, eb)
			}
			if resp.Acked < d.acked {
				t.Fatalf("round %d: device %s was acknowledged up to %d, the server holds %d", round, d.id, d.acked, resp.Acked)
			}
			d.acked = resp.Acked
		}
	}
	// Every acknowledged operation is in the log exactly once.
	count := map[string]map[uint64]int{}
	for _, op := range reader.pullAll() {
		if op.Kind != domain.KindAppeal {
			continue
		}
		if count[op.Device] == nil {
			count[op.Device] = map[uint64]int{}
		}
		count[op.Device][op.Seq]++
	}
	total := 0
	for _, d := range devs {
		for seq := uint64(1); seq <= d.acked; seq++ {
			if n := count[d.id][seq]; n != 1 {
				t.Fatalf("device %s op %d is in the log %d times", d.id, seq, n)
			}
		}
		if len(count[d.id]) != int(d.acked) {
			t.Fatalf("device %s: %d operations in the log, %d acknowledged", d.id, len(count[d.id]), d.acked)
		}
		total += int(d.acked)
	}
	t.Logf("%d rounds, %d operations acknowledged and found after SIGKILL", rounds, total)
	c.cmd.Process.Signal(os.Interrupt)
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	if _, err := os.Stat(admin.SocketPath(dir)); !os.IsNotExist(err) {
		t.Fatalf("the control socket is left after a graceful stop: %v", err)
	}
}
