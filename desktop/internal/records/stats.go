package records

// Stats counts records by what central staff report on.
type Stats struct {
	Kind       string         `json:"kind"`
	Total      int            `json:"total"`
	Overdue    int            `json:"overdue,omitempty"`
	ByStatus   map[string]int `json:"by_status,omitempty"`
	ByCategory map[string]int `json:"by_category"`
	ByOblast   map[string]int `json:"by_oblast"`
	ByCouncil  map[string]int `json:"by_council"`
}

// Stats counts the records matching f, from the index.
func (s *Service) Stats(f Filter) (Stats, error) {
	rows, err := s.query(f)
	if err != nil {
		return Stats{}, err
	}
	st := Stats{Kind: f.Kind, Total: len(rows), ByCategory: map[string]int{}, ByOblast: map[string]int{}, ByCouncil: map[string]int{}}
	if f.Kind == "appeal" {
		st.ByStatus = map[string]int{}
	}
	today := s.Today().String()
	for _, r := range rows {
		if st.ByStatus != nil {
			st.ByStatus[r.Status]++
		}
		st.ByCategory[r.Category]++
		st.ByOblast[r.Oblast]++
		st.ByCouncil[r.Council]++
		if r.Deadline != "" && r.Deadline < today {
			st.Overdue++
		}
	}
	return st, nil
}
