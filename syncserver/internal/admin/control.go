package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/syncserver/internal/auth"
	"github.com/kenesh/kenesh/syncserver/internal/files"
	"github.com/kenesh/kenesh/syncserver/internal/public"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// SocketName is the control socket inside the server's data directory.
// Badger locks the directory while the server runs, so administration
// goes through this socket; only the server's user can open it (0600 in a
// 0700 directory).
const SocketName = "control.sock"

// maxSocketPath is what sockaddr_un holds on Linux (108 bytes with the NUL).
const maxSocketPath = 107

// backupErrTrailer carries a backup's failure after the stream began.
const backupErrTrailer = "Kenesh-Backup-Error"

// SocketPath is the control socket of the server whose data is in dataDir.
func SocketPath(dataDir string) string { return filepath.Join(dataDir, SocketName) }

// controlError is the JSON body of a failed control request.
type controlError struct {
	Error string `json:"error"`
	Input bool   `json:"input,omitempty"` // the administrator must correct the request
}

// Handler serves svc on the control socket.
func Handler(svc Service, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any, err error) {
		if err != nil {
			status := http.StatusInternalServerError
			if errors.Is(err, auth.ErrInput) {
				status = http.StatusBadRequest
			} else {
				log.Error("admin request failed", "err", err)
			}
			writeJSON(w, status, controlError{Error: err.Error(), Input: status == http.StatusBadRequest})
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
	decode := func(w http.ResponseWriter, r *http.Request, v any) bool {
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(v); err != nil {
			writeJSON(w, http.StatusBadRequest, controlError{Error: "request: " + err.Error(), Input: true})
			return false
		}
		return true
	}
	mux.HandleFunc("GET /backup-recipient", func(w http.ResponseWriter, r *http.Request) {
		rcpt, err := svc.BackupRecipient(r.Context())
		reply(w, map[string]string{"recipient": rcpt}, err)
	})
	mux.HandleFunc("GET /councils", func(w http.ResponseWriter, r *http.Request) {
		cs, err := svc.Councils(r.Context())
		reply(w, cs, err)
	})
	mux.HandleFunc("POST /councils", func(w http.ResponseWriter, r *http.Request) {
		var c domain.Council
		if decode(w, r, &c) {
			out, err := svc.AddCouncil(r.Context(), c)
			reply(w, out, err)
		}
	})
	mux.HandleFunc("POST /enroll", func(w http.ResponseWriter, r *http.Request) {
		var req auth.IssueRequest
		if decode(w, r, &req) {
			out, err := svc.Enroll(r.Context(), req)
			reply(w, out, err)
		}
	})
	mux.HandleFunc("GET /devices", func(w http.ResponseWriter, r *http.Request) {
		ds, err := svc.Devices(r.Context())
		reply(w, ds, err)
	})
	mux.HandleFunc("POST /devices/{id}/revoke", func(w http.ResponseWriter, r *http.Request) {
		d, err := svc.Revoke(r.Context(), r.PathValue("id"))
		reply(w, d, err)
	})
	mux.HandleFunc("GET /backup", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", backupErrTrailer)
		w.Header().Set("Content-Type", "application/zstd")
		w.WriteHeader(http.StatusOK)
		if err := svc.Backup(r.Context(), w); err != nil {
			log.Error("backup failed", "err", err)
			w.Header().Set(backupErrTrailer, err.Error())
		}
	})
	mux.HandleFunc("GET /public-challenge", func(w http.ResponseWriter, r *http.Request) {
		on, err := svc.PublicChallenge(r.Context(), nil)
		reply(w, challengeState{On: on}, err)
	})
	mux.HandleFunc("POST /public-challenge", func(w http.ResponseWriter, r *http.Request) {
		var req challengeState
		if decode(w, r, &req) {
			on, err := svc.PublicChallenge(r.Context(), &req.On)
			if err == nil {
				log.Info("the citizens' form's challenge switched", "on", on)
			}
			reply(w, challengeState{On: on}, err)
		}
	})
	mux.HandleFunc("GET /files", func(w http.ResponseWriter, r *http.Request) {
		u, err := svc.FilesUsage(r.Context())
		reply(w, u, err)
	})
	mux.HandleFunc("POST /files/sweep", func(w http.ResponseWriter, r *http.Request) {
		rs, err := svc.SweepFiles(r.Context())
		if err == nil {
			log.Info("files swept by the administrator", "sweeps", rs)
		}
		reply(w, rs, err)
	})
	mux.HandleFunc("GET /public-export", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		w.Header().Set("Trailer", backupErrTrailer)
		w.Header().Set("Content-Type", "application/x-tar")
		w.WriteHeader(http.StatusOK)
		if err := svc.PublicExport(r.Context(), w, public.ExportOptions{Base: q.Get("base"), Server: q.Get("server"), Licence: q.Get("licence")}); err != nil {
			log.Error("public export failed", "err", err)
			w.Header().Set(backupErrTrailer, err.Error())
		}
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// ListenSocket listens on the control socket of dataDir, readable and
// writable by the owner only. A socket left by a server that died is
// replaced; one that a running server answers on is not.
func ListenSocket(dataDir string) (net.Listener, error) {
	path := SocketPath(dataDir)
	if len(path) > maxSocketPath {
		return nil, fmt.Errorf("control socket %s: the path is longer than %d bytes; use a shorter --data directory", path, maxSocketPath)
	}
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("control socket %s: another server answers on it", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	ln, err := listenPrivate(path)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return ln, nil
}

// ErrNoServer is returned by Dial when no server answers on the control
// socket: the store can be opened directly.
var ErrNoServer = errors.New("no server is running on this data directory")

// Client is the Service of a running server, reached through its control
// socket.
type Client struct {
	hc *http.Client
}

// Dial connects to the server running on dataDir, or returns ErrNoServer.
func Dial(ctx context.Context, dataDir string) (*Client, error) {
	path := SocketPath(dataDir)
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
			return nil, ErrNoServer
		}
		if errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("control socket %s: permission denied: run the admin command as the server's user", path)
		}
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	c.Close()
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return d.DialContext(ctx, "unix", path)
	}}
	return &Client{hc: &http.Client{Transport: tr}}, nil
}

// Close drops the client's connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://kenesh-control"+path, body)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var ce controlError
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ce); err != nil || ce.Error == "" {
			return fmt.Errorf("control socket: %s", resp.Status)
		}
		if ce.Input {
			// The message already says what was wrong with the input.
			return inputError{ce.Error}
		}
		return errors.New(ce.Error)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("control socket: the server's answer is not understood: %w", err)
	}
	return nil
}

// inputError keeps errors.Is(err, auth.ErrInput) working across the socket
// without repeating the "invalid input" prefix the message already has.
type inputError struct{ msg string }

func (e inputError) Error() string { return e.msg }
func (e inputError) Unwrap() error { return auth.ErrInput }

// AddCouncil implements Service.
func (c *Client) AddCouncil(ctx context.Context, co domain.Council) (*domain.Council, error) {
	var out domain.Council
	return &out, c.do(ctx, http.MethodPost, "/councils", co, &out)
}

// Enroll implements Service.
func (c *Client) Enroll(ctx context.Context, req auth.IssueRequest) (*auth.Issued, error) {
	var out auth.Issued
	return &out, c.do(ctx, http.MethodPost, "/enroll", req, &out)
}

// Devices implements Service.
func (c *Client) Devices(ctx context.Context) ([]store.Device, error) {
	var out []store.Device
	return out, c.do(ctx, http.MethodGet, "/devices", nil, &out)
}

// Revoke implements Service.
func (c *Client) Revoke(ctx context.Context, id string) (*store.Device, error) {
	var out store.Device
	return &out, c.do(ctx, http.MethodPost, "/devices/"+url.PathEscape(id)+"/revoke", nil, &out)
}

// BackupRecipient implements Service.
func (c *Client) BackupRecipient(ctx context.Context) (string, error) {
	var out struct {
		Recipient string `json:"recipient"`
	}
	return out.Recipient, c.do(ctx, http.MethodGet, "/backup-recipient", nil, &out)
}

// Councils implements Service.
func (c *Client) Councils(ctx context.Context) ([]domain.Council, error) {
	var out []domain.Council
	return out, c.do(ctx, http.MethodGet, "/councils", nil, &out)
}

// Backup implements Service: the running server streams a consistent
// snapshot while it goes on serving.
func (c *Client) Backup(ctx context.Context, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://kenesh-control/backup", nil)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("backup: control socket: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("backup: the server answered %s", resp.Status)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if msg := resp.Trailer.Get(backupErrTrailer); msg != "" {
		return fmt.Errorf("backup: the server failed: %s", msg)
	}
	return nil
}

// FilesUsage implements Service.
func (c *Client) FilesUsage(ctx context.Context) ([]files.OwnerUsage, error) {
	var out []files.OwnerUsage
	return out, c.do(ctx, http.MethodGet, "/files", nil, &out)
}

// SweepFiles implements Service: the running server sweeps.
func (c *Client) SweepFiles(ctx context.Context) ([]files.SweepReport, error) {
	var out []files.SweepReport
	return out, c.do(ctx, http.MethodPost, "/files/sweep", struct{}{}, &out)
}

// challengeState is the body of /public-challenge, both ways.
type challengeState struct {
	On bool `json:"on"`
}

// PublicChallenge implements Service.
func (c *Client) PublicChallenge(ctx context.Context, set *bool) (bool, error) {
	var out challengeState
	if set == nil {
		return out.On, c.do(ctx, http.MethodGet, "/public-challenge", nil, &out)
	}
	return out.On, c.do(ctx, http.MethodPost, "/public-challenge", challengeState{On: *set}, &out)
}

// PublicExport implements Service: the running server writes the register
// from its projection as it serves.
func (c *Client) PublicExport(ctx context.Context, w io.Writer, o public.ExportOptions) error {
	q := url.Values{"base": {o.Base}, "server": {o.Server}, "licence": {o.Licence}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://kenesh-control/public-export?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("public export: control socket: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("public export: the server answered %s", resp.Status)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("public export: %w", err)
	}
	if msg := resp.Trailer.Get(backupErrTrailer); msg != "" {
		return fmt.Errorf("public export: the server failed: %s", msg)
	}
	return nil
}
