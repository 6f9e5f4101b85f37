package api

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/syncserver/internal/files"
	"github.com/kenesh/kenesh/syncserver/internal/middleware"
	"github.com/kenesh/kenesh/syncserver/internal/store"
)

// filesCost is what a files request is charged of the decode budget: a
// chunk as carried, its content, and its sealed blob, or a have request's
// frame and its decoding.
const filesCost = 4 << 20

// filesPutCost is a put's: a chunk as carried and its content, the batch
// being read (up to a chunk over files.PutBatchBytes), and the two being
// stored with their sealed blobs.
const filesPutCost = 2<<20 + 5*(files.PutBatchBytes+domain.MaxChunkSize+64<<10)

// handleFiles serves one files endpoint (capability 6), or "no such
// endpoint" when the server keeps no files (Config.Files nil).
func (h *Handler) handleFiles(method string, cost int64, serve func(w http.ResponseWriter, r *http.Request, dev *store.Device) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.cfg.Files == nil {
			writeJSON(w, http.StatusNotFound, syncproto.ErrorBody{Code: syncproto.CodeInvalid, Message: "no such endpoint: " + r.URL.Path})
			return
		}
		if r.Method != method {
			w.Header().Set("Allow", method)
			writeJSON(w, http.StatusMethodNotAllowed, syncproto.ErrorBody{Code: syncproto.CodeInvalid, Message: "use " + method})
			return
		}
		dev, ok := h.device(w, r)
		if !ok {
			return
		}
		release, ok := h.decode.Take(r.Context(), cost)
		if !ok {
			h.cfg.Metrics.busy.WithLabelValues("decode").Inc()
			h.fail(w, r, errBusy)
			return
		}
		defer release()
		if err := serve(w, r, dev); err != nil {
			h.fail(w, r, err)
			return
		}
		h.cfg.Presence.Touch(dev.ID, h.now())
	})
}

// device authenticates a request and applies the device's rate limit; it
// has answered when it returns false.
func (h *Handler) device(w http.ResponseWriter, r *http.Request) (*store.Device, bool) {
	ri := middleware.InfoOf(r)
	dev, err := h.cfg.Auth.Authenticate(r.Context(), bearer(r))
	if err != nil {
		h.fail(w, r, err)
		return nil, false
	}
	ri.Device = dev.ID
	if ok, wait := h.dev.Allow(dev.ID, h.now()); !ok {
		w.Header().Set("Retry-After", retryAfter(wait))
		ri.Code = string(syncproto.CodeRateLimited)
		writeError(w, syncproto.CodeRateLimited, fmt.Sprintf("too many requests from this laptop; wait %ss", retryAfter(wait)), 0)
		return nil, false
	}
	return dev, true
}

// readFilesRequest reads a framed have or get request into v.
func (h *Handler) readFilesRequest(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && ct != syncproto.ContentType {
		return perr(syncproto.CodeInvalid, "Content-Type %q: a files request is %s", ct, syncproto.ContentType)
	}
	frame, err := readBody(r, syncproto.MaxFrameBytes)
	if err != nil {
		return readErr(err, syncproto.MaxFrameBytes)
	}
	if n, ok := syncproto.DecodedLen(frame); ok && n > syncproto.MaxFilesRequestBytes {
		return perr(syncproto.CodeTooLarge, "a files request of %d bytes, at most %d", n, syncproto.MaxFilesRequestBytes)
	}
	raw, err := h.cfg.Codec.Decode(frame)
	if err != nil {
		return perr(syncproto.CodeFrame, "%v", err)
	}
	if err := syncproto.DecodeFilesRequest(raw, v); err != nil {
		if errors.Is(err, syncproto.ErrLimit) {
			return perr(syncproto.CodeTooLarge, "%v", err)
		}
		return perr(syncproto.CodeFrame, "%v", err)
	}
	return nil
}

// writeFrame answers v in a frame, with the best dictionary the laptop
// has.
func (h *Handler) writeFrame(w http.ResponseWriter, r *http.Request, v any) error {
	raw, err := syncproto.Marshal(v)
	if err != nil {
		return err
	}
	out, err := h.cfg.Codec.Encode(raw, h.bestDict(r.Header.Get(syncproto.HeaderDicts)))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", syncproto.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.Write(out)
	return nil
}

func (h *Handler) filesHave(w http.ResponseWriter, r *http.Request, dev *store.Device) error {
	var req syncproto.HaveRequest
	if err := h.readFilesRequest(r, &req); err != nil {
		return err
	}
	resp, err := h.cfg.Files.Have(r.Context(), dev, &req)
	if err != nil {
		return err
	}
	return h.writeFrame(w, r, resp)
}

func (h *Handler) filesPut(w http.ResponseWriter, r *http.Request, dev *store.Device) error {
	if ct := r.Header.Get("Content-Type"); ct != syncproto.ChunkContentType {
		return perr(syncproto.CodeInvalid, "Content-Type %q: a put is a chunk stream, %s", ct, syncproto.ChunkContentType)
	}
	q := r.URL.Query()
	ref := syncproto.RecordRef{Kind: q.Get(syncproto.PutKind), Record: q.Get(syncproto.PutRecord)}
	cr := syncproto.NewChunkReader(r.Body) // LimitBody bounds it
	resp, err := h.cfg.Files.Put(r.Context(), dev, ref, cr)
	h.cfg.Metrics.bytes.WithLabelValues("in", "files").Add(float64(cr.Bytes()))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return perr(syncproto.CodeTooLarge, "a put of more than %d bytes: the chunks before were kept", syncproto.MaxPutBytes)
		}
		return err
	}
	return h.writeFrame(w, r, resp)
}

// countWriter counts what a get answers.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (h *Handler) filesGet(w http.ResponseWriter, r *http.Request, dev *store.Device) error {
	var req syncproto.GetRequest
	if err := h.readFilesRequest(r, &req); err != nil {
		return err
	}
	cw := &countWriter{w: w}
	err := h.cfg.Files.Get(r.Context(), dev, &req, func() io.Writer {
		w.Header().Set("Content-Type", syncproto.ChunkContentType)
		w.WriteHeader(http.StatusOK)
		return cw
	})
	h.cfg.Metrics.bytes.WithLabelValues("out", "files").Add(float64(cw.n))
	return err
}

func (h *Handler) materialCopies(w http.ResponseWriter, r *http.Request, dev *store.Device) error {
	resp, err := h.cfg.Files.MaterialCopies(r.Context(), dev)
	if err != nil {
		return err
	}
	return h.writeFrame(w, r, resp)
}
