package records

import "sync"

// Changed names a record that a save created or changed.
type Changed struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// notifier fans saves out to subscribers (the desktop UI, the sync loop)
// without ever blocking a save: a subscriber that falls behind gets one
// Overflow notification and should reload what it shows.
type notifier struct {
	mu   sync.Mutex
	subs map[chan []Changed]struct{}
}

// Overflow is sent (as a single-element batch) to a subscriber that missed
// notifications.
var Overflow = Changed{Kind: "*"}

// Touches reports whether a batch of changes may concern what a view of
// these kinds shows: a change of one of them, or an Overflow (something
// was missed, so anything may have changed).
func Touches(batch []Changed, kinds ...string) bool {
	for _, x := range batch {
		if x == Overflow {
			return true
		}
		for _, k := range kinds {
			if x.Kind == k {
				return true
			}
		}
	}
	return false
}

// TouchesRecord reports whether a batch of changes may concern one record:
// a change of it, or an Overflow.
func TouchesRecord(batch []Changed, kind, id string) bool {
	for _, x := range batch {
		if x == Overflow || x.Kind == kind && x.ID == id {
			return true
		}
	}
	return false
}

func (n *notifier) send(c []Changed) {
	if len(c) == 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for ch := range n.subs {
		select {
		case ch <- c:
		default:
			select { // make room for the overflow marker
			case <-ch:
			default:
			}
			select {
			case ch <- []Changed{Overflow}:
			default:
			}
		}
	}
}

// Subscribe returns a channel of saved changes and a function that ends the
// subscription and closes the channel.
func (s *Service) Subscribe() (<-chan []Changed, func()) {
	ch := make(chan []Changed, 64)
	s.notify.mu.Lock()
	if s.notify.subs == nil {
		s.notify.subs = map[chan []Changed]struct{}{}
	}
	s.notify.subs[ch] = struct{}{}
	s.notify.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			s.notify.mu.Lock()
			delete(s.notify.subs, ch)
			s.notify.mu.Unlock()
			close(ch)
		})
	}
}
