package syncclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/kenesh/kenesh/shared/syncproto"
)

// StallTimeout is how long a files request may go without a byte moving
// either way before it is given up: a transfer on a 2G link takes
// minutes, so files requests have no overall deadline, only this one.
const StallTimeout = 90 * time.Second

// ErrNoFiles means the server does not carry files: a server from before
// capability 6. The laptop keeps its files to itself and syncs records.
var ErrNoFiles = errors.New("the server does not carry files yet (it is older than this laptop's Kenesh): files stay on this laptop; records sync as before")

// Have asks which chunks of records the server holds (one request for
// many chunks).
func (c *Client) Have(ctx context.Context, req *syncproto.HaveRequest) (*syncproto.HaveResponse, error) {
	if req.Proto == 0 {
		req.Proto = c.proto()
	}
	if req.Cap == 0 {
		req.Cap = syncproto.CurrentCapability
	}
	var out syncproto.HaveResponse
	if err := c.framed(ctx, syncproto.PathFilesHave, req, &out); err != nil {
		return nil, err
	}
	if len(out.Records) != len(req.Records) {
		return nil, fmt.Errorf("files: %w: it answered for %d records, asked about %d", ErrBadAnswer, len(out.Records), len(req.Records))
	}
	for i, a := range out.Records {
		if a.RecordRef != req.Records[i].RecordRef {
			return nil, fmt.Errorf("files: %w: it answered for %s %s, asked about %s %s", ErrBadAnswer, a.Kind, a.Record, req.Records[i].Kind, req.Records[i].Record)
		}
	}
	return &out, nil
}

// MaterialCopies asks what every council's laptop holds of each material
// (trainers and central staff).
func (c *Client) MaterialCopies(ctx context.Context) (*syncproto.MaterialCopies, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base.String()+syncproto.PathMaterialCopies, nil)
	if err != nil {
		return nil, err
	}
	c.authorize(hr)
	resp, err := c.hc.Do(hr)
	if err != nil {
		return nil, unreachable(err)
	}
	defer resp.Body.Close()
	c.noteDate(resp)
	data, err := io.ReadAll(io.LimitReader(resp.Body, syncproto.MaxFrameBytes+1))
	if err != nil {
		return nil, unreachable(err)
	}
	if data, err = answer(resp, data, syncproto.ContentType); err != nil {
		return nil, noFiles(err)
	}
	var out syncproto.MaterialCopies
	if err := c.codec.DecodeJSON(data, &out); err != nil {
		return nil, &syncproto.Error{Code: syncproto.CodeFrame, Message: "the server's answer arrived damaged or cut off: " + err.Error()}
	}
	return &out, nil
}

// OutChunk is a chunk to send, as it travels (syncproto.EncodeChunk).
type OutChunk struct {
	Sum     [32]byte
	Enc     syncproto.ChunkEncoding
	Payload []byte
}

// PutChunks sends chunks of the files record names, one after another in
// one request: next gives the next chunk (nil when there are no more),
// called as the request is written, so only one chunk is held at a time.
// The server keeps every chunk that reached it whole, even when the
// request is cut: after an error, ask again (Have) what it holds.
func (c *Client) PutChunks(ctx context.Context, ref syncproto.RecordRef, next func() (*OutChunk, error)) (*syncproto.PutResponse, error) {
	ctx, guard := stallGuard(ctx)
	defer guard.stop()
	pr, pw := io.Pipe()
	var nextErr error // an error of next, not of the network
	done := make(chan struct{})
	go func() {
		defer close(done)
		w := syncproto.NewChunkWriter(guardWriter{pw, guard})
		err := w.Start()
		for err == nil {
			var ch *OutChunk
			if ch, err = next(); err != nil {
				nextErr = err
				break
			}
			if ch == nil {
				break
			}
			err = w.Write(ch.Sum, ch.Enc, ch.Payload)
		}
		pw.CloseWithError(err)
	}()
	q := url.Values{syncproto.PutKind: {ref.Kind}, syncproto.PutRecord: {ref.Record}}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.String()+syncproto.PathFilesPut+"?"+q.Encode(), pr)
	if err != nil {
		pr.Close()
		<-done
		return nil, err
	}
	hr.Header.Set("Content-Type", syncproto.ChunkContentType)
	c.authorize(hr)
	resp, err := c.files.Do(hr)
	// The writer stops at its next write if the server answered before
	// reading everything (a refusal).
	pr.CloseWithError(errors.New("the request is over"))
	<-done
	if nextErr != nil {
		return nil, nextErr
	}
	if err != nil {
		return nil, guard.explain(unreachable(err))
	}
	defer resp.Body.Close()
	c.noteDate(resp)
	data, err := io.ReadAll(io.LimitReader(guardReader{resp.Body, guard}, 1<<20))
	if err != nil {
		return nil, guard.explain(unreachable(err))
	}
	if data, err = answer(resp, data, syncproto.ContentType); err != nil {
		return nil, noFiles(err)
	}
	var out syncproto.PutResponse
	if err := c.codec.DecodeJSON(data, &out); err != nil {
		return nil, &syncproto.Error{Code: syncproto.CodeFrame, Message: "the server's answer arrived damaged or cut off: " + err.Error()}
	}
	return &out, nil
}

// GetChunks asks for chunks of one record's files and gives each one to
// fn as it arrives, decoded and checked against its SHA-256 (a status,
// ChunkAbsent or ChunkNotNamed, with no content). Chunks come in the
// order asked; one that was not asked for is an impossible answer. When
// the answer is cut off, fn has had every chunk that arrived whole and
// the error says it was cut (CodeUnreachable); a damaged chunk is an
// error wrapping syncproto.ErrChunk, and nothing of it reaches fn.
func (c *Client) GetChunks(ctx context.Context, req *syncproto.GetRequest, fn func(*syncproto.StreamChunk) error) error {
	if req.Proto == 0 {
		req.Proto = c.proto()
	}
	if req.Cap == 0 {
		req.Cap = syncproto.CurrentCapability
	}
	frame, err := c.codec.EncodeJSON(req, c.Dict())
	if err != nil {
		return err
	}
	ctx, guard := stallGuard(ctx)
	defer guard.stop()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.String()+syncproto.PathFilesGet, bytes.NewReader(frame))
	if err != nil {
		return err
	}
	hr.Header.Set("Content-Type", syncproto.ContentType)
	hr.Header.Set(syncproto.HeaderDicts, dictList(c.codec.Dicts()))
	c.authorize(hr)
	resp, err := c.files.Do(hr)
	if err != nil {
		return guard.explain(unreachable(err))
	}
	defer resp.Body.Close()
	c.noteDate(resp)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != syncproto.ChunkContentType {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		_, err := answer(resp, data, syncproto.ChunkContentType)
		if err == nil {
			err = fmt.Errorf("files: %w: it answered HTTP %s", ErrBadAnswer, resp.Status)
		}
		return noFiles(err)
	}
	body := &endReader{r: guardReader{resp.Body, guard}}
	r := syncproto.NewChunkReader(body)
	for i := 0; ; i++ {
		ch, err := r.Next()
		if errors.Is(err, io.ErrUnexpectedEOF) && body.ended {
			// The answer arrived whole (its HTTP framing ended cleanly:
			// a dropped line ends it with an unexpected EOF instead) but
			// the stream in it ends inside a chunk: a chunk's size was
			// damaged on the way. Like any damaged chunk, it is fetched
			// again rather than taken for a server out of reach.
			return fmt.Errorf("%w: the answer ends inside chunk %d (damaged on the way): %v", syncproto.ErrChunk, i+1, err)
		}
		if err == io.EOF {
			if i < len(req.Chunks) {
				return &syncproto.Error{Code: syncproto.CodeUnreachable, Message: fmt.Sprintf("the answer ended after %d of %d chunks", i, len(req.Chunks))}
			}
			return nil
		}
		if errors.Is(err, syncproto.ErrChunk) {
			return err
		}
		if err != nil {
			return guard.explain(unreachable(err))
		}
		if i >= len(req.Chunks) || ch.Hex() != req.Chunks[i] {
			return fmt.Errorf("files: %w: chunk %d of the answer is not the one asked for", ErrBadAnswer, i+1)
		}
		if err := fn(ch); err != nil {
			return err
		}
	}
}

// framed posts v in a frame to path and decodes the framed answer into out.
func (c *Client) framed(ctx context.Context, path string, v, out any) error {
	frame, err := c.codec.EncodeJSON(v, c.Dict())
	if err != nil {
		return err
	}
	data, err := c.post(ctx, path, syncproto.ContentType, frame, syncproto.MaxFrameBytes+1, dictList(c.codec.Dicts()))
	if err != nil {
		return noFiles(err)
	}
	if err := c.codec.DecodeJSON(data, out); err != nil {
		return &syncproto.Error{Code: syncproto.CodeFrame, Message: "the server's answer arrived damaged or cut off: " + err.Error()}
	}
	return nil
}

func (c *Client) authorize(hr *http.Request) {
	c.mu.Lock()
	token := c.token
	c.mu.Unlock()
	if token != "" {
		hr.Header.Set("Authorization", "Bearer "+token)
	}
}

// noFiles turns a server's "no such endpoint" (a server before capability
// 6 answers every unknown path so) into ErrNoFiles.
func noFiles(err error) error {
	var e *syncproto.Error
	if errors.As(err, &e) && e.Code == syncproto.CodeInvalid && len(e.Message) > 17 && e.Message[:17] == "no such endpoint:" {
		return fmt.Errorf("%w (%v)", ErrNoFiles, err)
	}
	return err
}

// guard cancels a request when no byte has moved for StallTimeout.
type guard struct {
	cancel  context.CancelFunc
	mu      sync.Mutex
	timer   *time.Timer
	stalled bool
}

func stallGuard(ctx context.Context) (context.Context, *guard) {
	ctx, cancel := context.WithCancel(ctx)
	g := &guard{cancel: cancel}
	g.timer = time.AfterFunc(StallTimeout, func() {
		g.mu.Lock()
		g.stalled = true
		g.mu.Unlock()
		cancel()
	})
	return ctx, g
}

func (g *guard) moved() { g.timer.Reset(StallTimeout) }

func (g *guard) stop() { g.timer.Stop(); g.cancel() }

// explain says that a request given up for a stall was one.
func (g *guard) explain(err error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stalled {
		return &syncproto.Error{Code: syncproto.CodeUnreachable, Message: fmt.Sprintf("nothing moved for %s: the connection is given up and the transfer goes on later", StallTimeout)}
	}
	return err
}

type guardReader struct {
	r io.Reader
	g *guard
}

func (r guardReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.g.moved()
	}
	return n, err
}

// endReader notes whether r ended cleanly (io.EOF), which an HTTP
// response body does only when all of it arrived.
type endReader struct {
	r     io.Reader
	ended bool
}

func (r *endReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err == io.EOF {
		r.ended = true
	}
	return n, err
}

type guardWriter struct {
	w io.Writer
	g *guard
}

func (w guardWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if n > 0 {
		w.g.moved()
	}
	return n, err
}
