package syncclient

import (
	"errors"
	"net/http"
	"testing"

	"github.com/kenesh/kenesh/shared/syncproto"
)

// FuzzAnswer: whatever answers (a server, a proxy, a login page, a server
// of another version), the client returns a sync response or an error
// that says what it is, and never panics: a status other than 200 is a
// *syncproto.Error (from the error body, or guessed from the status) or a
// refused redirect; a 200 of another content type is ErrBadAnswer; a
// frame that does not decode is CodeFrame.
func FuzzAnswer(f *testing.F) {
	codec, err := syncproto.DefaultCodec()
	if err != nil {
		f.Fatal(err)
	}
	ok, _ := codec.EncodeJSON(syncproto.SyncResponse{Proto: 1, Acked: 3, Cursor: 9, Refused: []syncproto.Refusal{{Seq: 2, Code: syncproto.CodeForbidden,
		Message: "m", Fields: []syncproto.FieldReason{{Field: "published", Code: "not_allowed"}}}}}, 1)
	f.Add(200, syncproto.ContentType, "", ok)
	f.Add(409, "application/json", "", []byte(`{"code":"gap","message":"m","acked":7}`))
	f.Add(400, "application/json", "", []byte(`{"code":"invalid","message":"m","fields":[{"field":"oblast","code":"unknown_code"},{}]}`))
	f.Add(426, "application/json", "", []byte(`{"code":"protocol","message":"m","min_proto":2,"proto":3}`))
	f.Add(429, "", "7", []byte(nil))
	f.Add(502, "text/html", "", []byte("<html>bad gateway</html>"))
	f.Add(200, "text/html; charset=utf-8", "", []byte("<html>log in</html>"))
	f.Add(307, "", "", []byte(nil))
	f.Add(200, syncproto.ContentType, "", []byte("KNF1\x00\x00\x00\x01\xff\xff\xff\xff\x00\x00\x00\x00garbage"))
	f.Add(403, "application/json", "-1", []byte(`{"code":"quota_exceeded","message":"newer","fields":null}`))
	f.Fuzz(func(t *testing.T, status int, contentType, retryAfter string, body []byte) {
		if status < 100 || status > 999 {
			return
		}
		resp := &http.Response{StatusCode: status, Status: http.StatusText(status), Header: http.Header{}}
		resp.Header.Set("Content-Type", contentType)
		resp.Header.Set("Retry-After", retryAfter)
		resp.Header.Set("Location", "http://elsewhere.example/")
		data, err := answer(resp, body, syncproto.ContentType)
		switch {
		case err != nil:
			var e *syncproto.Error
			if status == http.StatusOK || (status >= 300 && status < 400) {
				if !errors.Is(err, ErrBadAnswer) {
					t.Fatalf("%d: %v, want ErrBadAnswer", status, err)
				}
				return
			}
			if !errors.As(err, &e) || e.Code == "" || e.RetryAfter < 0 {
				t.Fatalf("%d: %v is not the protocol's error", status, err)
			}
			_ = e.Error()
			_ = e.Unwrap()
			_ = syncproto.FieldReasons(err)
		default:
			var out syncproto.SyncResponse
			if err := codec.DecodeJSON(data, &out); err != nil && !errors.Is(err, syncproto.ErrFrame) {
				t.Fatalf("a frame that does not decode: %v, want ErrFrame", err)
			}
		}
	})
}
