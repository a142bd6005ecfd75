//! The filter language of spec/filter-language.md, rule by rule: grammar, canonical printing,
//! evaluation semantics, and every error with its byte offset.

use sift_matcher::filter::{Expr, Test};
use sift_matcher::{Event, EventLimits, Filter, FilterLimits, Value};

fn parse(text: &str) -> Filter {
    Filter::parse(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
}

fn event(json: &str) -> Event {
    Event::from_json(json, &EventLimits::default())
        .unwrap_or_else(|e| panic!("{json} should decode: {e}"))
}

/// Checks the round-trip property for one parsed filter: its text parses back to an equal
/// filter, and printing that gives the same text again.
fn assert_round_trip(input: &str, filter: &Filter) {
    let printed = filter.to_string();
    let reparsed = Filter::parse(&printed)
        .unwrap_or_else(|e| panic!("{input:?} printed as {printed:?}, which fails: {e}"));
    assert_eq!(&reparsed, filter, "{input:?} printed as {printed:?}");
    assert_eq!(
        reparsed.to_string(),
        printed,
        "{input:?}: printing is not stable"
    );
}

/// The tree as an s-expression, predicates by the attribute they test: shows how the parser
/// grouped the operators, which the printed text (parenthesized only where needed) does not.
fn shape(expr: &Expr) -> String {
    let list = |op: &str, es: &[Expr]| {
        let inner: Vec<String> = es.iter().map(shape).collect();
        format!("({op} {})", inner.join(" "))
    };
    match expr {
        Expr::Const(b) => b.to_string(),
        Expr::Not(e) => format!("(not {})", shape(e)),
        Expr::And(es) => list("and", es),
        Expr::Or(es) => list("or", es),
        Expr::Pred(p) => p.path.key().to_string(),
    }
}

#[test]
fn canonical_text_of_every_construct() {
    let cases = [
        // Comparisons and spacing.
        ("x==5", "x == 5"),
        ("x!=5", "x != 5"),
        ("x<5", "x < 5"),
        ("x<=5", "x <= 5"),
        ("x>5", "x > 5"),
        ("x>=5", "x >= 5"),
        ("x==-5", "x == -5"),
        ("x>-5", "x > -5"),
        ("x <= -0.5", "x <= -0.5"),
        // White space of any kind between tokens, none needed between symbols.
        ("\t x\n==\r\n5 ", "x == 5"),
        ("x\u{a0}==\u{2003}5", "x == 5"),
        ("(x==1)&&!(y==2)||z==3", "x == 1 && !(y == 2) || z == 3"),
        // Paths and names.
        ("a.b.c == \"s\"", "a.b.c == \"s\""),
        ("_x == 1", "_x == 1"),
        ("a-b == 1", "a-b == 1"),
        ("A9_-z.y_1 == 1", "A9_-z.y_1 == 1"),
        ("a . b == 1", "a.b == 1"),
        // Keywords are case-sensitive: these are plain names.
        ("AND == 1", "AND == 1"),
        ("True == 1", "True == 1"),
        ("Exists == 1", "Exists == 1"),
        ("NOT == 1", "NOT == 1"),
        // Words that start with a keyword are names.
        ("index == 1", "index == 1"),
        ("android == 1", "android == 1"),
        ("notes == 1", "notes == 1"),
        ("true_x == 1", "true_x == 1"),
        // Backquoted names: keywords, dots, spaces, anything but a backquote.
        ("`in` == 3", "`in` == 3"),
        ("`and` == 3", "`and` == 3"),
        ("`true` == 3", "`true` == 3"),
        ("a.`or`.c == 1", "a.`or`.c == 1"),
        ("`a.b` == 1", "`a.b` == 1"),
        ("`a.b`.c == 1", "`a.b`.c == 1"),
        ("`with space` == 1", "`with space` == 1"),
        ("`1st` == 1", "`1st` == 1"),
        ("`é` == 1", "`é` == 1"),
        ("`x` == 1", "x == 1"),
        ("exists(`in`)", "exists(`in`)"),
        // The word and symbol spellings of the operators.
        ("x == 1 and y == 2", "x == 1 && y == 2"),
        ("x == 1 or y == 2", "x == 1 || y == 2"),
        ("not x == 1", "!(x == 1)"),
        ("!x == 1", "!(x == 1)"),
        ("not(x == 1)", "!(x == 1)"),
        ("not not true", "!!true"),
        ("! ! false", "!!false"),
        ("true", "true"),
        ("false", "false"),
        ("!exists(x)", "!(exists(x))"),
        // Parentheses only where the tree needs them.
        ("((x == 1))", "x == 1"),
        ("a == 1 || (b == 2 && c == 3)", "a == 1 || b == 2 && c == 3"),
        (
            "(a == 1 || b == 2) && c == 3",
            "(a == 1 || b == 2) && c == 3",
        ),
        ("!(a == 1 && b == 2)", "!(a == 1 && b == 2)"),
        ("!(a == 1) && b == 2", "!(a == 1) && b == 2"),
        // A chain nested in a chain of the same operator keeps its grouping.
        (
            "a == 1 && (b == 2 && c == 3)",
            "a == 1 && (b == 2 && c == 3)",
        ),
        (
            "(a == 1 && b == 2) && c == 3",
            "(a == 1 && b == 2) && c == 3",
        ),
        (
            "a == 1 || (b == 2 || c == 3)",
            "a == 1 || (b == 2 || c == 3)",
        ),
        // `in` lists.
        ("x in[1,2]", "x in [1, 2]"),
        (
            "x in [ 1 , \"a\" , 2.5 , true ]",
            "x in [1, \"a\", 2.5, true]",
        ),
        ("x in [false]", "x in [false]"),
        // String operators.
        ("x =~ \"^a.*b$\"", "x =~ \"^a.*b$\""),
        (r#"x =~ "\\d+""#, r#"x =~ "\\d+""#),
        (r#"x =~ "(?i)abc""#, r#"x =~ "(?i)abc""#),
        ("x prefix \"ab\"", "x prefix \"ab\""),
        ("x suffix\"yz\"", "x suffix \"yz\""),
        ("x contains \"mm\"", "x contains \"mm\""),
        ("x prefix \"\"", "x prefix \"\""),
        ("exists(a.b)", "exists(a.b)"),
        ("exists ( a )", "exists(a)"),
        // String escapes; control characters print as \u{..}.
        (r#"x == "a\"b\\c\nd\te\rf""#, r#"x == "a\"b\\c\nd\te\rf""#),
        (r#"x == "\u{41}\u{E9}""#, "x == \"Aé\""),
        (r#"x == "\u{1F600}""#, "x == \"😀\""),
        (r#"x == "\u{0000000041}""#, "x == \"A\""),
        (r#"x == "\u{0}\u{7f}\u{85}""#, r#"x == "\u{0}\u{7f}\u{85}""#),
        ("x == \"tab\there\"", r#"x == "tab\there""#),
        ("x == \"\"", "x == \"\""),
        // Numbers: integers and floats keep their kind; floats print in the grammar's form.
        ("x == -0", "x == 0"),
        ("x == 007", "x == 7"),
        ("x == 1.50", "x == 1.5"),
        ("x == 1.0", "x == 1.0"),
        ("x == 1.0e3", "x == 1000.0"),
        ("x == 1.5E-3", "x == 0.0015"),
        ("x == 2.0e+2", "x == 200.0"),
        ("x == 1.0e300", "x == 1.0e300"),
        ("x == 1.5e-7", "x == 1.5e-7"),
        ("x == -0.0", "x == -0.0"),
        ("x == 9223372036854775807", "x == 9223372036854775807"),
        ("x == -9223372036854775808", "x == -9223372036854775808"),
        ("x == 9223372036854775808.0", "x == 9.223372036854776e18"),
        ("x == true", "x == true"),
        ("x != false", "x != false"),
    ];
    for (input, canonical) in cases {
        let filter = parse(input);
        assert_eq!(filter.to_string(), canonical, "canonical text of {input:?}");
        assert_round_trip(input, &filter);
        assert_eq!(parse(canonical), filter, "{canonical:?} vs {input:?}");
    }
}

#[test]
fn precedence_not_then_and_then_or() {
    let cases = [
        ("a == 1 || b == 2 && c == 3", "(or a (and b c))"),
        ("a == 1 && b == 2 || c == 3", "(or (and a b) c)"),
        ("a == 1 && (b == 2 || c == 3)", "(and a (or b c))"),
        ("!a == 1 && b == 2", "(and (not a) b)"),
        ("not a == 1 or b == 2 and c == 3", "(or (not a) (and b c))"),
        ("!(a == 1 || b == 2)", "(not (or a b))"),
        ("a == 1 || b == 2 || c == 3", "(or a b c)"),
        ("a == 1 and b == 2 && c == 3", "(and a b c)"),
        ("!!a == 1", "(not (not a))"),
        (
            "a == 1 || !b == 2 && !c == 3 || d == 4",
            "(or a (and (not b) (not c)) d)",
        ),
        ("true || false && false", "(or true (and false false))"),
        ("(a == 1)", "a"),
    ];
    for (input, want) in cases {
        let filter = parse(input);
        assert_eq!(shape(filter.expr()), want, "{input:?}");
        assert_round_trip(input, &filter);
    }
}

#[test]
fn literal_kinds() {
    let cases: [(&str, Value); 12] = [
        ("1", Value::Int(1)),
        ("-1", Value::Int(-1)),
        ("0", Value::Int(0)),
        ("-0", Value::Int(0)),
        ("1.0", Value::Float(1.0)),
        ("-2.5", Value::Float(-2.5)),
        ("1.5e3", Value::Float(1500.0)),
        ("1.5E+3", Value::Float(1500.0)),
        ("25.0e-1", Value::Float(2.5)),
        ("\"1\"", Value::from("1")),
        ("true", Value::Bool(true)),
        ("false", Value::Bool(false)),
    ];
    for (literal, want) in cases {
        let filter = parse(&format!("x == {literal}"));
        let Expr::Pred(predicate) = filter.expr() else {
            panic!("{literal}: not a predicate");
        };
        match &predicate.test {
            Test::Cmp(_, got) => assert_eq!(got, &want, "{literal}"),
            other => panic!("{literal}: {other:?}"),
        }
    }
    // An integer and the equal float are different filters, though they match the same events.
    assert_ne!(parse("x == 1"), parse("x == 1.0"));
    // A backquoted dotted name and a dotted path address the same attribute but print as written.
    let quoted = parse("`a.b` == 1");
    let dotted = parse("a.b == 1");
    assert_ne!(quoted, dotted);
    let e = event(r#"{"a": {"b": 1}}"#);
    assert!(quoted.matches(&e) && dotted.matches(&e));
}

#[test]
fn evaluation_semantics() {
    let cases: &[(&str, &str, bool)] = &[
        // 1. A predicate needs the attribute present with a comparable value.
        ("x == 5", "{}", false),
        ("x != 5", "{}", false),
        ("!(x == 5)", "{}", true),
        ("x != 5", r#"{"x": "5"}"#, false),
        ("!(x == 5)", r#"{"x": "5"}"#, true),
        ("x != 5", r#"{"x": true}"#, false),
        ("x != 5", r#"{"x": null}"#, false),
        ("!(x == 5)", r#"{"x": null}"#, true),
        ("x != 5", r#"{"x": 6}"#, true),
        ("x != 5", r#"{"x": 5}"#, false),
        ("x != 5", r#"{"x": 5.0}"#, false),
        ("x < 5", r#"{"x": "4"}"#, false),
        ("x >= 5", r#"{"x": "5"}"#, false),
        ("x != \"a\"", r#"{"x": 1}"#, false),
        ("x > 1", r#"{"x": {"y": 2}}"#, false),
        ("x.y > 1", r#"{"x": {"y": 2}}"#, true),
        ("`x.y` > 1", r#"{"x": {"y": 2}}"#, true),
        ("x.y == 1", r#"{"x.y": 1}"#, true),
        ("y == 1", r#"{"x": {"y": 1}}"#, false),
        ("true", "{}", true),
        ("false", "{}", false),
        ("!false", "{}", true),
        // 2. Integers and floats compare numerically and exactly.
        ("n == 1", r#"{"n": 1.0}"#, true),
        ("n == 1.0", r#"{"n": 1}"#, true),
        ("n != 1.0", r#"{"n": 1}"#, false),
        ("n < 1.5", r#"{"n": 1}"#, true),
        ("n > 1", r#"{"n": 1.5}"#, true),
        ("n >= 1", r#"{"n": 1}"#, true),
        ("n <= 1", r#"{"n": 1.0000001}"#, false),
        ("n > -1", r#"{"n": -0.5}"#, true),
        ("n < -1", r#"{"n": -1.5}"#, true),
        ("n == -0.0", r#"{"n": 0}"#, true),
        ("n == 0", r#"{"n": -0.0}"#, true),
        (
            "n == 9007199254740993",
            r#"{"n": 9007199254740992.0}"#,
            false,
        ),
        (
            "n == 9007199254740992.0",
            r#"{"n": 9007199254740993}"#,
            false,
        ),
        ("n > 9007199254740992.0", r#"{"n": 9007199254740993}"#, true),
        (
            "n == 9007199254740992",
            r#"{"n": 9007199254740992.0}"#,
            true,
        ),
        (
            "n < 9223372036854775808.0",
            r#"{"n": 9223372036854775807}"#,
            true,
        ),
        (
            "n == 9223372036854775807",
            r#"{"n": 9223372036854775807}"#,
            true,
        ),
        (
            "n != 9223372036854775806",
            r#"{"n": 9223372036854775807}"#,
            true,
        ),
        (
            "n == -9223372036854775808",
            r#"{"n": -9223372036854775808}"#,
            true,
        ),
        (
            "n == -9223372036854775808.0",
            r#"{"n": -9223372036854775808}"#,
            true,
        ),
        ("n > -9223372036854775808", r#"{"n": -1.0e300}"#, false),
        ("n < 1.0e300", r#"{"n": 9223372036854775807}"#, true),
        // A string never equals a number or a bool, and the reverse.
        ("n == \"1\"", r#"{"n": 1}"#, false),
        ("n == 1", r#"{"n": "1"}"#, false),
        ("n == true", r#"{"n": 1}"#, false),
        ("b == 1", r#"{"b": true}"#, false),
        ("b == \"true\"", r#"{"b": true}"#, false),
        ("b == true", r#"{"b": "true"}"#, false),
        // Strings: exact, by Unicode code point.
        ("s == \"abc\"", r#"{"s": "abc"}"#, true),
        ("s == \"ABC\"", r#"{"s": "abc"}"#, false),
        ("s == \"é\"", r#"{"s": "e\u0301"}"#, false),
        ("s == \"\\u{e9}\"", r#"{"s": "\u00e9"}"#, true),
        ("s < \"b\"", r#"{"s": "a"}"#, true),
        ("s < \"b\"", r#"{"s": "B"}"#, true),
        ("s < \"abc\"", r#"{"s": "ab"}"#, true),
        ("s > \"z\"", r#"{"s": "é"}"#, true),
        ("s >= \"\"", r#"{"s": ""}"#, true),
        ("s > \"\\u{ffff}\"", r#"{"s": "😀"}"#, true),
        // Code point order, not UTF-16 order (where U+1F600 sorts below U+E000).
        ("s > \"\\u{e000}\"", r#"{"s": "😀"}"#, true),
        ("s < 5", r#"{"s": "4"}"#, false),
        // 3. Bools: equality only.
        ("b == true", r#"{"b": true}"#, true),
        ("b == false", r#"{"b": true}"#, false),
        ("b != true", r#"{"b": false}"#, true),
        ("b != false", r#"{"b": false}"#, false),
        ("b != false", r#"{"b": 0}"#, false),
        // 4. `in`: `==` against any listed literal.
        ("x in [1, 2, 3]", r#"{"x": 2}"#, true),
        ("x in [1, 2, 3]", r#"{"x": 4}"#, false),
        ("x in [1, 2, 3]", r#"{"x": 2.0}"#, true),
        ("x in [1.5]", r#"{"x": 1.5}"#, true),
        ("x in [\"a\", 1]", r#"{"x": "a"}"#, true),
        ("x in [\"a\", 1]", r#"{"x": "1"}"#, false),
        ("x in [true]", r#"{"x": true}"#, true),
        ("x in [true]", r#"{"x": 1}"#, false),
        ("x in [1]", "{}", false),
        ("!(x in [1])", "{}", true),
        // 5. String operators: strings only, case-sensitive; regex is an unanchored search.
        ("s =~ \"b+\"", r#"{"s": "abbc"}"#, true),
        ("s =~ \"^b\"", r#"{"s": "abbc"}"#, false),
        ("s =~ \"^abbc$\"", r#"{"s": "abbc"}"#, true),
        ("s =~ \"B\"", r#"{"s": "abbc"}"#, false),
        ("s =~ \"(?i)B\"", r#"{"s": "abbc"}"#, true),
        ("s =~ \"^.$\"", r#"{"s": "é"}"#, true),
        ("s =~ \"\\\\d\"", r#"{"s": "a1"}"#, true),
        ("s =~ \"^$\"", r#"{"s": ""}"#, true),
        ("s =~ \"1\"", r#"{"s": 1}"#, false),
        ("s =~ \"true\"", r#"{"s": true}"#, false),
        ("s =~ \".*\"", "{}", false),
        ("s prefix \"ab\"", r#"{"s": "abc"}"#, true),
        ("s prefix \"ab\"", r#"{"s": "xab"}"#, false),
        ("s prefix \"ab\"", r#"{"s": "ABc"}"#, false),
        ("s prefix \"\"", r#"{"s": "x"}"#, true),
        ("s prefix \"1\"", r#"{"s": 12}"#, false),
        ("s prefix \"tr\"", r#"{"s": true}"#, false),
        ("s suffix \"bc\"", r#"{"s": "abc"}"#, true),
        ("s suffix \"BC\"", r#"{"s": "abc"}"#, false),
        ("s suffix \"ab\"", r#"{"s": "abc"}"#, false),
        ("s suffix \"0\"", r#"{"s": 10}"#, false),
        ("s contains \"b\"", r#"{"s": "abc"}"#, true),
        ("s contains \"B\"", r#"{"s": "abc"}"#, false),
        ("s contains \"é\"", r#"{"s": "café"}"#, true),
        ("s contains \"abc\"", r#"{"s": "abc"}"#, true),
        ("s contains \"5\"", r#"{"s": 456}"#, false),
        ("s contains \"x\"", "{}", false),
        // 6. exists: present with any type.
        ("exists(x)", r#"{"x": 1}"#, true),
        ("exists(x)", r#"{"x": 1.5}"#, true),
        ("exists(x)", r#"{"x": ""}"#, true),
        ("exists(x)", r#"{"x": false}"#, true),
        ("exists(x)", r#"{"x": [1, "a"]}"#, true),
        ("exists(x)", "{}", false),
        ("exists(x)", r#"{"x": null}"#, false),
        ("exists(x)", r#"{"x": []}"#, false),
        ("exists(x)", r#"{"x": [null]}"#, false),
        ("exists(x)", r#"{"x": {"y": 1}}"#, false),
        ("exists(x.y)", r#"{"x": {"y": 1}}"#, true),
        ("!exists(x)", "{}", true),
        // 7. Multi-valued attributes: a predicate holds if it holds for ANY element.
        ("tags == \"urgent\"", r#"{"tags": ["x", "urgent"]}"#, true),
        ("tags == \"y\"", r#"{"tags": ["x", "urgent"]}"#, false),
        ("tags != \"x\"", r#"{"tags": ["x", "urgent"]}"#, true),
        ("tags != \"x\"", r#"{"tags": ["x", "x"]}"#, false),
        ("!(tags == \"x\")", r#"{"tags": ["x", "y"]}"#, false),
        ("n > 5", r#"{"n": [1, 10]}"#, true),
        ("n > 5 && n < 2", r#"{"n": [1, 10]}"#, true),
        ("n in [3, 4]", r#"{"n": [1, 4]}"#, true),
        ("n == 1", r#"{"n": [1.0, "a", true]}"#, true),
        ("n == true", r#"{"n": [1.0, "a", true]}"#, true),
        ("n == \"a\"", r#"{"n": [1.0, "a", true]}"#, true),
        ("tags prefix \"ur\"", r#"{"tags": [1, "urgent"]}"#, true),
        ("tags =~ \"^u\"", r#"{"tags": [1, "x"]}"#, false),
        ("tags == 1", r#"{"tags": [null, 1]}"#, true),
        ("exists(tags)", r#"{"tags": [null, null]}"#, false),
        ("a.t == 2", r#"{"a": {"t": [1, 2]}}"#, true),
        // Boolean structure.
        ("a == 1 || b == 2 && c == 3", r#"{"a": 1}"#, true),
        ("(a == 1 || b == 2) && c == 3", r#"{"a": 1}"#, false),
        ("!a == 1 && b == 2", r#"{"b": 2}"#, true),
        ("!a == 1 && b == 2", r#"{"a": 1, "b": 2}"#, false),
        ("not (a == 1 or b == 2)", r#"{"c": 1}"#, true),
        ("not (a == 1 or b == 2)", r#"{"b": 2}"#, false),
        ("a == 1 and b == 2", r#"{"a": 1, "b": 2}"#, true),
        ("a == 1 and b == 2", r#"{"a": 1, "b": 3}"#, false),
        ("true && false || true", "{}", true),
        ("false && (false || true)", "{}", false),
        ("!true || !false", "{}", true),
        ("!!true", "{}", true),
        // Names that need backquotes.
        ("`in` == 3", r#"{"in": 3}"#, true),
        ("`with space` == 1", r#"{"with space": 1}"#, true),
        ("exists(`and`)", r#"{"and": false}"#, true),
        ("a.`or`.c == 1", r#"{"a": {"or": {"c": 1}}}"#, true),
        ("AND == 1", r#"{"AND": 1}"#, true),
        ("and_more == 1", r#"{"and_more": 1}"#, true),
    ];
    for &(filter, json, want) in cases {
        let parsed = parse(filter);
        let e = event(json);
        assert_eq!(parsed.matches(&e), want, "{filter} on {json}");
        // The canonical text means the same thing.
        let reparsed = parse(&parsed.to_string());
        assert_eq!(reparsed.matches(&e), want, "{parsed} on {json}");
        // Negation is exact: the filter and its negation never agree.
        let negated = parse(&format!("!({filter})"));
        assert_eq!(negated.matches(&e), !want, "!({filter}) on {json}");
    }
}

#[test]
fn errors_name_the_offset_and_the_problem() {
    let cases: &[(&str, usize, &str)] = &[
        // The contract's own example.
        ("quantity>", 9, "expected a literal after '>'"),
        ("price >  )", 9, "expected a literal after '>', found ')'"),
        // Characters that start no token.
        ("x == 5 @", 7, "unexpected character '@'"),
        ("x # 1", 2, "unexpected character '#'"),
        ("x == 'a'", 5, "unexpected character '\\''"),
        ("é == 1", 0, "unexpected character 'é'"),
        ("s == \"é\" && @", 13, "unexpected character '@'"),
        ("x == -", 5, "unexpected character '-'"),
        ("x == +1", 5, "unexpected character '+'"),
        (
            "x == 1 & y == 2",
            7,
            "expected '&&' (a single '&' is not an operator)",
        ),
        (
            "x == 1 | y == 2",
            7,
            "expected '||' (a single '|' is not an operator)",
        ),
        ("x = 1", 2, "expected '==' or '=~'"),
        ("x !== 1", 4, "expected '==' or '=~'"),
        // Unterminated strings and backquoted names; bad escapes (at the backslash).
        ("x == \"abc", 5, "unterminated string"),
        ("x == \"abc\\\"", 5, "unterminated string"),
        ("`abc == 1", 0, "unterminated backquoted name"),
        ("a.`b == 1", 2, "unterminated backquoted name"),
        ("`` == 1", 0, "a backquoted name must not be empty"),
        ("x == \"a\\qb\"", 7, "invalid escape"),
        ("x == \"\\'\"", 6, "invalid escape"),
        ("x == \"\\x41\"", 6, "invalid escape"),
        ("x == \"abc\\", 9, "invalid escape"),
        ("x == \"\\u41\"", 6, "expected '{' after \\u"),
        ("x == \"\\u{}\"", 6, "expected hex digits and '}'"),
        ("x == \"\\u{41\"", 6, "expected hex digits and '}'"),
        ("x == \"\\u{zz}\"", 6, "expected hex digits and '}'"),
        (
            "x == \"\\u{110000}\"",
            6,
            "\\u{110000} is not a Unicode scalar value",
        ),
        (
            "x == \"\\u{d800}\"",
            6,
            "\\u{d800} is not a Unicode scalar value",
        ),
        (
            "x == \"\\u{100000000}\"",
            6,
            "is not a Unicode scalar value",
        ),
        // Numbers: integer overflow, the float form.
        (
            "x == 9223372036854775808",
            5,
            "integer 9223372036854775808 does not fit 64 bits",
        ),
        ("x == -9223372036854775809", 5, "does not fit 64 bits"),
        ("x in [1, 99999999999999999999]", 9, "does not fit 64 bits"),
        ("x == 1e5", 6, "expected a separator after the number"),
        ("x == 12abc", 7, "expected a separator after the number"),
        ("x == 1.5e", 8, "expected digits after the exponent"),
        ("x == 1.5e+", 8, "expected digits after the exponent"),
        ("x == 1.0e999", 5, "float 1.0e999 is out of range"),
        (
            "x == 1.",
            6,
            "expected '&&', '||' or the end of the filter, found '.'",
        ),
        ("x == .5", 5, "expected a literal after '==', found '.'"),
        // Missing or wrong literals.
        (
            "x >",
            3,
            "expected a literal after '>', found the end of the filter",
        ),
        ("x == y", 5, "expected a literal after '==', found name 'y'"),
        (
            "x == TRUE",
            5,
            "expected a literal after '==', found name 'TRUE'",
        ),
        (
            "x != `a`",
            5,
            "expected a literal after '!=', found name `a`",
        ),
        ("x <= (1)", 5, "expected a literal after '<=', found '('"),
        // Bools with an ordering operator (at the literal).
        (
            "x > true",
            4,
            "a bool can only be compared with '==' or '!=', not '>'",
        ),
        ("x < false", 4, "not '<'"),
        ("x >= true", 5, "not '>='"),
        ("x <= false", 5, "not '<='"),
        // `in` lists.
        ("x in []", 6, "an 'in' list needs at least one literal"),
        ("x in [ ]", 7, "an 'in' list needs at least one literal"),
        ("x in 1", 5, "expected '[' after 'in'"),
        ("x in [1,]", 8, "expected a literal after ','"),
        ("x in [,1]", 6, "expected a literal after '['"),
        ("x in [1 2]", 8, "expected ',' or ']' in the 'in' list"),
        (
            "x in [1",
            7,
            "expected ',' or ']' in the 'in' list, found the end",
        ),
        ("x in [y]", 6, "expected a literal after '['"),
        // String operators need a string.
        ("x =~ 5", 5, "expected a string after '=~'"),
        ("x prefix 1", 9, "expected a string after keyword 'prefix'"),
        ("x suffix", 8, "expected a string after keyword 'suffix'"),
        (
            "x contains true",
            11,
            "expected a string after keyword 'contains'",
        ),
        // Invalid regular expressions (at the string).
        (
            "x =~ \"(\"",
            5,
            "invalid regular expression: unclosed group",
        ),
        ("x =~ \"a{2,1}\"", 5, "invalid regular expression"),
        ("s == 1 || x =~ \"[z-a]\"", 15, "invalid regular expression"),
        ("x =~ \"\\\\\"", 5, "invalid regular expression"),
        // Parentheses.
        (
            "(x == 1",
            7,
            "expected ')' to close the '(' at 0, found the end of the filter",
        ),
        ("((x == 1)", 9, "expected ')' to close the '(' at 0"),
        (
            "x == 1 || (y == 2",
            17,
            "expected ')' to close the '(' at 10",
        ),
        (
            "(x == 1 y",
            8,
            "expected ')' to close the '(' at 0, found name 'y'",
        ),
        ("x == 1)", 6, "unbalanced ')': no '(' to close"),
        ("(x == 1))", 8, "unbalanced ')'"),
        (")", 0, "expected an attribute name"),
        (
            "()",
            1,
            "expected an attribute name, 'exists', 'true', 'false', '!' or '('",
        ),
        // Structure.
        ("", 0, "found the end of the filter"),
        ("   ", 3, "found the end of the filter"),
        ("!", 1, "found the end of the filter"),
        ("x", 1, "expected an operator after the attribute name"),
        ("x 5", 2, "expected an operator after the attribute name"),
        (
            "x == 1 y == 2",
            7,
            "expected '&&', '||' or the end of the filter, found name 'y'",
        ),
        ("x == 1 AND y == 2", 7, "found name 'AND'"),
        ("x == 1 && y == 2 Or z == 3", 17, "found name 'Or'"),
        (
            "x == \"a\" \"b\"",
            9,
            "expected '&&', '||' or the end of the filter, found a string",
        ),
        ("x == 1 &&", 9, "expected an attribute name"),
        ("x == 1 || || y == 2", 10, "found '||'"),
        ("and x == 1", 0, "found '&&'"),
        (
            "true == 1",
            5,
            "expected '&&', '||' or the end of the filter, found '=='",
        ),
        // Keywords are reserved: as names they need backquotes.
        (
            "in == 3",
            0,
            "found keyword 'in' (write a name that is a keyword in backquotes",
        ),
        ("prefix == 1", 0, "keyword 'prefix'"),
        ("contains == 1", 0, "keyword 'contains'"),
        (
            "a.in == 3",
            2,
            "expected an attribute name, found keyword 'in'",
        ),
        ("a.true == 3", 2, "expected an attribute name, found 'true'"),
        ("a. == 1", 3, "expected an attribute name, found '=='"),
        (".a == 1", 0, "expected an attribute name"),
        ("x in in [1]", 5, "expected '[' after 'in'"),
        // exists.
        ("exists x", 7, "expected '(' after 'exists', found name 'x'"),
        ("exists == 1", 7, "expected '(' after 'exists'"),
        ("exists(x", 8, "expected ')' to close 'exists('"),
        ("exists()", 7, "expected an attribute name, found ')'"),
        ("exists(x == 1)", 9, "expected ')' to close 'exists('"),
        ("exists(`in`.x", 13, "expected ')' to close 'exists('"),
    ];
    for &(text, offset, message) in cases {
        let error = Filter::parse(text).expect_err(text);
        assert_eq!(error.offset, offset, "{text:?}: {error}");
        assert!(
            error.message.contains(message),
            "{text:?}: {:?} should contain {message:?}",
            error.message
        );
        assert_eq!(
            error.to_string(),
            format!("error at {offset}: {}", error.message),
            "{text:?}"
        );
        assert!(offset <= text.len(), "{text:?}: offset past the end");
    }
}

/// `n` copies of `unit` joined by `separator`.
fn repeat(unit: &str, separator: &str, n: usize) -> String {
    vec![unit; n].join(separator)
}

#[test]
fn default_limits() {
    let limits = FilterLimits::default();
    assert_eq!(
        (
            limits.max_len,
            limits.max_depth,
            limits.max_predicates,
            limits.max_regex_size
        ),
        (4096, 32, 64, 1 << 20)
    );

    // Text length: 4096 bytes parse, 4097 do not; the error points at the first byte over.
    let at_limit = format!("s == \"{}\"", "a".repeat(4096 - 7));
    assert_eq!(at_limit.len(), 4096);
    assert!(Filter::parse(&at_limit).is_ok());
    let over = format!("s == \"{}\"", "a".repeat(4096 - 6));
    let error = Filter::parse(&over).expect_err("4097 bytes");
    assert_eq!(error.offset, 4096);
    assert!(
        error.message.contains("4097 bytes") && error.message.contains("limit of 4096 bytes"),
        "{error}"
    );
    // Multi-byte characters count in bytes.
    let wide = format!("s == \"{}\"", "é".repeat(2045));
    assert_eq!(wide.len(), 4097);
    assert_eq!(Filter::parse(&wide).expect_err("4097 bytes").offset, 4096);

    // Nesting: 32 levels of parentheses, negations or both parse; the 33rd is refused where it
    // opens. A parenthesis right after `!` belongs to the negation: `!(` is one level.
    let depth_cases: [(String, usize); 6] = [
        (
            format!("{}x == 1{}", "(".repeat(32), ")".repeat(32)),
            usize::MAX,
        ),
        (format!("{}x == 1{}", "(".repeat(33), ")".repeat(33)), 32),
        (format!("{}x == 1", "!".repeat(32)), usize::MAX),
        (format!("{}x == 1", "not ".repeat(33)), 32 * 4),
        (
            format!("{}x == 1{}", "!(".repeat(32), ")".repeat(32)),
            usize::MAX,
        ),
        (
            format!("{}x == 1{}", "!(".repeat(32), ")".repeat(32)).replacen('x', "(x", 1) + ")",
            64,
        ),
    ];
    for (text, refused_at) in depth_cases {
        match Filter::parse(&text) {
            Ok(_) => assert_eq!(refused_at, usize::MAX, "{text} should be refused"),
            Err(error) => {
                assert_eq!(error.offset, refused_at, "{text}: {error}");
                assert!(
                    error.message.contains("deeper than 32 levels"),
                    "{text}: {error}"
                );
            }
        }
    }
    // Depth is nesting, not count: many sibling groups are fine.
    assert!(Filter::parse(&repeat("(x == 1)", " && ", 40)).is_ok());

    // Predicates: 64 parse, the 65th is refused where it starts; constants do not count.
    assert!(Filter::parse(&repeat("x == 1", " || ", 64)).is_ok());
    let text = repeat("x == 1", " || ", 65);
    let error = Filter::parse(&text).expect_err("65 predicates");
    assert_eq!(error.offset, 64 * 10, "{error}");
    assert!(error.message.contains("more than 64 predicates"), "{error}");
    let error = Filter::parse(&format!("{} && exists(y)", repeat("x == 1", " && ", 64)))
        .expect_err("65 predicates");
    assert_eq!(error.offset, 64 * 10, "{error}");
    assert!(Filter::parse(&repeat("true", " && ", 200)).is_ok());
    // An `in` list is one predicate however many literals it lists.
    assert!(Filter::parse(&repeat("x in [1, 2, 3, 4, 5]", " || ", 64)).is_ok());
    assert!(Filter::parse(&format!("x in [{}]", repeat("1", ", ", 500))).is_ok());
    let mixed = format!(
        "{} && {}",
        repeat("true", " && ", 100),
        repeat("exists(x)", " && ", 64)
    );
    assert!(Filter::parse(&mixed).is_ok());

    // Compiled regex size: a Unicode word class repeated 20 times is within 1 MiB, 100 times
    // is over it; a short text can compile to a large program.
    assert!(Filter::parse(r#"x =~ "\\w{20}""#).is_ok());
    assert!(Filter::parse(r#"x =~ "a{10000}""#).is_ok());
    let error = Filter::parse(r#"x == 1 || x =~ "\\w{100}""#).expect_err("huge regex");
    assert_eq!(error.offset, 15, "{error}");
    assert!(
        error
            .message
            .contains("more than the limit of 1048576 bytes"),
        "{error}"
    );
}

#[test]
fn custom_limits() {
    let limits = FilterLimits {
        max_len: 20,
        max_depth: 2,
        max_predicates: 2,
        max_regex_size: 2000,
    };
    let cases: &[(&str, Option<(usize, &str)>)] = &[
        ("a == 1 && b == 22222", None),
        (
            "a == 1 && b == 222222",
            Some((20, "21 bytes, over the limit of 20 bytes")),
        ),
        ("((a == 1))", None),
        ("(((a == 1)))", Some((2, "deeper than 2 levels"))),
        ("!!a == 1", None),
        ("!(!a == 1)", None),
        ("!(!(!a == 1))", Some((4, "deeper than 2 levels"))),
        ("a == 1 || b == 2", None),
        ("a == 1||b == 2||c>1", Some((16, "more than 2 predicates"))),
        ("x =~ \"a{10}\"", None),
        (
            "x =~ \"a{1000}\"",
            Some((5, "more than the limit of 2000 bytes")),
        ),
    ];
    for &(text, want) in cases {
        match (Filter::parse_with(text, &limits), want) {
            (Ok(filter), None) => {
                // Also fine under the defaults, and means the same.
                assert_eq!(Filter::parse(text).as_ref(), Ok(&filter), "{text}");
            }
            (Err(error), Some((offset, message))) => {
                assert_eq!(error.offset, offset, "{text}: {error}");
                assert!(error.message.contains(message), "{text}: {error}");
                assert!(
                    Filter::parse(text).is_ok(),
                    "{text}: fine under the defaults"
                );
            }
            (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
        }
    }
    // A limit of zero refuses every parenthesis and negation.
    let flat = FilterLimits {
        max_depth: 0,
        ..FilterLimits::default()
    };
    assert!(Filter::parse_with("a == 1 && b == 2", &flat).is_ok());
    assert_eq!(
        Filter::parse_with("!a == 1", &flat).map_err(|e| e.offset),
        Err(0)
    );
    assert_eq!(
        Filter::parse_with("a == 1 || (b == 2)", &flat).map_err(|e| e.offset),
        Err(10)
    );
}

#[test]
fn from_str_is_parse() {
    let filter: Filter = "a == 1 or b in [2, 3]".parse().expect("parses");
    assert_eq!(filter, parse("a == 1 || b in [2, 3]"));
    let error = "a ==".parse::<Filter>().expect_err("incomplete");
    assert_eq!(
        error.to_string(),
        "error at 4: expected a literal after '==', found the end of the filter"
    );
}
