package main

import (
	"fmt"
	"sync"
	"time"
)

// memPeak is what the server's processes held during a part: the kernel's
// peak RSS (VmHWM, exact) and the peaks of its parts sampled from
// /proc/PID/status. RssAnon is the Go heap, Badger's memtable arenas and
// caches: memory only the process can give back. RssFile is pages of
// memory-mapped files (Badger's tables, value log and memtable logs),
// which the kernel may drop under pressure once they are written back.
type memPeak struct {
	RSS    int64 `json:"peak_rss"`
	Anon   int64 `json:"sampled_peak_rss_anon"`
	File   int64 `json:"sampled_peak_rss_file"`
	Shmem  int64 `json:"sampled_peak_rss_shmem,omitempty"`
	Sample int   `json:"samples"`
}

func (m *memPeak) String() string {
	return fmt.Sprintf("peak RSS %s (sampled peaks: anonymous %s, file-backed %s; %d samples)", mib(m.RSS), mib(m.Anon), mib(m.File), m.Sample)
}

// watchMemory resets the server's peak RSS and samples its memory every
// quarter second until the returned function is called, which returns the peaks.
func (s *server) watchMemory() func() *memPeak {
	_ = s.resetPeak()
	var (
		mu   sync.Mutex
		peak memPeak
	)
	sample := func() {
		var anon, file, shmem int64
		for _, p := range s.procs {
			a, f, sh, err := procRssParts(p.cmd.Process.Pid)
			if err != nil {
				return
			}
			anon, file, shmem = anon+a, file+f, shmem+sh
		}
		mu.Lock()
		peak.Anon, peak.File, peak.Shmem = max(peak.Anon, anon), max(peak.File, file), max(peak.Shmem, shmem)
		peak.Sample++
		mu.Unlock()
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			sample()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() *memPeak {
		close(done)
		<-stopped
		sample()
		mu.Lock()
		defer mu.Unlock()
		peak.RSS, _, _ = s.memory()
		return &peak
	}
}

// procRssParts reads RssAnon, RssFile and RssShmem of a process (Linux 4.5 and later).
func procRssParts(pid int) (anon, file, shmem int64, err error) {
	kb, err := procStatus(pid)
	return kb["RssAnon"] << 10, kb["RssFile"] << 10, kb["RssShmem"] << 10, err
}
