package subjectaccess

import (
	"encoding/json"
	"time"

	"github.com/kenesh/kenesh/desktop/internal/records"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/deadline"
	"github.com/kenesh/kenesh/shared/domain"
)

// searchedAt is when the sample search ran: 5 March 2026, 14:30 in Bishkek.
var searchedAt = time.Date(2026, 3, 5, 8, 30, 0, 0, time.UTC)

func day(s string) caldate.Date {
	d, err := caldate.Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

func raw(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// sample is what a search for "Токтогулова" finds on the At-Bashy
// council's laptop: an appeal published with her consent (with a
// consultation, a scan, and a phone number corrected later), an appeal
// ready for publication without consent, a deleted appeal, and a hearing
// where she spoke.
func sample() *Found {
	const (
		a1, a2, a3 = "019c0000-0000-7000-8000-000000000001", "019c0000-0000-7000-8000-000000000002", "019c0000-0000-7000-8000-000000000003"
		ev         = "019c0000-0000-7000-8000-0000000000e1"
	)
	hearing := &domain.Event{ID: ev, Council: "NRN-ATB", Kind: "hearing", Title: "Коомдук угуу: айылдагы суу маселеси",
		Date: day("2026-02-10"), Oblast: "KG-N", District: "KG-N-ATB", Village: "Ак-Муз", Venue: "Айыл өкмөтүнүн жыйындар залы",
		Topic: "Ичүүчү суу", Speakers: []domain.Speaker{
			{Name: "Айгүл Токтогулова", Role: "Активист", Organisation: "Ак-Муз жаштар кеңеши"},
			{Name: "Бакыт Осмонов", Role: "Айыл өкмөтүнүн башчысы"},
		}}
	person := &domain.Appellant{Name: "Айгүл Токтогулова", Phone: "+996 700 112 233", Email: "aigul@example.kg",
		Address: "Ак-Муз айылы, Жеңиш көчөсү 12", PIN: "21204199000123"}
	return &Found{
		Query:  "Токтогулова",
		At:     searchedAt,
		Holder: Holder{Device: "Ат-Башы ноутбугу", Role: "secretary", Council: "NRN-ATB"},
		Appeals: []*domain.Appeal{
			{ID: a1, RegNo: "NRN-ATB-2026-K7QH-0001", Council: "NRN-ATB", ReceivedOn: day("2026-02-10"), RegisteredOn: day("2026-02-11"),
				Channel: "at_event", EventID: ev, Language: "ky", Appellant: person, Gender: "female", AgeGroup: "30_44",
				VulnerableGroups: []string{"women_at_risk", "rural_remote"}, Oblast: "KG-N", District: "KG-N-ATB", Village: "Ак-Муз",
				Category: "police_justice", Authority: "police", AuthorityName: "Ат-Башы районунун ИИБи",
				Summary: "Милиция арызды каттоодон баш тартты", Description: "Уурулук тууралуу арыз кабыл алынган жок.\nЭки жолу барган.",
				Status: domain.StatusReferred, VerifiedOn: day("2026-02-20"), ReferredTo: "Акыйкатчынын Нарын облусундагы өкүлү",
				ReferredOn: day("2026-02-21"), PublishIdentityConsent: true, ReadyForPublication: true,
				PublicSummary: "Ат-Башыда милиция уурулук тууралуу арызды каттоодон баш тартты.", Published: true,
				PublishedOn: day("2026-02-25"), ReviewNote: "Текшерилди, жарыяланды.",
				Consultations: []domain.Consultation{{ID: "019c0000-0000-7000-8000-0000000000c1", On: day("2026-02-12"),
					Consultant: "юрист Н. Исакова", Summary: "Арыз жазууга жардам берилди", AtStatus: domain.StatusUnderReview}},
				Attachments: []domain.Attachment{{ID: "019c0000-0000-7000-8000-0000000000f1", Name: "арыз.jpg", MIME: "image/jpeg",
					Size: 245_000, SHA256: "ab", Caption: "Арыздын сүрөтү", AddedOn: day("2026-02-11")}},
				Deadlines: &deadline.Deadlines{Rule: "law67_2007", RegisterBy: day("2026-02-11"), AnswerBy: day("2026-02-25"), MaxAnswerBy: day("2026-03-27")},
				Meta:      &domain.Meta{CreatedAt: time.Date(2026, 2, 10, 9, 15, 0, 0, time.UTC), CreatedBy: "Катчы", UpdatedAt: searchedAt},
			},
			{ID: a2, RegNo: "NRN-ATB-2026-K7QH-0002", Council: "NRN-ATB", ReceivedOn: day("2026-03-02"), RegisteredOn: day("2026-03-02"),
				Channel: "phone", Language: "ru", Appellant: &domain.Appellant{Name: "Айгуль Токтогулова", Phone: "0700112233"},
				Gender: "female", Oblast: "KG-N", Category: "social_protection", Summary: "Не назначили пособие",
				Status: domain.StatusVerified, VerifiedOn: day("2026-03-04"), ReadyForPublication: true,
				PublicSummary: "Жительнице Ат-Башы не назначили пособие.",
				Deadlines:     &deadline.Deadlines{Rule: "law67_2007", RegisterBy: day("2026-03-03"), AnswerBy: day("2026-03-16"), MaxAnswerBy: day("2026-04-15")},
			},
			{ID: a3, RegNo: "NRN-ATB-2025-K7QH-0042", Council: "NRN-ATB", ReceivedOn: day("2025-11-03"), RegisteredOn: day("2025-11-03"),
				Channel: "in_person", Appellant: &domain.Appellant{Name: "А. Токтогулова"}, Oblast: "KG-N", Category: "land_property",
				Summary: "Жер үлүшү", Status: domain.StatusUnderReview,
				Deadlines: &deadline.Deadlines{Rule: "law67_2007", AnswerBy: day("2025-11-17")},
				Meta:      &domain.Meta{CreatedAt: time.Date(2025, 11, 3, 5, 0, 0, 0, time.UTC), Deleted: true},
			},
		},
		History: map[string][]records.Entry{
			a1: {
				{At: time.Date(2026, 2, 10, 9, 15, 0, 0, time.UTC), Author: "Катчы", Action: changeset.ActionCreate, Changes: map[string]any{
					"appellant": raw(domain.Appellant{Name: "Айгүл Токтогулова", Phone: "+996 555 000 111"}), "gender": raw("female"),
					"vulnerable_groups": raw([]string{"women_at_risk"}), "summary": raw("Милиция арызды каттоодон баш тартты")}},
				{At: time.Date(2026, 2, 12, 4, 0, 0, 0, time.UTC), Author: "Катчы", Action: changeset.ActionUpdate, Changes: map[string]any{
					"appellant": raw(person), "vulnerable_groups": raw([]string{"women_at_risk", "rural_remote"})}},
				{At: time.Date(2026, 2, 20, 6, 0, 0, 0, time.UTC), Action: changeset.ActionUpdate, Changes: map[string]any{
					"publish_identity_consent": raw(true), "age_group": raw("30_44")}},
			},
		},
		Events:   []Mention{{Event: hearing, Speakers: hearing.Speakers[:1]}},
		Linked:   map[string]*domain.Event{ev: hearing},
		Councils: map[string]domain.Council{"NRN-ATB": {Code: "NRN-ATB", Name: "Ат-Башы коомдук кеңеши", Oblast: "KG-N", District: "KG-N-ATB"}},
	}
}
