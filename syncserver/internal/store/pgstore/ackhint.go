package pgstore

// Acknowledgement hints. Inside a group of appends every round trip is
// made while the log's lock is held, by every process's appends in turn;
// the first thing each append of a laptop's push reads there is its
// device's acknowledgement (store.LogTx.Accept checks the sequence). The
// push read it just before, outside the lock (ingest's ReadLog), so the
// store notes the device, and the next group reads every noted device's
// acknowledgement with the lock, in the same round trip: with 500 laptops
// syncing at once that was one round trip of the two each append made
// under the lock. A hint that is never followed by an append costs a row
// read; an append whose hint went to an earlier group reads as before.
// (An append that names its device, AppendKeyed, as ingest's do, has it
// read with the lock whether hinted or not: a laptop's next sync skips
// that ReadLog, 56c0715, and so left no hint, and its append read its
// acknowledgement alone under the lock.)
//
// A hint is taken by every group until an append of its device was
// committed (or hintGroups groups took it): a laptop reads its
// acknowledgement as its last append returns, when the next group begins,
// and with many laptops at once its append may wait behind several groups
// (64 appends a group). Taken by one group only, nine hints in ten were
// spent on the wrong group (TestAckHintsConcurrent).

// maxHints bounds the devices noted; hintGroups is how many groups take
// a hint at most.
const (
	maxHints   = 4096
	hintGroups = 16
)

// hint notes that dev's acknowledgement was read outside an append.
func (s *Store) hint(dev string) {
	s.hmu.Lock()
	if s.hints == nil {
		s.hints = map[string]int{}
	}
	if _, ok := s.hints[dev]; ok || len(s.hints) < maxHints {
		s.hints[dev] = 0 // (again: taken by the next groups)
	}
	s.hmu.Unlock()
}

// takeHints returns the devices noted, and forgets those taken by
// hintGroups groups now.
func (s *Store) takeHints() []string {
	s.hmu.Lock()
	defer s.hmu.Unlock()
	if len(s.hints) == 0 {
		return nil
	}
	devs := make([]string, 0, len(s.hints))
	for dev, n := range s.hints {
		devs = append(devs, dev)
		if n+1 >= hintGroups {
			delete(s.hints, dev)
		} else {
			s.hints[dev] = n + 1
		}
	}
	return devs
}

// usedHints forgets the hints of devices an append judged, once their
// group committed: the laptop's next push notes it again.
func (s *Store) usedHints(devs map[string]bool) {
	if len(devs) == 0 {
		return
	}
	s.hmu.Lock()
	for dev := range devs {
		delete(s.hints, dev)
	}
	s.hmu.Unlock()
}
