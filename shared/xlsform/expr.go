package xlsform

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kenesh/kenesh/shared/caldate"
)

// The expression language: the subset of XLSForm's (XPath 1.0 as ODK reads
// it) that the forms of needs assessments, tests and feedback use. Every
// part of it is listed here and in the package's documentation; anything
// else is refused when the form is read, with its sheet, row and column.
//
//	literals      'text' "text" 12 3.5
//	references    ${name} (a question's answer), . (the answer being
//	              checked, in constraint only), and in choice_filter a bare
//	              column name of the choices sheet (the choice's own value)
//	operators     or  and  = != < <= > >=  + - * div mod  unary -  ( )
//	functions     (Functions below)
//
// Values are texts, numbers, booleans and dates, converted as XPath does:
// an unanswered question is the empty text, which is no number (so
// ${age} > 18 is false while age is empty); a select_multiple answer is its
// choices' names separated by spaces; a date compares with a date, or with
// a text written YYYY-MM-DD, by day.

// Functions lists the functions an expression may call, with the number of
// arguments each takes.
var Functions = map[string]int{
	"selected":       2, // selected(${q}, 'name'): the choice is among q's answer
	"count-selected": 1, // how many choices a select_multiple answer holds
	"not":            1,
	"string-length":  1,
	"regex":          2, // regex(., 'pattern'): Go's RE2 syntax, matched anywhere unless anchored
	"today":          0,
	"date":           1, // date('2026-03-01')
	"true":           0,
	"false":          0,
	"if":             3, // if(cond, then, else)
	"coalesce":       2, // the first argument that is not empty
	"int":            1, // a number with its fraction dropped
}

// FunctionNames are Functions' names, in the order the documentation
// gives them.
var FunctionNames = []string{"selected", "count-selected", "not", "string-length", "regex", "today", "date", "true", "false", "if", "coalesce", "int"}

// maxExprLen bounds an expression's text, maxDepth its nesting.
const (
	maxExprLen = 4000
	maxDepth   = 64
)

// Expr is a parsed expression.
type Expr struct {
	src  string
	root node
	refs []string // the questions it names with ${...}, in order, once each
}

// Source is the expression as written.
func (e *Expr) Source() string { return e.src }

// Refs are the questions the expression names with ${...}.
func (e *Expr) Refs() []string { return e.refs }

// exprContext says where an expression stands, which decides what it may
// name: "." in a constraint, choice columns in a choice filter.
type exprContext struct {
	dot     bool            // "." is allowed
	columns map[string]bool // bare names allowed: the choices sheet's columns
}

// ExprError is an expression that cannot be read, with the character (from
// 1) where reading stopped.
type ExprError struct {
	Pos int
	Msg string
}

func (e *ExprError) Error() string { return fmt.Sprintf("at character %d: %s", e.Pos, e.Msg) }

// parseExpr reads src in context ctx.
func parseExpr(src string, ctx exprContext) (*Expr, error) {
	if len(src) > maxExprLen {
		return nil, &ExprError{Pos: 1, Msg: fmt.Sprintf("%d bytes long; an expression may have at most %d", len(src), maxExprLen)}
	}
	if !utf8.ValidString(src) {
		return nil, &ExprError{Pos: 1, Msg: "not valid UTF-8 text"}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, ctx: ctx, seen: map[string]bool{}}
	if p.peek().kind == tEOF {
		return nil, &ExprError{Pos: 1, Msg: "empty expression"}
	}
	n, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, &ExprError{Pos: t.pos, Msg: fmt.Sprintf("unexpected %s", t.describe())}
	}
	return &Expr{src: src, root: n, refs: p.refs}, nil
}

// Tokens.

type tokKind int

const (
	tEOF tokKind = iota
	tNum
	tStr
	tRef  // ${name}
	tDot  // .
	tName // a bare name: a function (before "("), an operator word, or a choice column
	tOp   // = != < <= > >= + - * ( ) ,
)

type token struct {
	kind tokKind
	text string
	pos  int // character, from 1
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tStr:
		return fmt.Sprintf("text %q", t.text)
	case tRef:
		return "${" + t.text + "}"
	}
	return fmt.Sprintf("%q", t.text)
}

func lex(src string) ([]token, error) {
	var toks []token
	pos := func(i int) int { return utf8.RuneCountInString(src[:i]) + 1 }
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '$':
			if i+1 >= len(src) || src[i+1] != '{' {
				return nil, &ExprError{Pos: pos(i), Msg: "a reference is written ${name}"}
			}
			end := strings.IndexByte(src[i:], '}')
			if end < 0 {
				return nil, &ExprError{Pos: pos(i), Msg: "${ without its closing }"}
			}
			name := src[i+2 : i+end]
			if !validName(name) {
				return nil, &ExprError{Pos: pos(i), Msg: fmt.Sprintf("${%s} does not name a question (names are letters, digits, _ - .)", name)}
			}
			toks = append(toks, token{tRef, name, pos(i)})
			i += end + 1
		case c == '\'' || c == '"':
			end := strings.IndexByte(src[i+1:], c)
			if end < 0 {
				return nil, &ExprError{Pos: pos(i), Msg: "text without its closing quote"}
			}
			toks = append(toks, token{tStr, src[i+1 : i+1+end], pos(i)})
			i += end + 2
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			if _, err := strconv.ParseFloat(src[i:j], 64); err != nil {
				return nil, &ExprError{Pos: pos(i), Msg: fmt.Sprintf("%q is not a number", src[i:j])}
			}
			toks = append(toks, token{tNum, src[i:j], pos(i)})
			i = j
		case c == '.':
			if i+1 < len(src) && src[i+1] == '.' {
				return nil, &ExprError{Pos: pos(i), Msg: "paths such as .. are not supported: name a question with ${name}"}
			}
			toks = append(toks, token{tDot, ".", pos(i)})
			i++
		case c == '!' || c == '<' || c == '>':
			if i+1 < len(src) && src[i+1] == '=' {
				toks = append(toks, token{tOp, src[i : i+2], pos(i)})
				i += 2
				continue
			}
			if c == '!' {
				return nil, &ExprError{Pos: pos(i), Msg: "! alone is not an operator: write != or not(...)"}
			}
			toks = append(toks, token{tOp, string(c), pos(i)})
			i++
		case strings.IndexByte("=+-*(),", c) >= 0:
			toks = append(toks, token{tOp, string(c), pos(i)})
			i++
		case c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'):
			j := i
			for j < len(src) && isNameByte(src[j]) {
				j++
			}
			// A name may hold "-" (count-selected) but "x - 1" is a
			// subtraction: a name ends before a "-" that is not followed
			// by a letter.
			name := src[i:j]
			for strings.HasSuffix(name, "-") || strings.HasSuffix(name, ".") {
				name = name[:len(name)-1]
			}
			j = i + len(name)
			if j < len(src) && src[j] == ':' {
				return nil, &ExprError{Pos: pos(i), Msg: fmt.Sprintf("%s: prefixed names (jr:, instance(...)) are not supported", name)}
			}
			toks = append(toks, token{tName, name, pos(i)})
			i = j
		default:
			r, _ := utf8.DecodeRuneInString(src[i:])
			what := fmt.Sprintf("%q", r)
			switch r {
			case '/':
				what = "/ (paths such as /data/q are not supported: name a question with ${name}; divide with div)"
			case '[':
				what = "[ (predicates are not supported)"
			case '|':
				what = "| (node-set unions are not supported)"
			}
			if unicode.IsLetter(r) {
				what = fmt.Sprintf("%q (names are Latin letters, digits, _ - .; quote text with ' ')", r)
			}
			return nil, &ExprError{Pos: pos(i), Msg: "unexpected " + what}
		}
	}
	return append(toks, token{tEOF, "", utf8.RuneCountInString(src) + 1}), nil
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

// Nodes.

type node interface{}

type (
	numLit  struct{ v float64 }
	strLit  struct{ v string }
	refNode struct{ name string }
	dotNode struct{}
	colNode struct{ name string }
	negNode struct{ x node }
	binNode struct {
		op   string
		l, r node
	}
	callNode struct {
		fn   string
		args []node
		re   *regexp.Regexp // regex's pattern, compiled once when it is a literal
	}
)

type parser struct {
	toks []token
	i    int
	ctx  exprContext
	refs []string
	seen map[string]bool
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

func (p *parser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tName && t.text == w
}

func (p *parser) isOp(ops ...string) (string, bool) {
	t := p.peek()
	if t.kind != tOp {
		return "", false
	}
	for _, o := range ops {
		if t.text == o {
			return o, true
		}
	}
	return "", false
}

func (p *parser) deep(d int) error {
	if d > maxDepth {
		return &ExprError{Pos: p.peek().pos, Msg: fmt.Sprintf("nested more than %d deep", maxDepth)}
	}
	return nil
}

func (p *parser) or(d int) (node, error) {
	if err := p.deep(d); err != nil {
		return nil, err
	}
	l, err := p.and(d)
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		p.next()
		r, err := p.and(d)
		if err != nil {
			return nil, err
		}
		l = &binNode{"or", l, r}
	}
	return l, nil
}

func (p *parser) and(d int) (node, error) {
	l, err := p.cmp(d)
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		p.next()
		r, err := p.cmp(d)
		if err != nil {
			return nil, err
		}
		l = &binNode{"and", l, r}
	}
	return l, nil
}

func (p *parser) cmp(d int) (node, error) {
	l, err := p.add(d)
	if err != nil {
		return nil, err
	}
	for {
		op, ok := p.isOp("=", "!=", "<", "<=", ">", ">=")
		if !ok {
			return l, nil
		}
		p.next()
		r, err := p.add(d)
		if err != nil {
			return nil, err
		}
		l = &binNode{op, l, r}
	}
}

func (p *parser) add(d int) (node, error) {
	l, err := p.mul(d)
	if err != nil {
		return nil, err
	}
	for {
		op, ok := p.isOp("+", "-")
		if !ok {
			return l, nil
		}
		p.next()
		r, err := p.mul(d)
		if err != nil {
			return nil, err
		}
		l = &binNode{op, l, r}
	}
}

func (p *parser) mul(d int) (node, error) {
	l, err := p.unary(d)
	if err != nil {
		return nil, err
	}
	for {
		var op string
		if o, ok := p.isOp("*"); ok {
			op = o
		} else if p.isWord("div") || p.isWord("mod") {
			op = p.peek().text
		} else {
			return l, nil
		}
		p.next()
		r, err := p.unary(d)
		if err != nil {
			return nil, err
		}
		l = &binNode{op, l, r}
	}
}

func (p *parser) unary(d int) (node, error) {
	if _, ok := p.isOp("-"); ok {
		if err := p.deep(d + 1); err != nil {
			return nil, err
		}
		p.next()
		x, err := p.unary(d + 1)
		if err != nil {
			return nil, err
		}
		return &negNode{x}, nil
	}
	return p.primary(d)
}

func (p *parser) primary(d int) (node, error) {
	t := p.next()
	switch t.kind {
	case tNum:
		v, _ := strconv.ParseFloat(t.text, 64) // checked by lex
		return &numLit{v}, nil
	case tStr:
		return &strLit{t.text}, nil
	case tRef:
		if !p.seen[t.text] {
			p.seen[t.text] = true
			p.refs = append(p.refs, t.text)
		}
		return &refNode{t.text}, nil
	case tDot:
		if !p.ctx.dot {
			return nil, &ExprError{Pos: t.pos, Msg: ". (the answer itself) is allowed in a constraint only: name the question with ${name}"}
		}
		return &dotNode{}, nil
	case tName:
		if _, ok := p.isOp("("); ok {
			return p.call(t, d)
		}
		if p.ctx.columns != nil {
			if !p.ctx.columns[t.text] {
				return nil, &ExprError{Pos: t.pos, Msg: fmt.Sprintf("%s is not a column of the choices sheet (a question is named ${%s})", t.text, t.text)}
			}
			return &colNode{t.text}, nil
		}
		switch t.text {
		case "and", "or", "div", "mod":
			return nil, &ExprError{Pos: t.pos, Msg: fmt.Sprintf("%s needs a value before it", t.text)}
		}
		return nil, &ExprError{Pos: t.pos, Msg: fmt.Sprintf("%s: a question is named ${%s}; text is quoted '%s'", t.text, t.text, t.text)}
	case tOp:
		if t.text == "(" {
			if err := p.deep(d + 1); err != nil {
				return nil, err
			}
			x, err := p.or(d + 1)
			if err != nil {
				return nil, err
			}
			if c := p.next(); c.kind != tOp || c.text != ")" {
				return nil, &ExprError{Pos: c.pos, Msg: fmt.Sprintf("expected ) and found %s", c.describe())}
			}
			return x, nil
		}
	}
	return nil, &ExprError{Pos: t.pos, Msg: fmt.Sprintf("expected a value and found %s", t.describe())}
}

func (p *parser) call(name token, d int) (node, error) {
	want, ok := Functions[name.text]
	if !ok {
		return nil, &ExprError{Pos: name.pos, Msg: fmt.Sprintf("function %s() is not supported; the supported functions are %s", name.text, strings.Join(FunctionNames, ", "))}
	}
	if err := p.deep(d + 1); err != nil {
		return nil, err
	}
	p.next() // (
	c := &callNode{fn: name.text}
	if _, ok := p.isOp(")"); !ok {
		for {
			a, err := p.or(d + 1)
			if err != nil {
				return nil, err
			}
			c.args = append(c.args, a)
			if _, ok := p.isOp(","); !ok {
				break
			}
			p.next()
		}
	}
	if t := p.next(); t.kind != tOp || t.text != ")" {
		return nil, &ExprError{Pos: t.pos, Msg: fmt.Sprintf("expected ) or , in %s() and found %s", name.text, t.describe())}
	}
	if len(c.args) != want {
		return nil, &ExprError{Pos: name.pos, Msg: fmt.Sprintf("%s() takes %d argument(s), not %d", name.text, want, len(c.args))}
	}
	if c.fn == "regex" {
		if s, ok := c.args[1].(*strLit); ok {
			re, err := regexp.Compile(s.v)
			if err != nil {
				return nil, &ExprError{Pos: name.pos, Msg: fmt.Sprintf("regex(): %q is not a pattern Go reads (RE2): %v", s.v, err)}
			}
			c.re = re
		}
	}
	if c.fn == "date" {
		if s, ok := c.args[0].(*strLit); ok {
			if _, err := caldate.Parse(s.v); err != nil {
				return nil, &ExprError{Pos: name.pos, Msg: fmt.Sprintf("date(): %q is not a date written YYYY-MM-DD", s.v)}
			}
		}
	}
	return c, nil
}

// Values.

type vkind int

const (
	vStr vkind = iota
	vNum
	vBool
	vDate
)

// value is a value an expression computes: a text, a number, a boolean or
// a date (n holds a date as days since 1970-01-01).
type value struct {
	kind vkind
	s    string
	n    float64
	b    bool
}

func str(s string) value   { return value{kind: vStr, s: s} }
func num(n float64) value  { return value{kind: vNum, n: n} }
func boolean(b bool) value { return value{kind: vBool, b: b} }
func dateVal(d caldate.Date) value {
	return value{kind: vDate, n: float64(caldate.New(1970, 1, 1).DaysUntil(d))}
}

func (v value) number() float64 {
	switch v.kind {
	case vNum, vDate:
		return v.n
	case vBool:
		if v.b {
			return 1
		}
		return 0
	}
	s := strings.TrimSpace(v.s)
	if d, err := caldate.Parse(s); err == nil && len(s) == 10 {
		return dateVal(d).n
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || strings.ContainsAny(s, "eEnNxX_") { // XPath numbers have no exponent, no NaN or Inf words, no hex
		return math.NaN()
	}
	return f
}

func (v value) truth() bool {
	switch v.kind {
	case vBool:
		return v.b
	case vNum:
		return v.n != 0 && !math.IsNaN(v.n)
	case vDate:
		return true
	}
	return v.s != ""
}

func (v value) text() string {
	switch v.kind {
	case vStr:
		return v.s
	case vBool:
		if v.b {
			return "true"
		}
		return "false"
	case vDate:
		return caldate.New(1970, 1, 1).AddDays(int(v.n)).String()
	}
	if math.IsNaN(v.n) {
		return "NaN"
	}
	return strconv.FormatFloat(v.n, 'f', -1, 64)
}

// env gives an expression the values it names.
type env interface {
	answer(name string) value // ${name}
	dot() value               // .
	column(name string) value // a choice's column, in a choice filter
	today() caldate.Date
}

// eval computes e in env; the result's truth decides a relevant, a
// constraint, a required or a choice filter.
func (e *Expr) eval(en env) value { return evalNode(e.root, en) }

// True computes e in en as a condition.
func (e *Expr) holds(en env) bool { return e.eval(en).truth() }

func evalNode(n node, en env) value {
	switch n := n.(type) {
	case *numLit:
		return num(n.v)
	case *strLit:
		return str(n.v)
	case *refNode:
		return en.answer(n.name)
	case *dotNode:
		return en.dot()
	case *colNode:
		return en.column(n.name)
	case *negNode:
		return num(-evalNode(n.x, en).number())
	case *binNode:
		switch n.op {
		case "or":
			return boolean(evalNode(n.l, en).truth() || evalNode(n.r, en).truth())
		case "and":
			return boolean(evalNode(n.l, en).truth() && evalNode(n.r, en).truth())
		}
		l, r := evalNode(n.l, en), evalNode(n.r, en)
		switch n.op {
		case "=", "!=":
			eq := equal(l, r)
			if n.op == "!=" {
				// XPath: != is true when the two are not equal, NaN included.
				return boolean(!eq)
			}
			return boolean(eq)
		case "<":
			return boolean(l.number() < r.number())
		case "<=":
			return boolean(l.number() <= r.number())
		case ">":
			return boolean(l.number() > r.number())
		case ">=":
			return boolean(l.number() >= r.number())
		case "+":
			return num(l.number() + r.number())
		case "-":
			return num(l.number() - r.number())
		case "*":
			return num(l.number() * r.number())
		case "div":
			return num(l.number() / r.number())
		case "mod":
			return num(math.Mod(l.number(), r.number()))
		}
	case *callNode:
		return call(n, en)
	}
	panic(fmt.Sprintf("xlsform: node %T", n))
}

// equal is XPath's =: booleans compare as booleans, numbers and dates as
// numbers, texts as texts.
func equal(l, r value) bool {
	switch {
	case l.kind == vBool || r.kind == vBool:
		return l.truth() == r.truth()
	case l.kind == vNum || r.kind == vNum || l.kind == vDate || r.kind == vDate:
		return l.number() == r.number()
	}
	return l.s == r.s
}

func call(c *callNode, en env) value {
	arg := func(i int) value { return evalNode(c.args[i], en) }
	switch c.fn {
	case "selected":
		want := strings.TrimSpace(arg(1).text())
		for _, s := range strings.Fields(arg(0).text()) {
			if s == want {
				return boolean(true)
			}
		}
		return boolean(false)
	case "count-selected":
		return num(float64(len(strings.Fields(arg(0).text()))))
	case "not":
		return boolean(!arg(0).truth())
	case "string-length":
		return num(float64(utf8.RuneCountInString(arg(0).text())))
	case "regex":
		re := c.re
		if re == nil {
			var err error
			if re, err = regexp.Compile(arg(1).text()); err != nil {
				return boolean(false)
			}
		}
		return boolean(re.MatchString(arg(0).text()))
	case "today":
		return dateVal(en.today())
	case "date":
		a := arg(0)
		if a.kind == vDate {
			return a
		}
		if d, err := caldate.Parse(strings.TrimSpace(a.text())); err == nil {
			return dateVal(d)
		}
		return str("")
	case "true":
		return boolean(true)
	case "false":
		return boolean(false)
	case "if":
		if arg(0).truth() {
			return arg(1)
		}
		return arg(2)
	case "coalesce":
		if a := arg(0); a.text() != "" {
			return a
		}
		return arg(1)
	case "int":
		return num(math.Trunc(arg(0).number()))
	}
	panic("xlsform: function " + c.fn)
}
