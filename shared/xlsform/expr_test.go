package xlsform

import (
	"strings"
	"testing"

	"github.com/kenesh/kenesh/shared/caldate"
)

// testEnv answers references from a map of values.
type testEnv struct {
	vals map[string]value
	d    value
	cols map[string]string
}

func (e testEnv) answer(n string) value {
	if v, ok := e.vals[n]; ok {
		return v
	}
	return str("")
}
func (e testEnv) dot() value            { return e.d }
func (e testEnv) column(n string) value { return str(e.cols[n]) }
func (e testEnv) today() caldate.Date   { return caldate.MustParse("2026-03-12") }

func TestEval(t *testing.T) {
	en := testEnv{
		vals: map[string]value{
			"age": num(34), "name": str("Айгүл"), "topics": str("law media"), "yes": str("yes"),
			"born": dateVal(caldate.MustParse("1992-05-01")), "zero": num(0),
		},
		d:    num(7),
		cols: map[string]string{"oblast": "KG-N", "name": "KG-N-ATB"},
	}
	cases := []struct {
		src  string
		want string // the result as text
	}{
		{"1 + 2 * 3", "7"},
		{"(1 + 2) * 3", "9"},
		{"7 div 2", "3.5"},
		{"7 mod 3", "1"},
		{"-${age} + 4", "-30"},
		{"${age} > 18", "true"},
		{"${age} >= 34 and ${age} <= 34", "true"},
		{"${missing} > 18", "false"},   // unanswered: no number
		{"${missing} < 18", "false"},   // nor less
		{"${missing} = ''", "true"},    // but the empty text
		{"${missing} != ''", "false"},  //
		{"${age} = '34'", "true"},      // a number and a text compare as numbers
		{"${name} = 'Айгүл'", "true"},  // texts as texts, Kyrgyz letters whole
		{"${name} != 'айгүл'", "true"}, // case counts
		{"selected(${topics}, 'media')", "true"},
		{"selected(${topics}, 'med')", "false"},
		{"count-selected(${topics})", "2"},
		{"count-selected(${missing})", "0"},
		{"not(selected(${topics}, 'law'))", "false"},
		{"string-length(${name})", "5"}, // characters, not bytes
		{"regex(${name}, '^А')", "true"},
		{"regex('0555123456', '^0[0-9]{9}$')", "true"},
		{"regex(., '^[0-9]+$')", "true"},
		{". > 5", "true"},
		{"today()", "2026-03-12"},
		{"${born} < today()", "true"},
		{"${born} = '1992-05-01'", "true"},
		{"${born} > date('2000-01-01')", "false"},
		{"today() - date('2026-03-01')", "11"}, // days
		{"true() and false()", "false"},
		{"true() or false()", "true"},
		{"if(${age} > 30, 'old', 'young')", "old"},
		{"coalesce(${missing}, 'none')", "none"},
		{"coalesce(${name}, 'none')", "Айгүл"},
		{"int(7.9)", "7"},
		{"int(-7.9)", "-7"},
		{"${zero} or 0", "false"},
		{"${yes} = 'yes' and ${age} != 40", "true"},
		{"1 = 1 = 1", "true"},
		{"2 < 3 < 2", "true"}, // (2 < 3) = true = 1 < 2, as XPath reads it
		{".5 + 0.5", "1"},
	}
	for _, c := range cases {
		e, err := parseExpr(c.src, exprContext{dot: true})
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		if got := e.eval(en).text(); got != c.want {
			t.Errorf("%s = %s, want %s", c.src, got, c.want)
		}
	}
	e, err := parseExpr("oblast = 'KG-N' and name != ''", exprContext{columns: map[string]bool{"oblast": true, "name": true}})
	if err != nil {
		t.Fatal(err)
	}
	if !e.holds(en) {
		t.Error("choice filter over columns")
	}
}

func TestParseExprRefusals(t *testing.T) {
	cases := []struct {
		src, ctx, want string
	}{
		{"", "", "at character 1: empty expression"},
		{"pulldata('a', 'b')", "", "function pulldata() is not supported; the supported functions are selected, count-selected"},
		{"jr:choice-name(${a}, '${a}')", "", "at character 1: jr: prefixed names"},
		{"/data/a = 1", "", "at character 1: unexpected / (paths"},
		{"${a} = 1 | ${b}", "", "at character 10: unexpected | (node-set unions"},
		{"${a}[1] = 2", "", "at character 5: unexpected [ (predicates"},
		{"../a = 1", "", "at character 1: paths such as .."},
		{". = 1", "", "at character 1: . (the answer itself) is allowed in a constraint only"},
		{"a = 1", "", "at character 1: a: a question is named ${a}"},
		{"region = 'x'", "filter", "at character 1: region is not a column of the choices sheet"},
		{"${a} = 'x", "", "at character 8: text without its closing quote"},
		{"${a", "", "at character 1: ${ without its closing }"},
		{"${a b} = 1", "", "at character 1: ${a b} does not name a question"},
		{"$a = 1", "", "at character 1: a reference is written ${name}"},
		{"${a} ! 1", "", "at character 6: ! alone is not an operator"},
		{"(${a} = 1", "", "at character 10: expected ) and found end of expression"},
		{"${a} = 1)", "", `at character 9: unexpected ")"`},
		{"selected(${a})", "", "at character 1: selected() takes 2 argument(s), not 1"},
		{"not(1, 2", "", "at character 9: expected ) or , in not() and found end of expression"},
		{"regex(${a}, '(')", "", "at character 1: regex(): \"(\" is not a pattern"},
		{"date('12.03.2026')", "", "at character 1: date(): \"12.03.2026\" is not a date"},
		{"${a} and", "", "at character 9: expected a value and found end of expression"},
		{"and 1", "", "at character 1: and needs a value before it"},
		{"1.2.3 = 1", "", `at character 1: "1.2.3" is not a number`},
		{"${a} = 'ок' and б", "", "at character 17: unexpected 'б' (names are Latin letters"},
		{strings.Repeat("(", 70) + "1" + strings.Repeat(")", 70), "", "nested more than 64 deep"},
		{strings.Repeat("-", 70) + "1", "", "nested more than 64 deep"},
		{strings.Repeat("1+", 2500) + "1", "", "at character 1: 5001 bytes long"},
	}
	for _, c := range cases {
		ctx := exprContext{}
		if c.ctx == "filter" {
			ctx.columns = map[string]bool{"oblast": true}
		}
		_, err := parseExpr(c.src, ctx)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.40s: got %v, want ...%s...", c.src, err, c.want)
		}
	}
}

func TestExprRefs(t *testing.T) {
	e, err := parseExpr("${a} = 1 or selected(${b}, 'x') and ${a} != ${c}", exprContext{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(e.Refs(), ","); got != "a,b,c" {
		t.Errorf("refs %s", got)
	}
}
