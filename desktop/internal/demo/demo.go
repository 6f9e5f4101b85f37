package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/refdata"
)

// Options say how much to make.
type Options struct {
	Appeals int
	Events  int
	Seed    uint64
	// Spread makes the same records and operations in the order months of
	// offline work leave them in a laptop's log: every appeal created
	// first, then their later steps (workflow moves, consultations) in
	// passes, the n-th step of every appeal that has one in pass n, each
	// pass in a shuffled order. A transaction (one change set) then holds
	// operations of many records, and a record's operations are far apart
	// in the log: the backlog a server must merge state by state
	// (syncbench -spread). Without it each appeal is made with its steps.
	Spread bool
	// Progress, if set, is called after each committed batch.
	Progress func(appeals, events int)
}

// Result counts what was made.
type Result struct {
	Councils int `json:"councils"`
	Appeals  int `json:"appeals"`
	Events   int `json:"events"`
	Ops      int `json:"operations"`
}

// batch is how many records one transaction saves: large enough to amortise
// the fsync, small enough to stay far under Badger's transaction limit.
const batch = 40

// Generate fills svc. With a home council (an enrolled laptop) it makes
// records of that council only; otherwise it makes three demo councils per
// oblast (as the programme has 21 in 7 oblasts) if the store has none.
func Generate(ctx context.Context, svc *records.Service, o Options) (Result, error) {
	var res Result
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	councils, err := councilsFor(ctx, svc, &res)
	if err != nil {
		return res, err
	}
	seq0 := svc.Seq()
	today := svc.Today()
	g := &gen{r: r, cat: svc.Catalog(), today: today, councils: councils}

	// The plans draw from r in the same order either way, so Spread
	// changes the order of the operations, not the records.
	var later []*plan // with Spread: every appeal's plan, its ID once created
	for made := 0; made < o.Appeals; {
		n := min(batch, o.Appeals-made)
		err := svc.Update(ctx, func(tx *records.Tx) error {
			for i := 0; i < n; i++ {
				p := g.plan()
				saved, err := tx.CreateAppeal(p.appeal)
				if err != nil {
					return err
				}
				p.id = saved.ID
				if o.Spread {
					later = append(later, p)
					continue
				}
				for _, s := range p.steps {
					if err := s.apply(tx, p.id); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("demo appeals: %w", err)
		}
		made += n
		res.Appeals = made
		if o.Progress != nil {
			o.Progress(res.Appeals, res.Events)
		}
	}
	if err := spreadSteps(ctx, svc, later, o.Seed); err != nil {
		return res, err
	}
	for made := 0; made < o.Events; {
		n := min(batch, o.Events-made)
		err := svc.Update(ctx, func(tx *records.Tx) error {
			for i := 0; i < n; i++ {
				if _, err := tx.CreateEvent(g.event()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return res, fmt.Errorf("demo events: %w", err)
		}
		made += n
		res.Events = made
		if o.Progress != nil {
			o.Progress(res.Appeals, res.Events)
		}
	}
	res.Ops = int(svc.Seq() - seq0)
	return res, nil
}

func councilsFor(ctx context.Context, svc *records.Service, res *Result) ([]domain.Council, error) {
	existing, err := svc.Councils(ctx)
	if err != nil {
		return nil, err
	}
	if home := svc.HomeCouncil(); home != "" {
		for _, c := range existing {
			if c.Code == home {
				return []domain.Council{c}, nil
			}
		}
		return nil, fmt.Errorf("demo: home council %s is not in the store", home)
	}
	if len(existing) > 0 {
		return existing, nil
	}
	var made []domain.Council
	err = svc.Update(ctx, func(tx *records.Tx) error {
		for _, reg := range svc.Catalog().Regions() {
			if reg.Kind != "oblast" {
				continue
			}
			for _, d := range reg.Districts[:min(3, len(reg.Districts))] {
				_, short, _ := strings.Cut(strings.TrimPrefix(d.Code, reg.Code), "-")
				code := oblastPrefix[reg.Code] + "-" + short
				c, err := tx.AddCouncil(domain.Council{Code: code, Name: d.Names.KY + " коомдук кеңеши", Oblast: reg.Code, District: d.Code})
				if err != nil {
					return err
				}
				made = append(made, *c)
			}
		}
		return nil
	})
	res.Councils = len(made)
	return made, err
}

// oblastPrefix makes demo council codes readable: NRN-ATB is At-Bashy in Naryn.
var oblastPrefix = map[string]string{"KG-B": "BTK", "KG-C": "CHU", "KG-J": "JLB", "KG-N": "NRN", "KG-O": "OSH", "KG-T": "TLS", "KG-Y": "YKL"}

type gen struct {
	r        *rand.Rand
	cat      *refdata.Catalog
	today    caldate.Date
	councils []domain.Council
}

func (g *gen) pick(list []string) string { return list[g.r.IntN(len(list))] }

func (g *gen) term(l refdata.List) string {
	ts := g.cat.Terms(l)
	return ts[g.r.IntN(len(ts))].Code
}

// paths are the workflow routes demo appeals take; each appeal walks a
// prefix of one, so every status is present.
// The main route is listed thrice: most appeals are verified and referred.
var mainPath = []domain.Status{domain.StatusUnderReview, domain.StatusFactChecking, domain.StatusVerified, domain.StatusReferred, domain.StatusAnswered, domain.StatusClosed}

var paths = [][]domain.Status{
	mainPath, mainPath, mainPath,
	{domain.StatusUnderReview, domain.StatusFactChecking, domain.StatusRejected, domain.StatusClosed},
	{domain.StatusRejected},
}

// plan is one demo appeal and the steps taken on it after its creation.
type plan struct {
	appeal domain.Appeal
	id     string // once created
	steps  []later
}

// later is one operation on an appeal after its creation: a workflow move
// or, with consult set, a consultation.
type later struct {
	step    domain.Step
	consult *domain.Consultation
}

func (l later) apply(tx *records.Tx, id string) error {
	if l.consult != nil {
		_, err := tx.AddConsultation(id, *l.consult)
		return err
	}
	_, err := tx.MoveAppeal(id, l.step)
	return err
}

// plan draws one appeal and its later steps.
func (g *gen) plan() *plan {
	c := g.councils[g.r.IntN(len(g.councils))]
	cat := g.term(refdata.RightCategories)
	texts := cases[cat]
	if len(texts) == 0 {
		cat = "land_property"
		texts = cases[cat]
	}
	t := texts[g.r.IntN(len(texts))]
	village := g.pick(villages)
	received := g.today.AddDays(-g.r.IntN(540))
	registered := received
	if g.r.IntN(4) == 0 {
		registered = received.AddDays(1)
		if registered.After(g.today) {
			registered = received
		}
	}
	a := domain.Appeal{
		Council: c.Code, ReceivedOn: received, RegisteredOn: registered,
		Channel: g.term(refdata.AppealChannels), Language: t.lang,
		Gender: g.pick([]string{"female", "male", "female", "male", "unspecified"}), AgeGroup: g.term(refdata.AgeGroups),
		Oblast: c.Oblast, District: c.District, Village: village,
		Category: cat, Authority: t.authority, AuthorityName: t.authName,
		Summary: t.summary, Description: fmt.Sprintf(t.description, village),
	}
	if g.r.IntN(8) == 0 {
		a.Anonymous = true
	} else {
		first := g.pick(maleNames)
		surname := g.pick(surnames)
		if a.Gender == "female" {
			first = g.pick(femaleNames)
			surname += "а"
		}
		a.Appellant = &domain.Appellant{Name: surname + " " + first, Phone: fmt.Sprintf("+996 %d %06d", 500+g.r.IntN(300), g.r.IntN(1000000)), Address: village}
	}
	if g.r.IntN(3) == 0 {
		a.VulnerableGroups = []string{g.term(refdata.VulnerableGroups)}
	}
	p := &plan{appeal: a}
	// Walk part of a route, one dated step after another, never past today.
	// Older appeals are further along, as in a council that does its work;
	// some stall, and those are the overdue ones the home screen shows.
	path := paths[g.r.IntN(len(paths))]
	steps := g.r.IntN(len(path) + 1)
	if age := received.DaysUntil(g.today); age > 60 && g.r.IntN(10) < 8 {
		steps = len(path)
	}
	on := received
	for _, to := range path[:steps] {
		on = on.AddDays(1 + g.r.IntN(12))
		if on.After(g.today) {
			break
		}
		step := domain.Step{To: to, On: on}
		switch to {
		case domain.StatusRejected:
			step.Note = "Фактылар тастыкталган жок / Факты не подтвердились"
		case domain.StatusReferred:
			step.Target = t.authName
		case domain.StatusAnswered:
			step.Answer = "Орган чара көрүлгөнүн билдирди / Орган сообщил о принятых мерах"
		}
		p.steps = append(p.steps, later{step: step})
		if to == domain.StatusVerified && g.r.IntN(3) == 0 {
			p.steps = append(p.steps, later{consult: &domain.Consultation{On: on, Consultant: g.pick(lawyers), Summary: "Бекер юридикалык кеңеш берилди: арызды кантип жазуу керектиги түшүндүрүлдү."}})
		}
	}
	return p
}

// spreadSteps makes the later steps of the plans in passes: pass n holds
// the n-th step of every appeal that has one, in an order shuffled by a
// generator of its own (so the records drawn do not depend on it), in
// transactions of batch steps. A record's steps stay in their order.
func spreadSteps(ctx context.Context, svc *records.Service, plans []*plan, seed uint64) error {
	r := rand.New(rand.NewPCG(seed^0x5eed5eed, seed))
	for pass := 0; ; pass++ {
		var due []*plan
		for _, p := range plans {
			if pass < len(p.steps) {
				due = append(due, p)
			}
		}
		if len(due) == 0 {
			return nil
		}
		r.Shuffle(len(due), func(i, j int) { due[i], due[j] = due[j], due[i] })
		for len(due) > 0 {
			n := min(batch, len(due))
			err := svc.Update(ctx, func(tx *records.Tx) error {
				for _, p := range due[:n] {
					if err := p.steps[pass].apply(tx, p.id); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("demo: spread steps, pass %d: %w", pass+1, err)
			}
			due = due[n:]
		}
	}
}

func (g *gen) event() domain.Event {
	c := g.councils[g.r.IntN(len(g.councils))]
	kind := g.term(refdata.EventKinds)
	titles := eventTitles[kind]
	if len(titles) == 0 {
		titles = eventTitles["hearing"]
	}
	date := g.today.AddDays(-g.r.IntN(540))
	e := domain.Event{
		Council: c.Code, Kind: kind, Title: g.pick(titles), Topic: "Адам укуктары жана жергиликтүү бийлик",
		Agenda: "1. Кирүү сөз\n2. Жарандардын суроолору\n3. Сунуштар", Date: date, StartTime: fmt.Sprintf("%02d:00", 9+g.r.IntN(8)),
		DurationMinutes: 60 + 30*g.r.IntN(5), Oblast: c.Oblast, District: c.District, Village: g.pick(villages),
		Venue: "Айылдык клуб", Language: g.pick([]string{"ky", "ky", "ru"}),
		Participants: map[string]domain.GenderCount{},
		Speakers:     []domain.Speaker{{Name: g.pick(surnames) + " " + g.pick(maleNames), Role: "юрист", Organisation: "Акыйкатчынын аппараты"}},
		Decisions:    []string{g.pick(decisions)},
	}
	for _, grp := range g.cat.Terms(refdata.ParticipantGroups) {
		e.Participants[grp.Code] = domain.GenderCount{Female: g.r.IntN(25), Male: g.r.IntN(25)}
	}
	for i := 0; i < g.r.IntN(3); i++ {
		due := date.AddDays(7 + g.r.IntN(30))
		status := "open"
		if due.Before(g.today) && g.r.IntN(2) == 0 {
			status = "done"
		}
		e.FollowUps = append(e.FollowUps, domain.FollowUp{Action: g.pick(followupActions), Owner: "Кеңештин катчысы", Due: due, Status: status})
	}
	if g.r.IntN(2) == 0 {
		e.MediaLinks = []string{fmt.Sprintf("https://kabar.kg/news/%d", 100000+g.r.IntN(900000))}
	}
	return e
}
