package index

import "fmt"

// Scanned is one row as Scan visits it. Its strings are the index's own
// (no copy is made): they stay valid after the call, but the struct is
// reused for the next row.
type Scanned struct {
	Kind, ID, Council, Oblast, District, Status, Category string
	Date, Deadline, DueNext                               string
	Facts                                                 string
	Deleted                                               bool
	Updated                                               uint64
}

// Scan calls fn with every row matching f, in no particular order, without
// making a Row of each: what a report counting 100,000 records asks for.
// fn runs with the index locked: it must be quick and must not call the
// index.
func (ix *Index) Scan(f Filter, fn func(*Scanned)) error {
	if f.Text != "" {
		// Text filters go through Page, which waits for the words.
		rows, _, err := ix.Page(f, 0, -1)
		if err != nil {
			return err
		}
		var sc Scanned
		for _, r := range rows {
			sc = Scanned{Kind: r.Kind, ID: r.ID, Council: r.Council, Oblast: r.Oblast, District: r.District, Status: r.Status,
				Category: r.Category, Date: r.Date, Deadline: r.Deadline, DueNext: r.DueNext, Facts: r.Facts, Deleted: r.Deleted, Updated: r.Updated}
			fn(&sc) // Page applied Where
		}
		return nil
	}
	if f.Kind == "" {
		return fmt.Errorf("scan: kind is required")
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	kind, ok := ix.codes[f.Kind]
	ko := ix.kinds[kind]
	if !ok || ko == nil {
		return nil
	}
	m, ok := ix.matcher(f)
	if !ok {
		return nil
	}
	var sc Scanned
	for _, s := range ko.slots {
		if !m.match(&ix.cols, s) {
			continue
		}
		ix.scanned(s, f.Kind, &sc)
		if f.Where != nil && !f.Where(&sc) {
			continue
		}
		fn(&sc)
	}
	return nil
}

// scanned fills sc with slot s, of kind.
func (ix *Index) scanned(s uint32, kind string, sc *Scanned) {
	if w, ok := ix.whole[s]; ok {
		*sc = Scanned{Kind: w.Kind, ID: w.ID, Council: w.Council, Oblast: w.Oblast, District: w.District, Status: w.Status,
			Category: w.Category, Date: w.Date, Deadline: w.Deadline, DueNext: w.DueNext, Facts: w.Facts, Deleted: w.Deleted, Updated: w.Updated}
		return
	}
	c, v, e := &ix.cols, ix.values, &ix.entries[s]
	*sc = Scanned{Kind: kind, ID: e.id, Council: v[c.council[s]], Oblast: v[c.oblast[s]], District: v[c.district[s]],
		Status: v[c.status[s]], Category: v[c.category[s]], Date: v[c.dateC[s]], Deadline: v[c.deadlineC[s]],
		DueNext: v[c.dueNextC[s]], Facts: e.facts, Deleted: c.deleted[s], Updated: e.updated}
}
