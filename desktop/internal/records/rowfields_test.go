package records

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/kenesh/kenesh/desktop/internal/store"
	"github.com/kenesh/kenesh/shared/caldate"
	"github.com/kenesh/kenesh/shared/changeset"
	"github.com/kenesh/kenesh/shared/domain"
	"github.com/kenesh/kenesh/shared/hlc"
)

// The index row of an appeal made from appealRowFields alone (a report
// as of a past day) is the row made from the whole appeal, but for its
// search words, and the row made from appealSearchFields (rowFor) is the
// row made from the whole appeal: on thousands of appeals with every field
// the row reads set or not, and fields it does not read, in every status,
// with deadlines on holidays and extensions.
func TestRowOfReportFields(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "", make([]byte, 32), store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := Init(ctx, st, "test laptop"); err != nil {
		t.Fatal(err)
	}
	svc, err := Open(ctx, st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	rng := rand.New(rand.NewPCG(5, 8))
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	day := func() caldate.Date {
		if rng.IntN(4) == 0 {
			return caldate.Date{}
		}
		return caldate.MustParse("2026-01-01").AddDays(rng.IntN(500) - 100)
	}
	for i := range 3000 {
		a := domain.Appeal{
			RegNo: pick("", "NRN-ATB-2026-0001"), Council: pick("NRN-ATB", "OSH-KAR", ""), Channel: pick("", "in_person", "phone", "online"),
			ReceivedOn: day(), RegisteredOn: day(), Gender: pick("", "female", "male"), AgeGroup: pick("", "18-29", "60+"),
			Oblast: pick("KG-N", "KG-O", ""), District: pick("", "KG-N-ATB"), Village: pick("", "Ак-Муз"),
			Category: pick("land_property", "health", ""), Authority: pick("", "ayil_okmotu", "akimiat"), AuthorityName: pick("", "Айыл өкмөтү"),
			Summary: pick("", "Жер үлүшү", "a \"quoted\" summary"), Description: pick("", "Узун сүрөттөмө\nэки сап"),
			Status: domain.Statuses[rng.IntN(len(domain.Statuses))], StatusNote: pick("", "эскертүү"), VerifiedOn: day(),
			RejectionReason: pick("", "", "not_in_scope"), ReferredTo: pick("", "Райондук акимчилик"), ReferredOn: day(), AnsweredOn: day(),
			AnswerSummary: pick("", "Жооп берилди"), ClosedOn: day(), ExtensionDays: []int{0, 0, 10, 30}[rng.IntN(4)],
			PublishIdentityConsent: rng.IntN(2) == 0, ReadyForPublication: rng.IntN(2) == 0, PublicSummary: pick("", "Коомдук кыскача"),
			Published: rng.IntN(2) == 0, PublishedOn: day(), Anonymous: rng.IntN(3) == 0,
			Language: pick("", "ky", "ru"), ExtensionNote: pick("", "узартылды"), ReviewNote: pick("", "текшерилди"),
		}
		if rng.IntN(2) == 0 {
			a.Appellant = &domain.Appellant{Name: "Асанова Гүлнара", Phone: "0555 123 456"}
		}
		for range rng.IntN(3) {
			a.VulnerableGroups = append(a.VulnerableGroups, pick("disability", "pensioner", "youth"))
		}
		for n := range rng.IntN(4) {
			a.Consultations = append(a.Consultations, domain.Consultation{ID: fmt.Sprintf("c%d", n), On: day(), Consultant: "Юрист", Summary: "Кеңеш берилди"})
		}
		fields, err := appealSchema.ToFields(&a, domain.NotFields...)
		if err != nil {
			t.Fatal(err)
		}
		op := &changeset.Op{Device: "dev1", Seq: uint64(i + 1), HLC: hlc.Timestamp(1000 + i), Kind: domain.KindAppeal,
			Record: fmt.Sprintf("a%04d", i), Council: a.Council, Action: changeset.ActionCreate, Fields: map[string]changeset.Change{}}
		for name, v := range fields {
			op.Fields[name] = changeset.Change{Value: v}
		}
		if rng.IntN(6) == 0 { // a consultation removed since
			op.Fields["consultations/c0"] = changeset.Change{Value: json.RawMessage("null")}
		}
		if rng.IntN(8) == 0 {
			op.Fields[changeset.DeletedField] = changeset.Change{Value: json.RawMessage("true")}
		}
		var state changeset.State
		if _, _, err := state.Apply(op); err != nil {
			t.Fatal(err)
		}
		whole, err := svc.rowOfFields(&state, true, nil)
		if err != nil {
			t.Fatal(err)
		}
		searched, err := svc.rowOf(&state, true)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(searched, whole) {
			t.Fatalf("appeal %d %+v:\nrow of the search fields %+v\nrow of the whole appeal  %+v", i, a, searched, whole)
		}
		whole.Search = ""
		part, err := svc.rowOf(&state, false)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(part, whole) {
			t.Fatalf("appeal %d %+v:\nrow of the report's fields %+v\nrow of the whole appeal    %+v", i, a, part, whole)
		}
	}
}
