package main

import (
	"runtime/metrics"
	"time"
)

// heapWatch samples this process's heap every 20 ms while a part runs:
// the new laptop's store, syncer and index, and what the benchmark itself
// holds (the generated records). live is the heap the last collection
// found in use, what a memory limit has to leave room for; objects adds
// what was allocated since (garbage not collected yet, which the app's
// GOGC and memory limit keep small and this benchmark does not).
type heapWatch struct {
	before heapSizes
	peak   chan heapSizes
	done   chan struct{}
}

type heapSizes struct{ live, objects uint64 }

func heapNow() heapSizes {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return heapSizes{live: s[0].Value.Uint64(), objects: s[1].Value.Uint64()}
}

func (h heapSizes) max(o heapSizes) heapSizes {
	return heapSizes{live: max(h.live, o.live), objects: max(h.objects, o.objects)}
}

func watchHeap() *heapWatch {
	w := &heapWatch{before: heapNow(), peak: make(chan heapSizes), done: make(chan struct{})}
	go func() {
		peak := w.before
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				peak = peak.max(heapNow())
			case <-w.done:
				w.peak <- peak.max(heapNow())
				return
			}
		}
	}()
	return w
}

// stop ends the watch: the heap when it began, and the most it held.
func (w *heapWatch) stop() (before, peak heapSizes) {
	close(w.done)
	return w.before, <-w.peak
}
