package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cli runs the command in process, as a script would.
func runCLI(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(ctx, &env{stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}, args)
	return code, out.String(), errb.String()
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serveBG runs "serve" until the test ends and waits for /healthz.
func serveBG(t *testing.T, client *http.Client, scheme string, args ...string) string {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var errb bytes.Buffer
	go func() {
		e := &env{stdout: &bytes.Buffer{}, stderr: &errb, getenv: func(string) string { return "" }}
		done <- run(ctx, e, append([]string{"serve", "--listen", addr, "--log-level", "warn"}, args...))
	}()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, errb.String())
		}
	})
	url := scheme + "://" + addr
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := client.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			return url
		}
	}
	t.Fatalf("server did not come up: %s", errb.String())
	return ""
}

func TestServeRefusesPlainHTTPOnAPublicAddress(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve", "--data", dir, "--listen", "0.0.0.0:0"}, 1, "--tls-cert"},
		{[]string{"serve", "--data", dir, "--listen", ":7480"}, 1, "in clear"},
		{[]string{"serve", "--data", dir, "--tls-cert", "x.pem"}, 1, "both --tls-cert and --tls-key"},
		{[]string{"serve", "--listen", "127.0.0.1:0"}, 2, "--data DIR or --postgres URL"},
		{[]string{"serve", "--data", dir, "--log-level", "loud"}, 2, "--log-level"},
		{[]string{"serve", "--data", dir, "extra"}, 2, "usage"},
		{[]string{"bogus"}, 2, "unknown command"},
	}
	for _, c := range cases {
		code, _, errs := runCLI(ctx, c.args...)
		if code != c.code || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, errs, c.code, c.want)
		}
	}
}

func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	// TLS makes any address acceptable; a test still listens on loopback.
	url := serveBG(t, client, "https", "--data", filepath.Join(dir, "srv"), "--tls-cert", certFile, "--tls-key", keyFile)
	resp, err := client.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Status  string `json:"status"`
		Proto   int    `json:"proto"`
		Version string `json:"version"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil || h.Status != "ok" || resp.TLS == nil {
		t.Fatalf("healthz over TLS: %+v %v", h, err)
	}
	if h.Version != "dev" { // go test builds without the Makefile's release
		t.Errorf("healthz says version %q, want dev", h.Version)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
		code, out, errs := runCLI(context.Background(), args...)
		if code != 0 || !strings.HasPrefix(out, "kenesh-syncserver dev (") || errs != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
}

func TestAdminWithAndWithoutARunningServer(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "srv")
	admin := func(args ...string) (int, string, string) {
		return runCLI(ctx, append([]string{"admin", "--data", dir}, args...)...)
	}

	// No server: the admin command opens the store itself.
	if code, out, errs := admin("council", "add", "--code", "NRN-ATB", "--name", "Ат-Башы коомдук кеңеши", "--oblast", "KG-N"); code != 0 || !strings.Contains(out, "Ат-Башы") {
		t.Fatalf("council add: %d %s %s", code, out, errs)
	}
	if code, _, errs := admin("council", "add", "--code", "X", "--name", "Y", "--oblast", "KG-ZZ"); code != 1 || !strings.Contains(errs, "oblast") {
		t.Fatalf("bad oblast: %d %s", code, errs)
	}
	if code, _, errs := admin("enroll", "--role", "secretary", "--name", "Айгүл"); code != 1 || !strings.Contains(errs, "--council") {
		t.Fatalf("secretary without council: %d %s", code, errs)
	}
	if code, _, errs := admin("enroll", "--role", "mayor", "--name", "Айгүл"); code != 1 || !strings.Contains(errs, "secretary, central") {
		t.Fatalf("unknown role: %d %s", code, errs)
	}
	if code, _, errs := admin("enroll", "--device", "01a21153-0b49-7f01-9325-83417e1d6f9d"); code != 1 || !strings.Contains(errs, "no enrolled device") {
		t.Fatalf("a re-enrollment code for an unknown device: %d %s", code, errs)
	}
	if code, _, errs := admin("revoke", "nope"); code != 1 || !strings.Contains(errs, "no device") {
		t.Fatalf("revoke unknown: %d %s", code, errs)
	}
	if code, _, _ := admin("frobnicate"); code != 2 {
		t.Fatalf("unknown admin command: exit %d", code)
	}
	// The files: nothing held; a blob nothing counts (a put cut between
	// storing and counting it) goes at a sweep.
	if code, out, errs := admin("files"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("files: %d %q %s", code, out, errs)
	}
	orphan := filepath.Join(dir, "files", "blobs", "chunks", "ab", "ab"+strings.Repeat("0", 62)+"~")
	os.MkdirAll(filepath.Dir(orphan), 0o700)
	os.WriteFile(orphan, []byte("sealed"), 0o600)
	code, out, errs := admin("files", "sweep")
	if code != 0 || !strings.Contains(out, `"orphans": 1`) {
		t.Fatalf("files sweep: %d %s %s", code, out, errs)
	}
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Fatalf("the orphan blob is still there: %v", err)
	}
	if code, _, _ := admin("files", "frobnicate"); code != 2 {
		t.Fatalf("unknown files command: exit %d", code)
	}

	// With the server running: the same commands through the control socket.
	serveBG(t, http.DefaultClient, "http", "--data", dir)
	if code, out, errs := admin("files", "sweep"); code != 0 || strings.Count(out, `"released_bytes"`) != 2 {
		t.Fatalf("files sweep on the running server: %d %s %s", code, out, errs)
	}
	code, out, errs = admin("enroll", "--council", "NRN-ATB", "--role", "secretary", "--name", "Ат-Башы ноутбугу", "--ttl", "24h")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) < 2 || len(strings.ReplaceAll(lines[len(lines)-1], "-", "")) != 16 {
		t.Fatalf("enroll: %d %q %s", code, out, errs)
	}
	if code, out, _ := admin("council", "list"); code != 0 || !strings.Contains(out, "NRN-ATB") {
		t.Fatalf("council list while running: %d %s", code, out)
	}
	if code, out, _ := admin("devices"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("devices: %d %q", code, out)
	}

	// Online backup, then restore into a new directory (not into a used one).
	backup := filepath.Join(t.TempDir(), "server.kbk")
	if code, _, errs := admin("backup", backup); code != 0 {
		t.Fatalf("backup: %s", errs)
	}
	if code, _, errs := runCLI(ctx, "restore", "--data", dir, backup); code != 1 || !strings.Contains(errs, "not empty") {
		t.Fatalf("restore over a used directory: %d %s", code, errs)
	}
	damaged := filepath.Join(t.TempDir(), "damaged.kbk")
	b, _ := os.ReadFile(backup)
	os.WriteFile(damaged, b[:len(b)/2], 0o600)
	bad := filepath.Join(t.TempDir(), "bad")
	if code, _, errs := runCLI(ctx, "restore", "--data", bad, "--key-file", dir+".key", damaged); code != 1 || !strings.Contains(errs, "backup") {
		t.Fatalf("restore a cut-off backup: %d %s", code, errs)
	}
	if entries, _ := os.ReadDir(filepath.Join(bad, "db")); len(entries) != 0 {
		t.Fatalf("a failed restore left %d files", len(entries))
	}
	// The backup is encrypted to the server's key: without it, nothing.
	restored := filepath.Join(t.TempDir(), "restored")
	if code, _, errs := runCLI(ctx, "restore", "--data", restored, backup); code != 1 || !strings.Contains(errs, "--key-file") {
		t.Fatalf("restore without the key: %d %s", code, errs)
	}
	if code, _, errs := runCLI(ctx, "restore", "--data", restored, "--key-file", dir+".key", backup); code != 0 {
		t.Fatalf("restore: %s", errs)
	}
	code, out, errs = runCLI(ctx, "admin", "--data", restored, "--key-file", dir+".key", "council", "list")
	if code != 0 || !strings.Contains(out, "Ат-Башы коомдук кеңеши") {
		t.Fatalf("the restored server lost its councils: %d %s %s", code, out, errs)
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kenesh test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestAdminCouncilImport(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "srv")
	file := filepath.Join(t.TempDir(), "councils.json")
	write := func(s string) { os.WriteFile(file, []byte(s), 0o600) }

	write(`[{"code":"NRN-ATB","name":"Ат-Башы коомдук кеңеши","oblast":"KG-N"},{"code":"OSH-NOO","name":"Ноокат","oblast":"KG-O","district":"KG-O-NOO"}]`)
	code, out, errs := runCLI(ctx, "admin", "--data", dir, "council", "import", file)
	if code != 0 || !strings.Contains(out, "OSH-NOO") {
		t.Fatalf("import: %d %s %s", code, out, errs)
	}
	// A bad council anywhere in the file: nothing of the file is saved.
	write(`[{"code":"TLS-BKR","name":"Бакай-Ата","oblast":"KG-T"},{"code":"X","name":"","oblast":"KG-ZZ"}]`)
	if code, _, errs := runCLI(ctx, "admin", "--data", dir, "council", "import", file); code != 1 || !strings.Contains(errs, "council 2") {
		t.Fatalf("a bad file: %d %s", code, errs)
	}
	write(`[{"code":"TLS-BKR","nmae":"Бакай-Ата","oblast":"KG-T"}]`)
	if code, _, errs := runCLI(ctx, "admin", "--data", dir, "council", "import", file); code != 1 || !strings.Contains(errs, `"nmae"`) {
		t.Fatalf("a misspelt field: %d %s", code, errs)
	}
	_, out, _ = runCLI(ctx, "admin", "--data", dir, "council", "list")
	if strings.Contains(out, "TLS-BKR") || !strings.Contains(out, "NRN-ATB") {
		t.Fatalf("councils after a refused import: %s", out)
	}
}

// --metrics-listen serves /metrics on an address of its own; the laptops'
// address does not serve it.
func TestServeMetricsListen(t *testing.T) {
	maddr := freeAddr(t)
	url := serveBG(t, http.DefaultClient, "http", "--data", filepath.Join(t.TempDir(), "srv"), "--metrics-listen", maddr)
	resp, err := http.Get("http://" + maddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "kenesh_requests_total") {
		t.Fatalf("metrics on --metrics-listen: %d\n%.300s", resp.StatusCode, body)
	}
	resp, err = http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/metrics on --listen: %d, want 404", resp.StatusCode)
	}
}
