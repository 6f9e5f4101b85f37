package session

import (
	"errors"
	"fmt"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/files"
	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/desktop/internal/syncer"
	"github.com/kenesh/kenesh/internal/badgerdb"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/syncproto"
	"github.com/kenesh/kenesh/shared/syncproto/syncclient"
)

// What the sync reports is classified by what the error is: the server's
// code, a refusal's fields, the laptop's own findings; a message that only
// reads like one (the server's free text) is not taken for it.
func TestCodeOfSyncErrors(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&syncproto.Error{Code: syncproto.CodeRevoked, Message: "this laptop (Ат-Башы) was revoked"}, ProblemRevoked},
		{fmt.Errorf("sync: %w", &syncproto.Error{Code: syncproto.CodeUnreachable}), ProblemUnreachable},
		{syncproto.CheckProto(0), ProblemProtocol},
		{fmt.Errorf("open: %w", &store.NewerFormatError{Found: badgerdb.Stamp{Format: 2, Release: "0.7.0"}}), ProblemNewerData},
		{&syncproto.Error{Code: syncproto.CodeWrongCouncil, Message: "another council's"}, ProblemForbidden},
		{&syncproto.Error{Code: syncproto.CodeInvalid, Message: "council is not valid",
			Fields: []syncproto.FieldReason{{Field: "oblast", Code: domain.CodeUnknown}}}, ProblemInvalid},
		{&syncproto.Error{Code: syncproto.CodeInvalid, Message: "sequence numbers start at 1"}, ProblemOther},
		{&syncproto.Error{Code: "quota_exceeded", Message: "a newer server's code"}, ProblemOther},
		{fmt.Errorf("files: %w", &syncproto.Error{Code: syncproto.CodeQuota, Message: "council NRN-ATB: 2.0 GiB of 2.0 GiB"}), ProblemQuota},
		{fmt.Errorf("open: %w", files.ErrNotDownloaded), ProblemNotDownloaded},
		{fmt.Errorf("fetch: %w (10 MiB free)", files.ErrNoRoom), ProblemNoRoomForFiles},
		{&syncer.ClockError{}, ProblemClockWrong},
		{fmt.Errorf("%w: it redirects", syncclient.ErrBadAnswer), ProblemBadAnswer},
		{fmt.Errorf("x: %w", syncclient.ErrPlainHTTP), ProblemPlainHTTP},
		// Text that reads like a sentinel's is only text.
		{errors.New("server: " + syncproto.ErrRevoked.Error()), ProblemOther},
	} {
		if got := Code(c.err); got != c.want {
			t.Errorf("Code(%v) = %s, want %s", c.err, got, c.want)
		}
	}
}
