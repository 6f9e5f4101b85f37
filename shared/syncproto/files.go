package syncproto

import (
	"encoding/json"
	"fmt"
	"time"
)

// Files endpoints (capability 6). A file's content travels apart from the
// record that names it, in chunks addressed by their SHA-256, after the
// record's operations: a laptop asks which chunks the server holds
// (PathFilesHave), sends the missing ones (PathFilesPut), and fetches the
// ones it lacks (PathFilesGet). Every chunk is reached through a record:
// the device names the record (kind and id), and the server answers only
// for the chunks that record's state names, and only if the device may
// read the record. So no device learns anything of a chunk by its hash
// alone (no hash oracle), and none receives a chunk of a file it may not
// see.
const (
	PathFilesHave = "/v1/files/have"
	PathFilesPut  = "/v1/files/put"
	PathFilesGet  = "/v1/files/get"
	// PathMaterialCopies lists what councils' laptops hold of each
	// material (GET; trainers and central staff).
	PathMaterialCopies = "/v1/materials/copies"
)

// Limits of the files endpoints.
const (
	// MaxFilesRequestBytes bounds the decoded JSON of a have or get
	// request, and so what decoding one allocates.
	MaxFilesRequestBytes = 1 << 20
	// MaxHaveChunks bounds the chunks one have request asks about, over
	// all its records: more than a material of MaxMaterialSize has.
	MaxHaveChunks = 10_000
	// MaxGetChunks and MaxGetBytes bound one get request: what it asks
	// for, by the sizes the records name. A laptop on a slow link asks
	// for less (a request of about a minute).
	MaxGetChunks = 256
	MaxGetBytes  = 16 << 20
	// MaxPutChunks and MaxPutBytes bound one put request's chunk stream
	// (its chunks as sent, headers included).
	MaxPutChunks = 256
	MaxPutBytes  = 16 << 20
	// The query parameters of a put: the record the chunks are for.
	PutKind   = "kind"
	PutRecord = "record"
)

// RecordRef names a record.
type RecordRef struct {
	Kind   string `json:"kind"`
	Record string `json:"record"`
}

// HaveRequest asks which chunks of records the server holds (a frame;
// capability 6).
type HaveRequest struct {
	Proto   int               `json:"proto"`
	Cap     CapabilityVersion `json:"cap,omitempty"`
	Records []HaveRecord      `json:"records"`
}

// HaveRecord is one record and chunks (SHA-256 in hex) of the files its
// state names.
type HaveRecord struct {
	RecordRef
	Chunks []string `json:"chunks"`
}

// HaveResponse answers a HaveRequest record by record, in its order.
type HaveResponse struct {
	Proto   int          `json:"proto"`
	Records []HaveAnswer `json:"records"`
}

// HaveAnswer is what the server says of one record's chunks. Code is ""
// when the device may read the record and the server holds it; else
// CodeNotFound (it holds no such record that this device may read: the
// same answer for both) and nothing else is said. Missing are the chunks
// asked about that the record names and the server does not hold;
// NotNamed those the record (as the server holds it) does not name, of
// which the server says nothing more.
type HaveAnswer struct {
	RecordRef
	Code     Code     `json:"code,omitempty"`
	Missing  []string `json:"missing,omitempty"`
	NotNamed []string `json:"not_named,omitempty"`
}

// GetRequest asks for chunks of one record's files (a frame; capability
// 6). The answer is a chunk stream (ChunkWriter) carrying, in the order
// asked, each chunk, or why it is not there.
type GetRequest struct {
	Proto int               `json:"proto"`
	Cap   CapabilityVersion `json:"cap,omitempty"`
	RecordRef
	Chunks []string `json:"chunks"`
}

// PutResponse answers a put: how many of the stream's chunks the server
// stored now and how many it held already (capability 6).
type PutResponse struct {
	Proto  int   `json:"proto"`
	Stored int   `json:"stored"`
	Held   int   `json:"held"`
	Bytes  int64 `json:"bytes"` // of the chunks stored, as they came
}

// MaterialCopies answers PathMaterialCopies: what every council's laptop
// holds of each material, from the copies they sync (domain.MaterialCopy).
type MaterialCopies struct {
	Proto  int            `json:"proto"`
	Copies []MaterialCopy `json:"copies"`
}

// MaterialCopy is one laptop's copy of a material, on the wire.
type MaterialCopy struct {
	Material     string     `json:"material"`
	Council      string     `json:"council"`
	Laptop       string     `json:"laptop"` // the name the administrator registered it under
	Downloaded   int        `json:"downloaded,omitempty"`
	DownloadedAt *time.Time `json:"downloaded_at,omitempty"`
	Read         int        `json:"read,omitempty"`
	ReadAt       *time.Time `json:"read_at,omitempty"`
}

// CountHaveChunks is how many chunks a have request asks about.
func (r *HaveRequest) CountHaveChunks() int {
	n := 0
	for _, rec := range r.Records {
		n += len(rec.Chunks)
	}
	return n
}

// DecodeFilesRequest decodes the JSON payload of a have or get request
// into v, refusing one over MaxFilesRequestBytes before decoding (errors
// wrap ErrLimit or ErrFrame).
func DecodeFilesRequest(raw []byte, v any) error {
	if len(raw) > MaxFilesRequestBytes {
		return fmt.Errorf("%w: a files request of %d bytes, at most %d", ErrLimit, len(raw), MaxFilesRequestBytes)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%w: not a valid files request: %v", ErrFrame, err)
	}
	return nil
}
