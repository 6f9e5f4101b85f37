// Command attackmem measures the sync server's peak memory under the
// memory attacks of issue 10: a kenesh-syncserver binary is run as a child
// process on a fresh data directory, with its production defaults (2 syncs
// a second per device, bursts of 20), and attacked over HTTP by enrolled
// devices; the child's peak resident set (VmHWM, from /proc) is reported
// after each attack, in a fresh process each time.
//
//	go build -o bin/ ./syncserver/cmd/kenesh-syncserver
//	go run ./syncserver/internal/cmd/attackmem -server bin/kenesh-syncserver
//
// The attacks: "amplification", four requests at once whose 16 MiB
// payloads are millions of empty operations ([{},{},...]), then four of
// millions of empty fields; "bombs", three devices each sending 20 frames
// at once (their burst), each a few KiB inflating to a valid 16 MiB
// request; "both" at once; and "binary", four devices each sending 20
// protocol-2 binary bodies at once (their burst), at the protocol's counts
// in a few KiB of frame: 262,144 empty fields, 262,144 settled values, or
// a string table of 16 MiB; and "large", two devices pushing operations
// of 1 MB (near syncproto.MaxOpBytes) and two pushing operations at
// the log tail's bounds (8 KiB, 128 fields: store.TailOpBytes), all
// accepted, then all four pulling the whole log at once, twice (what a
// server process keeps of the log's newest operations must stay bounded
// whatever their size); and "challenge", the citizens' form's challenge
// switched on and 400 visitors (each its own address, as a proxy in front
// of the server reports them) asking at once for the spoken digits of one
// form, three times over (a recording is made for each request: its
// samples are ~0.8 MB). Figures go to BENCHMARKS.md. (Against a
// server from before issue 10, "both" and amplifying bombs take tens of
// GiB: the old server was killed by the kernel at 24 GB on a 24 GB
// machine. Mind the machine you run it on.)
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
	"github.com/kenesh/kenesh/shared/syncproto"
)

func main() {
	bin := flag.String("server", "bin/kenesh-syncserver", "the kenesh-syncserver binary to attack")
	only := flag.String("attacks", "amplification,bombs,both,binary,large", "which attacks, comma separated")
	flag.Parse()
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		fail(err)
	}
	fmt.Printf("%-14s %10s %10s  %s\n", "attack", "peak RSS", "idle RSS", "answers")
	for _, name := range strings.Split(*only, ",") {
		attack, ok := attacks[name]
		if !ok {
			fail(fmt.Errorf("no attack %q", name))
		}
		res, err := run(*bin, codec, attack)
		if err != nil {
			fail(fmt.Errorf("%s: %w", name, err))
		}
		fmt.Printf("%-14s %7d MiB %7d MiB  %s\n", name, res.peak>>20, res.idle>>20, res.answers)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "attackmem:", err)
	os.Exit(1)
}

// device is an enrolled attacker.
type device struct {
	id, token string
}

type target struct {
	pid   int // the server's
	url   string
	codec *syncproto.Codec
	devs  []device
}

type result struct {
	peak, idle uint64
	answers    string
}

var attacks = map[string]func(*target) map[string]int{
	"large":         func(t *target) map[string]int { return t.large() },
	"binary":        func(t *target) map[string]int { return t.binary() },
	"amplification": func(t *target) map[string]int { return t.amplify() },
	"bombs":         func(t *target) map[string]int { return t.bombs() },
	"challenge":     func(t *target) map[string]int { return t.challenge() },
	"both": func(t *target) map[string]int {
		var a, b map[string]int
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); a = t.amplify() }()
		go func() { defer wg.Done(); b = t.bombs() }()
		wg.Wait()
		for k, v := range b {
			a[k] += v
		}
		return a
	},
}

// run starts a server, enrolls four devices, runs attack and reads the
// server's peak resident set.
func run(bin string, codec *syncproto.Codec, attack func(*target) map[string]int) (*result, error) {
	dir, err := os.MkdirTemp("", "attackmem")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "server")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	// The public form's challenge on, and the visitor's address taken from
	// X-Forwarded-For (a proxy on this host): the "challenge" attack's
	// visitors are many addresses. No other attack goes near the form.
	cmd := exec.Command(bin, "serve", "--data", data, "--listen", addr, "--log-level", "error", "--public-challenge", "--public-trust-proxy")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}()
	t := &target{pid: cmd.Process.Pid, url: "http://" + addr, codec: codec}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(t.url + syncproto.PathHealth); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			return nil, errors.New("the server did not start")
		}
	}
	admin := func(args ...string) (string, error) {
		out, err := exec.Command(bin, append([]string{"admin", "--data", data}, args...)...).Output()
		return string(out), err
	}
	if _, err := admin("council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы коомдук кеңеши", "--oblast", "KG-N"); err != nil {
		return nil, fmt.Errorf("council add: %w", err)
	}
	for i := 0; i < 4; i++ {
		out, err := admin("enroll", "--council", "NRN-ATB", "--role", "secretary", "--name", fmt.Sprintf("attacker %d", i))
		if err != nil {
			return nil, fmt.Errorf("enroll: %w", err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		d, err := t.enroll(lines[len(lines)-1])
		if err != nil {
			return nil, err
		}
		t.devs = append(t.devs, d)
	}
	time.Sleep(time.Second) // settle after start-up
	idle, _ := rss(cmd.Process.Pid, "VmRSS")
	answers := attack(t)
	peak, err := rss(cmd.Process.Pid, "VmHWM")
	if err != nil {
		return nil, err
	}
	var parts []string
	for k, v := range answers {
		parts = append(parts, fmt.Sprintf("%d× %s", v, k))
	}
	return &result{peak: peak, idle: idle, answers: strings.Join(parts, ", ")}, nil
}

// rss reads a memory line of /proc/PID/status, in bytes.
func rss(pid int, field string) (uint64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

func (t *target) enroll(code string) (device, error) {
	d := device{id: domain.NewID()}
	b, _ := json.Marshal(syncproto.EnrollRequest{Proto: syncproto.Proto, Code: code, DeviceID: d.id, DeviceName: "attacker"})
	resp, err := http.Post(t.url+syncproto.PathEnroll, "application/json", bytes.NewReader(b))
	if err != nil {
		return d, err
	}
	defer resp.Body.Close()
	var er syncproto.EnrollResponse
	if err := json.NewDecoder(resp.Body).Decode(&er); err != nil || er.Token == "" {
		return d, fmt.Errorf("enroll: %s %v", resp.Status, err)
	}
	d.token = er.Token
	return d, nil
}

// post sends frame as d and returns "STATUS code".
func (t *target) post(d device, frame []byte) string {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, t.url+syncproto.PathSync, bytes.NewReader(frame))
	req.Header.Set("Authorization", "Bearer "+d.token)
	req.Header.Set("Content-Type", syncproto.ContentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "error: " + err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var eb syncproto.ErrorBody
	json.Unmarshal(body, &eb)
	return fmt.Sprintf("%d %s", resp.StatusCode, eb.Code)
}

// payloads: 16 MiB of empty operations, or of one operation's empty fields.
func emptyOps(dev string) []byte {
	head := `{"proto":1,"device":"` + dev + `","ops":[`
	return []byte(head + strings.Repeat(`{},`, (syncproto.MaxRawBytes-len(head)-8)/3) + `{}]}`)
}

func emptyFields(dev string) []byte {
	var b strings.Builder
	b.WriteString(`{"proto":1,"device":"` + dev + `","ops":[{"dv":"` + dev + `","sq":1,"f":{`)
	for i := 0; b.Len() < syncproto.MaxRawBytes-64; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%x":{}`, i)
	}
	b.WriteString(`}}]}`)
	return []byte(b.String())
}

func (t *target) frame(payload []byte) []byte {
	f, err := t.codec.Encode(payload, 0)
	if err != nil {
		fail(err)
	}
	return f
}

// fire sends every frame at once and counts the answers.
func (t *target) fire(shots map[device][][]byte) map[string]int {
	var mu sync.Mutex
	answers := map[string]int{}
	var wg sync.WaitGroup
	for d, frames := range shots {
		for _, f := range frames {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a := t.post(d, f)
				mu.Lock()
				answers[a]++
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	return answers
}

// amplify: four requests at once of empty operations, then four of empty
// fields (the issue measured 7.2 GiB for the first).
func (t *target) amplify() map[string]int {
	d := t.devs[3]
	out := t.fire(map[device][][]byte{d: {t.frame(emptyOps(d.id)), t.frame(emptyOps(d.id)), t.frame(emptyOps(d.id)), t.frame(emptyOps(d.id))}})
	for k, v := range t.fire(map[device][][]byte{d: {t.frame(emptyFields(d.id)), t.frame(emptyFields(d.id)), t.frame(emptyFields(d.id)), t.frame(emptyFields(d.id))}}) {
		out[k] += v
	}
	return out
}

// inflating is a valid sync request of 16 MiB that compresses to a few
// KiB: a field the server does not know, holding 16 MiB of one letter.
func inflating(dev string) []byte {
	head := `{"proto":1,"device":"` + dev + `","pull":false,"padding":"`
	return []byte(head + strings.Repeat("a", syncproto.MaxRawBytes-len(head)-2) + `"}`)
}

// bombs: three devices, twenty frames each at once (their burst), each
// inflating to 16 MiB.
func (t *target) bombs() map[string]int {
	shots := map[device][][]byte{}
	for _, d := range t.devs[:3] {
		f := t.frame(inflating(d.id))
		for i := 0; i < 20; i++ {
			shots[d] = append(shots[d], f)
		}
	}
	return t.fire(shots)
}

// binaryBody is a protocol-2 binary push of nops operations (from seq
// first) of one record, each with fieldsPer empty fields settling
// settlesPer values, and an author of authorLen bytes, new in each
// operation (a string table as large as the payload allows).
func binaryBody(dev string, first uint64, nops, fieldsPer, settlesPer, authorLen int) []byte {
	now := uint64(hlc.New(time.Now().UnixMilli(), 0))
	req := &syncproto.SyncRequest{Proto: 2, Device: dev}
	rec := domain.NewID()
	for i := 0; i < nops; i++ {
		w := syncproto.WireOp{Device: dev, Seq: first + uint64(i), HLC: now + uint64(i), Kind: domain.KindAppeal, Record: rec,
			Council: "NRN-ATB", Action: "update", Fields: map[string]syncproto.WireChange{}}
		if i == 0 { // the record is created first: the server refuses a change of a record it does not hold
			w.Action, w.Fields["council"] = "create", syncproto.WireChange{V: json.RawMessage(`"NRN-ATB"`)}
		}
		if authorLen > 0 {
			w.Author = fmt.Sprintf("%0*d", authorLen, i)
		}
		for f := 0; f < fieldsPer; f++ {
			c := syncproto.WireChange{}
			for k := 0; k < settlesPer; k++ {
				c.S = append(c.S, syncproto.WireVersion{T: now - 1000, D: fmt.Sprintf("d%d", k)})
			}
			w.Fields[fmt.Sprintf("f%x", f)] = c
		}
		req.Ops = append(req.Ops, w)
	}
	raw, err := syncproto.AppendSyncRequest(nil, req)
	if err != nil {
		fail(err)
	}
	return raw
}

// binary: each device sends 20 binary bodies at once, each the next
// operations of the device (so each is decoded and taken, not refused as
// a resend): two devices 262,144 empty fields a body, one 262,144
// settled values, one 2,000 operations with new authors of 8 KiB.
func (t *target) binary() map[string]int {
	shapes := [][4]int{{256, 1024, 0, 0}, {256, 1024, 0, 0}, {64, 64, 64, 0}, {2000, 0, 0, 8000}}
	shots := map[device][][]byte{}
	for i, d := range t.devs {
		sh := shapes[i%len(shapes)]
		for k := 0; k < 20; k++ {
			shots[d] = append(shots[d], t.frame(binaryBody(d.id, uint64(1+k*sh[0]), sh[0], sh[1], sh[2], sh[3])))
		}
	}
	return t.fire(shots)
}

// words make the large operations' text: a few MiB of it compress under
// the frame's 4 MiB as a laptop's would, yet no two operations are alike.
var words = strings.Fields("кеңеш арыз укук жер суу мектеп бала оорукана жол акыйкатчы айыл район облусу сот милиция пенсия")

func text(seed, n int) string {
	var b strings.Builder
	x := uint32(seed)*2654435761 + 1
	for b.Len() < n {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b.WriteString(words[x%uint32(len(words))])
		b.WriteByte(' ')
	}
	return b.String()[:n]
}

// largeBody is a protocol-2 push of nops appeals' creations from seq first,
// each of nfields fields holding valueLen bytes of text.
func largeBody(dev string, first uint64, nops, nfields, valueLen int) []byte {
	now := uint64(hlc.New(time.Now().UnixMilli(), 0))
	req := &syncproto.SyncRequest{Proto: 2, Device: dev}
	for i := 0; i < nops; i++ {
		w := syncproto.WireOp{Device: dev, Seq: first + uint64(i), HLC: now + uint64(i), Kind: domain.KindAppeal, Record: domain.NewID(),
			Council: "NRN-ATB", Action: "create", Fields: map[string]syncproto.WireChange{"council": {V: json.RawMessage(`"NRN-ATB"`)}}}
		for f := 0; f < nfields; f++ {
			v, _ := json.Marshal(text(int(first)+i*nfields+f, valueLen))
			w.Fields[fmt.Sprintf("note_%03d", f)] = syncproto.WireChange{V: v}
		}
		req.Ops = append(req.Ops, w)
	}
	raw, err := syncproto.AppendSyncRequest(nil, req)
	if err != nil {
		fail(err)
	}
	return raw
}

// sync sends a frame as d and decodes the answer.
func (t *target) sync(d device, frame []byte) (*syncproto.SyncResponse, string) {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, t.url+syncproto.PathSync, bytes.NewReader(frame))
	req.Header.Set("Authorization", "Bearer "+d.token)
	req.Header.Set("Content-Type", syncproto.ContentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "error: " + err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		var eb syncproto.ErrorBody
		json.Unmarshal(body, &eb)
		return nil, fmt.Sprintf("%d %s", resp.StatusCode, eb.Code)
	}
	raw, err := t.codec.Decode(body)
	if err != nil {
		return nil, "200 undecodable: " + err.Error()
	}
	sr, err := syncproto.DecodeSyncResponse(raw)
	if err != nil {
		return nil, "200 undecodable: " + err.Error()
	}
	return sr, "200"
}

// large: devices 0 and 1 push 10 change sets each of 12 operations of
// 1 MB (four fields of 250,000 bytes of text, each field just under
// changeset.MaxValueBytes), devices 2 and 3 three change sets
// each of 1,900 operations of 128 fields of 50 bytes (about 8 KiB, at the
// tail's bounds), one change set at a time per device, the four at once;
// then the four pull the whole log at once, twice. Answers count the
// pushes' and pulls' statuses, the operations pulled and refused.
func (t *target) large() map[string]int {
	shapes := [][4]int{{10, 12, 4, 250_000}, {10, 12, 4, 250_000}, {3, 1900, 128, 50}, {3, 1900, 128, 50}}
	var mu sync.Mutex
	answers := map[string]int{}
	count := func(k string, n int) { mu.Lock(); answers[k] += n; mu.Unlock() }
	var logged atomic.Bool // the first refusal's reason is printed
	var wg sync.WaitGroup
	for i, d := range t.devs {
		sh := shapes[i%len(shapes)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			seq := uint64(1)
			for k := 0; k < sh[0]; k++ {
				f := t.frame(largeBody(d.id, seq, sh[1], sh[2], sh[3]))
				for try := 0; ; try++ {
					resp, status := t.sync(d, f)
					if (strings.HasPrefix(status, "429") || strings.HasPrefix(status, "503")) && try < 20 {
						time.Sleep(time.Second) // the device's pace, or the server busy: a laptop tries again
						continue
					}
					count("push "+status, 1)
					if resp != nil {
						for _, r := range resp.Refused {
							count("refused "+string(r.Code), 1)
							if logged.CompareAndSwap(false, true) {
								fmt.Fprintf(os.Stderr, "attackmem: refused %s/%d: %s: %.200s\n", d.id, r.Seq, r.Code, r.Message)
							}
						}
					}
					break
				}
				seq += uint64(sh[1])
			}
		}()
	}
	wg.Wait()
	if peak, err := rss(t.pid, "VmHWM"); err == nil {
		count(fmt.Sprintf("MiB peak after the pushes: %d", peak>>20), 1)
	}
	for round := 0; round < 2; round++ {
		for _, d := range t.devs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var cursor uint64
				for {
					req := &syncproto.SyncRequest{Proto: syncproto.Proto, Cap: syncproto.CurrentCapability, Device: d.id, Cursor: cursor, Pull: true}
					raw, err := syncproto.AppendSyncRequest(nil, req)
					if err != nil {
						fail(err)
					}
					resp, status := t.sync(d, t.frame(raw))
					if strings.HasPrefix(status, "429") {
						time.Sleep(time.Second)
						continue
					}
					if resp == nil {
						count("pull "+status, 1)
						return
					}
					count("pulled", len(resp.Ops)+len(resp.Page))
					cursor = resp.Cursor
					if !resp.More {
						count("pull 200", 1)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	return answers
}

// challenge asks, three times over, 400 at once, each from its own address
// (X-Forwarded-For, the server trusting its proxy), for the Kyrgyz
// recording of one form's challenge: the per-address limits let each
// through, and every request makes its recording.
func (t *target) challenge() map[string]int {
	resp, err := http.Get(t.url + "/public/ky/appeal")
	if err != nil {
		return map[string]int{"form: " + err.Error(): 1}
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`/challenge/([^".]+)\.png`).FindSubmatch(page)
	if m == nil {
		return map[string]int{fmt.Sprintf("form without a challenge (%d)", resp.StatusCode): 1}
	}
	url := t.url + "/public/ky/challenge/" + string(m[1]) + ".wav"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 400}, Timeout: time.Minute}
	answers := map[string]int{}
	var mu sync.Mutex
	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		for i := 0; i < 400; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", round, i/250, i%250+1))
				what := ""
				resp, err := client.Do(req)
				if err != nil {
					what = "error"
				} else {
					n, _ := io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					what = fmt.Sprint(resp.StatusCode)
					if resp.StatusCode == http.StatusOK && n < 10_000 {
						what += " (short)"
					}
				}
				mu.Lock()
				answers[what]++
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	return answers
}
