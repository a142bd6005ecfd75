//! Property tests of the matcher's contracts (ARCHITECTURE.md, "Testing, bottom up", item 2):
//! printing and parsing filters round-trip, the normal form and the subscription index agree
//! with direct evaluation, covering is sound, and events survive JSON and CBOR.
//!
//! Filters and events are drawn over one small vocabulary (a few attribute names, numbers in
//! [-3.5, 3.5] with integral floats among them, strings of up to three letters over a
//! three-letter alphabet) so that predicates hold on generated events a fair share of the time.
//! Covering pairs are mostly built so that the first covers the second (the second narrows the
//! first), and checked on events drawn from the pair's own literals.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use sift_matcher::filter::{CmpOp, Expr, Path, Predicate, Test};
use sift_matcher::{
    Event, EventLimits, Filter, FilterLimits, NormalForm, SubscriptionIndex, Value, covers,
};

/// Attribute paths as written segments: `x.y` both as two segments and as one backquoted
/// segment (the same attribute), a keyword and a name with a space (both need backquotes), and
/// a plain name with a dash.
const PATHS: &[&[&str]] = &[
    &["a"],
    &["b"],
    &["c"],
    &["x"],
    &["x", "y"],
    &["x.y"],
    &["in"],
    &["my attr"],
    &["d-1"],
];

/// The flattened names the paths address.
const NAMES: &[&str] = &["a", "b", "c", "x", "x.y", "in", "my attr", "d-1"];

const ALPHABET: &[char] = &['a', 'b', 'é'];

const PATTERNS: &[&str] = &[
    "a", "^a", "b$", "a.b", "(?i)A", "^$", "é", "a|b", "^[ab]+$", "ab*",
];

const OPS: &[CmpOp] = &[
    CmpOp::Eq,
    CmpOp::Ne,
    CmpOp::Lt,
    CmpOp::Le,
    CmpOp::Gt,
    CmpOp::Ge,
];

/// Generated trees may hold more predicates than the default limit allows.
const ROUND_TRIP_LIMITS: FilterLimits = FilterLimits {
    max_len: 1 << 20,
    max_depth: 32,
    max_predicates: 1024,
    max_regex_size: 1 << 20,
};

/// `cases` per property, unless `PROPTEST_CASES` asks for more (or fewer) for a deeper search.
fn config(cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        // Failures found here become explicit regression tests, not files beside the source.
        failure_persistence: None,
        ..Config::default()
    }
}

// ---- values --------------------------------------------------------------------------------

fn small_string() -> BoxedStrategy<String> {
    vec(select(ALPHABET), 0..=3)
        .prop_map(|chars| chars.into_iter().collect())
        .boxed()
}

fn number() -> BoxedStrategy<Value> {
    prop_oneof![
        (-3i64..=3).prop_map(Value::Int),
        (-3i64..=3).prop_map(|i| Value::Float(i as f64)),
        (-7i64..=7).prop_map(|h| Value::Float(h as f64 / 2.0)),
        Just(Value::Float(-0.0)),
    ]
    .boxed()
}

fn scalar() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => number(),
        3 => small_string().prop_map(|s| Value::Str(s.into())),
        1 => any::<bool>().prop_map(Value::Bool),
    ]
    .boxed()
}

fn finite_f64() -> BoxedStrategy<f64> {
    use proptest::num::f64::{NEGATIVE, NORMAL, POSITIVE, SUBNORMAL, ZERO};
    (POSITIVE | NEGATIVE | NORMAL | SUBNORMAL | ZERO).boxed()
}

/// Any string, control characters, quotes and backslashes included.
fn any_text() -> BoxedStrategy<String> {
    "(?s).{0,6}".boxed()
}

/// Values from the whole domain, for printing and the codecs.
fn wide_scalar() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::Int),
        finite_f64().prop_map(Value::Float),
        any_text().prop_map(|s| Value::Str(s.into())),
        any::<bool>().prop_map(Value::Bool),
    ]
    .boxed()
}

// ---- filters -------------------------------------------------------------------------------

fn path() -> BoxedStrategy<Path> {
    select(PATHS).prop_map(Path::from_segments).boxed()
}

/// The test of `a =~ pattern`, compiled by the parser (patterns have no public constructor).
fn regex_test(pattern: &str) -> Test {
    let text = format!("a =~ {}", Value::from(pattern));
    match Filter::parse(&text).expect("test patterns compile").expr() {
        Expr::Pred(p) => p.test.clone(),
        other => panic!("{text} parsed as {other:?}"),
    }
}

/// Every kind of test; ordering comparisons never take a bool (the parser refuses them).
fn test(literal: BoxedStrategy<Value>, text: BoxedStrategy<String>) -> BoxedStrategy<Test> {
    let orderable = literal
        .clone()
        .prop_filter("bools only take == and !=", |v| {
            !matches!(v, Value::Bool(_))
        });
    prop_oneof![
        4 => (select(OPS), orderable).prop_map(|(op, v)| Test::Cmp(op, v)),
        1 => (select(&OPS[..2]), any::<bool>()).prop_map(|(op, b)| Test::Cmp(op, Value::Bool(b))),
        2 => vec(literal, 1..=4).prop_map(|vs| Test::In(vs.into())),
        1 => select(PATTERNS).prop_map(regex_test),
        1 => text.clone().prop_map(|s| Test::Prefix(s.into())),
        1 => text.clone().prop_map(|s| Test::Suffix(s.into())),
        1 => text.prop_map(|s| Test::Contains(s.into())),
        1 => Just(Test::Exists),
    ]
    .boxed()
}

fn predicate(wide: bool) -> BoxedStrategy<Predicate> {
    let (literal, text) = if wide {
        (
            prop_oneof![3 => scalar(), 1 => wide_scalar()].boxed(),
            prop_oneof![3 => small_string(), 1 => any_text()].boxed(),
        )
    } else {
        (scalar(), small_string())
    };
    (path(), test(literal, text))
        .prop_map(|(path, test)| Predicate { path, test })
        .boxed()
}

/// Trees of `and`/`or` (two or three operands), `not`, constants and predicates.
fn expr(wide: bool) -> BoxedStrategy<Expr> {
    let leaf = prop_oneof![
        1 => any::<bool>().prop_map(Expr::Const),
        9 => predicate(wide).prop_map(Expr::Pred),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            2 => vec(inner.clone(), 2..=3).prop_map(Expr::And),
            2 => vec(inner.clone(), 2..=3).prop_map(Expr::Or),
            1 => inner.prop_map(|e| Expr::Not(Box::new(e))),
        ]
    })
    .boxed()
}

fn filter() -> BoxedStrategy<Filter> {
    expr(false).prop_map(Filter::from_expr).boxed()
}

// ---- events --------------------------------------------------------------------------------

fn build_event(attributes: impl IntoIterator<Item = (String, Vec<Value>)>) -> Event {
    Event::from_attributes(attributes, &EventLimits::default())
        .expect("generated events are within the limits")
}

/// One, sometimes several values; absent four times in ten.
fn values_of(value: BoxedStrategy<Value>) -> BoxedStrategy<Option<Vec<Value>>> {
    proptest::option::weighted(
        0.6,
        prop_oneof![3 => vec(value.clone(), 1..=1), 1 => vec(value, 2..=3)],
    )
    .boxed()
}

/// Events over the vocabulary's names, each attribute drawn from `value`.
fn event_from(value: BoxedStrategy<Value>) -> BoxedStrategy<Event> {
    let per_name: Vec<_> = NAMES.iter().map(|_| values_of(value.clone())).collect();
    per_name
        .prop_map(|values| {
            build_event(
                NAMES
                    .iter()
                    .zip(values)
                    .filter_map(|(name, values)| Some((name.to_string(), values?))),
            )
        })
        .boxed()
}

fn event() -> BoxedStrategy<Event> {
    event_from(scalar())
}

/// Events with any names and values, for the codecs.
fn wide_event() -> BoxedStrategy<Event> {
    let name = prop_oneof![select(NAMES).prop_map(String::from), "(?s).{1,8}"];
    let value = prop_oneof![scalar(), wide_scalar()];
    let values = prop_oneof![3 => vec(value.clone(), 1..=1), 1 => vec(value, 0..=4)];
    btree_map(name, values, 0..8).prop_map(build_event).boxed()
}

// ---- covering pairs ------------------------------------------------------------------------

/// A small deterministic generator for the choices made while deriving one filter from another
/// (the derivation depends on the first filter's shape, which a strategy cannot follow).
struct Choices(u64);

impl Choices {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }

    /// A step of 0, 0.5, 1 or 2.
    fn step(&mut self) -> f64 {
        self.pick(&[0.0, 0.5, 1.0, 2.0])
    }

    /// `x` as a literal: an integer or a float when integral, else a float.
    fn number(&mut self, x: f64) -> Value {
        if x.fract() == 0.0 && self.one_in(2) {
            Value::Int(x as i64)
        } else {
            Value::Float(x)
        }
    }

    fn letter(&mut self) -> char {
        self.pick(ALPHABET)
    }

    fn string(&mut self) -> String {
        (0..self.below(3)).map(|_| self.letter()).collect()
    }

    fn predicate(&mut self) -> Expr {
        let test = match self.below(6) {
            0 => Test::Cmp(CmpOp::Eq, Value::Int(self.below(7) as i64 - 3)),
            1 => Test::Cmp(
                self.pick(OPS),
                Value::Float(self.below(15) as f64 / 2.0 - 3.5),
            ),
            2 => Test::Cmp(CmpOp::Eq, Value::Str(self.string().into())),
            3 => Test::Prefix(self.string().into()),
            4 => Test::In(vec![Value::Int(self.below(3) as i64), Value::Str("a".into())].into()),
            _ => Test::Exists,
        };
        Expr::Pred(Predicate {
            path: Path::from_segments(self.pick(PATHS)),
            test,
        })
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match *v {
        Value::Int(i) => Some(i as f64),
        Value::Float(f) => Some(f),
        _ => None,
    }
}

/// The first `n` characters of `s`.
fn chars(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

/// A test that passes only values `test` passes.
fn narrow(test: &Test, c: &mut Choices) -> Test {
    use CmpOp::*;
    match test {
        Test::Cmp(op, v) => {
            if let Some(n) = as_f64(v) {
                let s = c.step();
                return match op {
                    Eq => Test::Cmp(Eq, c.number(n)),
                    Ne => match c.below(3) {
                        0 => Test::Cmp(Gt, c.number(n + s)),
                        1 => Test::Cmp(Lt, c.number(n - s)),
                        _ => Test::Cmp(Eq, c.number(n + 0.5)),
                    },
                    Gt | Ge => {
                        let bound = n + s;
                        let strict = *op == Gt && s == 0.0;
                        match c.below(4) {
                            0 => Test::Cmp(*op, c.number(bound)),
                            1 => Test::Cmp(Gt, c.number(bound)),
                            2 if !strict => Test::Cmp(Eq, c.number(bound)),
                            _ => {
                                Test::In(vec![c.number(bound + 0.5), c.number(bound + 1.0)].into())
                            }
                        }
                    }
                    Lt | Le => {
                        let bound = n - s;
                        let strict = *op == Lt && s == 0.0;
                        match c.below(4) {
                            0 => Test::Cmp(*op, c.number(bound)),
                            1 => Test::Cmp(Lt, c.number(bound)),
                            2 if !strict => Test::Cmp(Eq, c.number(bound)),
                            _ => {
                                Test::In(vec![c.number(bound - 0.5), c.number(bound - 1.0)].into())
                            }
                        }
                    }
                };
            }
            match (op, v) {
                (Eq, _) => test.clone(),
                (Ne, Value::Bool(b)) => Test::Cmp(Eq, Value::Bool(!b)),
                (Ne, Value::Str(s)) => match c.below(3) {
                    0 => Test::Cmp(Eq, Value::Str(format!("{s}{}", c.letter()).into())),
                    1 => Test::Prefix(format!("{s}{}", c.letter()).into()),
                    _ => Test::Cmp(Gt, v.clone()),
                },
                // Strings above `s`: extensions of `s` are.
                (Gt | Ge, Value::Str(s)) => {
                    let longer = format!("{s}{}", c.letter());
                    match c.below(3) {
                        0 => Test::Cmp(*op, Value::Str(longer.into())),
                        1 => Test::Prefix(longer.into()),
                        _ => Test::Cmp(Eq, Value::Str(longer.into())),
                    }
                }
                // Strings below `s`: its proper prefixes are.
                (Lt | Le, Value::Str(s)) => {
                    let shorter = chars(s, c.below(s.chars().count().max(1)));
                    if shorter.len() < s.len() && c.one_in(2) {
                        Test::Cmp(Eq, Value::Str(shorter.into()))
                    } else {
                        Test::Cmp(Lt, Value::Str(shorter.into()))
                    }
                }
                _ => test.clone(),
            }
        }
        Test::In(values) => {
            let kept: Vec<Value> = values.iter().filter(|_| c.one_in(2)).cloned().collect();
            match kept.len() {
                0 => Test::Cmp(CmpOp::Eq, c.pick(values)),
                _ => Test::In(kept.into()),
            }
        }
        Test::Prefix(p) => {
            let longer = format!("{p}{}", c.string());
            match c.below(2) {
                0 => Test::Prefix(longer.into()),
                _ => Test::Cmp(Eq, Value::Str(longer.into())),
            }
        }
        Test::Suffix(s) => {
            let longer = format!("{}{s}", c.string());
            match c.below(2) {
                0 => Test::Suffix(longer.into()),
                _ => Test::Cmp(Eq, Value::Str(longer.into())),
            }
        }
        Test::Contains(s) => {
            let (before, after) = (c.string(), c.string());
            match c.below(4) {
                0 => Test::Contains(format!("{before}{s}{after}").into()),
                1 => Test::Prefix(format!("{s}{after}").into()),
                2 => Test::Suffix(format!("{before}{s}").into()),
                _ => Test::Cmp(Eq, Value::Str(format!("{before}{s}{after}").into())),
            }
        }
        Test::Regex(_) => test.clone(),
        Test::Exists => match c.predicate() {
            Expr::Pred(p) => p.test,
            _ => Test::Exists,
        },
    }
}

/// A test that passes every value `test` passes.
fn widen(test: &Test, c: &mut Choices) -> Test {
    use CmpOp::*;
    if c.one_in(6) {
        return Test::Exists;
    }
    match test {
        Test::Cmp(op, v) => {
            if let Some(n) = as_f64(v) {
                let s = c.step();
                return match op {
                    Eq => match c.below(3) {
                        0 => Test::In(vec![c.number(n), c.number(n + 1.0)].into()),
                        1 => Test::Cmp(Ge, c.number(n - s)),
                        _ => Test::Cmp(Le, c.number(n + s)),
                    },
                    Ne => test.clone(),
                    Gt | Ge => match c.below(3) {
                        0 => Test::Cmp(Ge, c.number(n - s)),
                        1 if s > 0.0 => Test::Cmp(Gt, c.number(n - s)),
                        _ => Test::Cmp(Ne, c.number(n - s - 0.5)),
                    },
                    Lt | Le => match c.below(3) {
                        0 => Test::Cmp(Le, c.number(n + s)),
                        1 if s > 0.0 => Test::Cmp(Lt, c.number(n + s)),
                        _ => Test::Cmp(Ne, c.number(n + s + 0.5)),
                    },
                };
            }
            match (op, v) {
                (Eq, Value::Str(s)) => {
                    let cut = chars(s, c.below(s.chars().count() + 1));
                    match c.below(4) {
                        0 => Test::Prefix(cut.into()),
                        1 => Test::Contains(cut.into()),
                        2 => Test::Cmp(Ge, Value::Str(cut.into())),
                        _ => Test::In(vec![v.clone(), Value::Str(c.string().into())].into()),
                    }
                }
                (Eq, Value::Bool(_)) => Test::In(vec![v.clone(), Value::Bool(c.one_in(2))].into()),
                (Gt | Ge, Value::Str(s)) => Test::Cmp(
                    Ge,
                    Value::Str(chars(s, c.below(s.chars().count() + 1)).into()),
                ),
                (Lt | Le, Value::Str(s)) => {
                    Test::Cmp(Lt, Value::Str(format!("{s}{}", c.letter()).into()))
                }
                _ => test.clone(),
            }
        }
        Test::In(values) => {
            let mut values = values.to_vec();
            values.push(match c.below(2) {
                0 => {
                    let n = c.below(7) as f64 - 3.0;
                    c.number(n)
                }
                _ => Value::Str(c.string().into()),
            });
            Test::In(values.into())
        }
        Test::Prefix(p) => {
            let cut = chars(p, c.below(p.chars().count() + 1));
            if c.one_in(2) {
                Test::Prefix(cut.into())
            } else {
                Test::Contains(cut.into())
            }
        }
        Test::Suffix(s) => {
            let count = s.chars().count();
            let tail: String = s.chars().skip(c.below(count + 1)).collect();
            if c.one_in(2) {
                Test::Suffix(tail.into())
            } else {
                Test::Contains(tail.into())
            }
        }
        Test::Contains(s) => Test::Contains(chars(s, c.below(s.chars().count() + 1)).into()),
        Test::Regex(_) | Test::Exists => test.clone(),
    }
}

/// An `and` or `or` of `operands`, or the operand itself when only one is left.
fn chain(is_and: bool, mut operands: Vec<Expr>) -> Expr {
    match operands.len() {
        1 => operands.pop().expect("one operand"),
        _ if is_and => Expr::And(operands),
        _ => Expr::Or(operands),
    }
}

/// An expression that implies `e` when `positive`, and one that `e` implies otherwise.
fn derive(e: &Expr, positive: bool, c: &mut Choices) -> Expr {
    match e {
        Expr::Const(true) if positive && c.one_in(2) => c.predicate(),
        Expr::Const(false) if !positive && c.one_in(2) => c.predicate(),
        Expr::Const(b) => Expr::Const(*b),
        Expr::Not(inner) => Expr::Not(Box::new(derive(inner, !positive, c))),
        Expr::And(operands) | Expr::Or(operands) => {
            let is_and = matches!(e, Expr::And(_));
            let mut operands: Vec<Expr> = operands.iter().map(|o| derive(o, positive, c)).collect();
            // More conjuncts or fewer disjuncts narrow; the reverse widens.
            if is_and == positive {
                if c.one_in(3) {
                    operands.push(c.predicate());
                }
            } else if c.one_in(3) {
                operands.remove(c.below(operands.len()));
            }
            chain(is_and, operands)
        }
        Expr::Pred(p) if c.one_in(4) => Expr::Pred(p.clone()),
        Expr::Pred(p) => {
            // Now and then a step the wrong way, so that some pairs are near misses that a
            // covering rule off by a boundary would wrongly accept.
            let narrowing = positive != c.one_in(8);
            Expr::Pred(Predicate {
                path: p.path.clone(),
                test: if narrowing {
                    narrow(&p.test, c)
                } else {
                    widen(&p.test, c)
                },
            })
        }
    }
}

/// Conjunctions of one to three predicates, some negated: the shape covering reasons about
/// exactly.
fn conjunction() -> BoxedStrategy<Expr> {
    let literal = (
        predicate(false).prop_map(Expr::Pred),
        proptest::bool::weighted(0.25),
    )
        .prop_map(|(p, negated)| if negated { Expr::Not(Box::new(p)) } else { p });
    vec(literal, 1..=3)
        .prop_map(|operands| chain(true, operands))
        .boxed()
}

/// Tests over a handful of literals close to each other, so that two random ones are often in
/// a subset relation or just miss one.
fn tiny_test() -> BoxedStrategy<Test> {
    let literal = select(tiny_literals());
    let text = select(TINY_TEXTS);
    prop_oneof![
        4 => (select(OPS), literal.clone()).prop_map(|(op, v)| Test::Cmp(op, v)),
        1 => (select(&OPS[..2]), any::<bool>()).prop_map(|(op, b)| Test::Cmp(op, Value::Bool(b))),
        2 => vec(literal, 1..=3).prop_map(|vs| Test::In(vs.into())),
        1 => text.clone().prop_map(|s| Test::Prefix(s.into())),
        1 => text.clone().prop_map(|s| Test::Suffix(s.into())),
        1 => text.prop_map(|s| Test::Contains(s.into())),
        1 => Just(regex_test("^a")),
        1 => Just(Test::Exists),
    ]
    .boxed()
}

/// Conjunctions of one to three tiny tests on `path`, some negated.
fn tiny_conjunction(path: BoxedStrategy<Path>) -> BoxedStrategy<Expr> {
    let literal =
        (path, tiny_test(), proptest::bool::weighted(0.25)).prop_map(|(path, test, negated)| {
            let p = Expr::Pred(Predicate { path, test });
            if negated { Expr::Not(Box::new(p)) } else { p }
        });
    vec(literal, 1..=3)
        .prop_map(|operands| chain(true, operands))
        .boxed()
}

fn only_a() -> BoxedStrategy<Path> {
    Just(Path::from_segments(&["a"])).boxed()
}

/// Attribute `a` four times in five, else any path: a strategy of path strategies, so that one
/// conjunction keeps to one attribute or mixes several.
fn mostly_a() -> BoxedStrategy<BoxedStrategy<Path>> {
    prop_oneof![4 => Just(only_a()), 1 => Just(path())].boxed()
}

/// Pairs `(a, b)`: mostly `b` derived from `a` so that `a` covers it (with the odd step the
/// wrong way), or both drawn from a handful of nearby tests; sometimes unrelated.
fn covering_pair() -> BoxedStrategy<(Filter, Filter)> {
    let base = prop_oneof![2 => conjunction(), 1 => expr(false)];
    prop_oneof![
        3 => (base, any::<u64>()).prop_map(|(a, seed)| {
            let b = derive(&a, true, &mut Choices(seed));
            (a, b)
        }),
        2 => (mostly_a(), mostly_a())
            .prop_flat_map(|(p, q)| (tiny_conjunction(p), tiny_conjunction(q))),
        1 => (expr(false), expr(false)),
    ]
    .prop_map(|(a, b)| (Filter::from_expr(a), Filter::from_expr(b)))
    .boxed()
}

/// The literals of the filters and their neighbours: the values on which covering decisions
/// turn.
fn value_pool(filters: &[&Filter]) -> Vec<Value> {
    let mut pool = vec![Value::Int(0), Value::Str("".into()), Value::Bool(true)];
    let mut add = |v: &Value| {
        pool.push(v.clone());
        if let Some(n) = as_f64(v) {
            pool.extend([n - 1.0, n - 0.5, n + 0.5, n + 1.0].map(Value::Float));
            if n.fract() == 0.0 {
                pool.push(Value::Float(n));
            }
        }
        if let Value::Str(s) = v {
            pool.push(Value::Str(format!("{s}a").into()));
            pool.push(Value::Str(format!("b{s}").into()));
            pool.push(Value::Str(
                chars(s, s.chars().count().saturating_sub(1)).into(),
            ));
        }
        if let Value::Bool(b) = v {
            pool.push(Value::Bool(!b));
        }
    };
    for f in filters {
        f.expr().for_each_predicate(&mut |p| match &p.test {
            Test::Cmp(_, v) => add(v),
            Test::In(vs) => vs.iter().for_each(&mut add),
            Test::Prefix(s) | Test::Suffix(s) | Test::Contains(s) => add(&Value::Str(s.clone())),
            Test::Regex(_) => ["a", "ab", "A", "ba"]
                .map(Value::from)
                .iter()
                .for_each(&mut add),
            Test::Exists => {}
        });
    }
    pool
}

/// A covering pair and events that mostly use the pair's own literals.
fn covering_case() -> BoxedStrategy<(Filter, Filter, Vec<Event>)> {
    covering_pair()
        .prop_flat_map(|(a, b)| {
            let pool = value_pool(&[&a, &b]);
            let events = (vec(event_from(select(pool).boxed()), 16), vec(event(), 4));
            (Just(a), Just(b), events)
        })
        .prop_map(|(a, b, (mut events, more))| {
            events.extend(more);
            (a, b, events)
        })
        .boxed()
}

// ---- index operations ----------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Op {
    Insert(u8, Filter),
    Remove(u8),
}

fn ops() -> BoxedStrategy<Vec<Op>> {
    let op = prop_oneof![
        3 => (0u8..6, filter()).prop_map(|(k, f)| Op::Insert(k, f)),
        1 => (0u8..6).prop_map(Op::Remove),
    ];
    vec(op, 1..20).boxed()
}

/// Checks the index against evaluating every filter of `model` on each event.
fn check_index(
    index: &SubscriptionIndex<u8>,
    model: &BTreeMap<u8, Filter>,
    events: &[Event],
) -> Result<(), TestCaseError> {
    for event in events {
        let mut got: Vec<u8> = index.matches(event).into_iter().copied().collect();
        got.sort_unstable();
        let before = got.len();
        got.dedup();
        prop_assert_eq!(before, got.len(), "a key came back twice for {}", event);
        let want: Vec<u8> = model
            .iter()
            .filter(|(_, f)| f.matches(event))
            .map(|(k, _)| *k)
            .collect();
        prop_assert_eq!(got, want, "on {}", event);
    }
    Ok(())
}

// ---- properties ----------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn printing_and_parsing_round_trip(e in expr(true)) {
        let filter = Filter::from_expr(e);
        let text = filter.to_string();
        let parsed = Filter::parse_with(&text, &ROUND_TRIP_LIMITS)
            .map_err(|error| TestCaseError::fail(format!("{text}: {error}")))?;
        prop_assert_eq!(&parsed, &filter, "{}", text);
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn the_normal_form_matches_what_the_filter_matches(
        filter in filter(),
        events in vec(event(), 8),
    ) {
        let normal = NormalForm::of(&filter);
        for event in &events {
            prop_assert_eq!(normal.matches(event), filter.matches(event), "{} on {}", filter, event);
        }
    }

    #[test]
    fn covering_is_sound((a, b, events) in covering_case()) {
        if covers(&a, &b) {
            // The quick test callers rule pairs out by never rules out a covering pair.
            let names = (NormalForm::of(&a).required_names(), NormalForm::of(&b).required_names());
            if let (Some(ours), Some(theirs)) = names {
                prop_assert_eq!(ours & !theirs, 0, "covers({}, {}) but the masks say no", a, b);
            }
            for event in &events {
                prop_assert!(
                    !b.matches(event) || a.matches(event),
                    "covers({}, {}) but {} matches only the second", a, b, event
                );
            }
        }
    }

    #[test]
    fn events_round_trip_through_cbor(event in wide_event()) {
        let limits = EventLimits::default();
        let decoded = Event::from_cbor(&event.to_cbor(), &limits)
            .map_err(|error| TestCaseError::fail(format!("{event:?}: {error}")))?;
        prop_assert_eq!(decoded, event);
    }

    #[test]
    fn events_round_trip_through_json(event in wide_event()) {
        let text = event.to_string();
        let decoded = Event::from_json(&text, &EventLimits::default())
            .map_err(|error| TestCaseError::fail(format!("{text}: {error}")))?;
        prop_assert_eq!(decoded, event, "{}", text);
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn the_index_returns_exactly_the_matching_keys(
        ops in ops(),
        events in vec(event(), 8),
    ) {
        let mut index = SubscriptionIndex::new();
        let mut model = BTreeMap::new();
        for op in ops {
            match op {
                Op::Insert(key, filter) => {
                    index.insert(key, &filter);
                    model.insert(key, filter);
                }
                Op::Remove(key) => {
                    let _ = index.remove(&key);
                    model.remove(&key);
                }
            }
            check_index(&index, &model, &events[..4])?;
        }
        check_index(&index, &model, &events)?;
    }
}

// ---- covering, exhaustively on one attribute ------------------------------------------------

/// Literals close to each other: `1` and `1.0` are equal, `1.5` lies between, strings are
/// prefixes of each other or not.
fn tiny_literals() -> Vec<Value> {
    vec![
        Value::Int(1),
        Value::Float(1.0),
        Value::Float(1.5),
        Value::Int(2),
        Value::from("a"),
        Value::from("ab"),
        Value::from("b"),
    ]
}

const TINY_TEXTS: &[&str] = &["", "a", "ab", "b"];

/// Every test over the tiny literals: comparisons, in-lists of one or two, string tests,
/// two regexes and `exists`.
fn every_tiny_test() -> Vec<Test> {
    let literals = tiny_literals();
    let mut tests = Vec::new();
    for op in OPS {
        for v in &literals {
            tests.push(Test::Cmp(*op, v.clone()));
        }
    }
    for b in [false, true] {
        tests.push(Test::Cmp(CmpOp::Eq, Value::Bool(b)));
        tests.push(Test::Cmp(CmpOp::Ne, Value::Bool(b)));
    }
    let mut listable = literals.clone();
    listable.extend([Value::Bool(false), Value::Bool(true)]);
    for (i, v) in listable.iter().enumerate() {
        tests.push(Test::In(vec![v.clone()].into()));
        for w in &listable[i + 1..] {
            tests.push(Test::In(vec![v.clone(), w.clone()].into()));
        }
    }
    for s in TINY_TEXTS {
        tests.push(Test::Prefix((*s).into()));
        tests.push(Test::Suffix((*s).into()));
        tests.push(Test::Contains((*s).into()));
    }
    tests.push(regex_test("^a"));
    tests.push(regex_test("b$"));
    tests.push(Test::Exists);
    tests
}

/// Every event whose attribute `a` holds zero to three values from around the tiny literals.
fn every_tiny_event() -> Vec<Event> {
    let pool = [
        Value::Int(0),
        Value::Int(1),
        Value::Float(1.5),
        Value::Int(2),
        Value::Int(3),
        Value::from(""),
        Value::from("a"),
        Value::from("ab"),
        Value::from("abc"),
        Value::from("b"),
        Value::from("ba"),
        Value::Bool(false),
        Value::Bool(true),
    ];
    let n = pool.len();
    let mut events = vec![build_event([])];
    for i in 0..n {
        events.push(build_event([("a".to_string(), vec![pool[i].clone()])]));
        for j in i + 1..n {
            let two = vec![pool[i].clone(), pool[j].clone()];
            events.push(build_event([("a".to_string(), two)]));
            for k in j + 1..n {
                let three = vec![pool[i].clone(), pool[j].clone(), pool[k].clone()];
                events.push(build_event([("a".to_string(), three)]));
            }
        }
    }
    events
}

fn atom(test: Test, negated: bool) -> Filter {
    let predicate = Expr::Pred(Predicate {
        path: Path::from_segments(&["a"]),
        test,
    });
    Filter::from_expr(if negated {
        Expr::Not(Box::new(predicate))
    } else {
        predicate
    })
}

/// Which of `events` the filter matches.
fn match_set(filter: &Filter, events: &[Event]) -> Vec<bool> {
    events.iter().map(|e| filter.matches(e)).collect()
}

/// Checks `covers(a, b)` for every pair of single atoms (plain or negated) over the tiny tests,
/// against every event with up to three values: the covering rules for each kind of test and
/// for negation, at each boundary, with multi-valued attributes.
#[test]
fn covering_is_sound_for_every_pair_of_atoms() {
    let events = every_tiny_event();
    let atoms: Vec<(Filter, NormalForm, Vec<bool>)> = every_tiny_test()
        .into_iter()
        .flat_map(|t| [atom(t.clone(), false), atom(t, true)])
        .map(|f| {
            let normal = NormalForm::of(&f);
            let matched = match_set(&f, &events);
            (f, normal, matched)
        })
        .collect();
    // `implied`: pairs where no event of the sample tells the two apart, an upper bound on the
    // pairs `covers` could accept.
    let (mut implied, mut covered) = (0, 0);
    for (a, a_normal, a_matched) in &atoms {
        for (b, b_normal, b_matched) in &atoms {
            let counterexample = (0..events.len()).find(|&i| b_matched[i] && !a_matched[i]);
            implied += usize::from(counterexample.is_none());
            if !a_normal.covers(b_normal) {
                continue;
            }
            covered += 1;
            if let Some(i) = counterexample {
                panic!("covers({a}, {b}) but {} matches only the second", events[i]);
            }
        }
    }
    assert!(
        covered * 5 >= implied * 4,
        "covering accepts only {covered} of the {implied} pairs of atoms it could"
    );
}

proptest! {
    #![proptest_config(config(512))]

    /// Conjunctions on one attribute are where multi-valued attributes bite: `a > 1 && a < 1`
    /// matches `{"a": [0, 2]}`.
    #[test]
    fn covering_is_sound_for_conjunctions_on_one_attribute(
        a in tiny_conjunction(only_a()),
        b in tiny_conjunction(only_a()),
    ) {
        let (a, b) = (Filter::from_expr(a), Filter::from_expr(b));
        if covers(&a, &b) {
            for event in tiny_events() {
                prop_assert!(
                    !b.matches(event) || a.matches(event),
                    "covers({}, {}) but {} matches only the second", a, b, event
                );
            }
        }
    }
}

fn tiny_events() -> &'static [Event] {
    static EVENTS: LazyLock<Vec<Event>> = LazyLock::new(every_tiny_event);
    &EVENTS
}

// ---- regressions --------------------------------------------------------------------------

/// Found by `events_round_trip_through_json`: serde_json's default float parser read this back
/// one ulp off, until matcher/Cargo.toml enabled its `float_roundtrip` feature.
#[test]
fn floats_survive_json_exactly() {
    for x in [1.8569076890400413e-123, 5e-324, f64::MAX, 0.1 + 0.2] {
        let event = build_event([("a".to_string(), vec![Value::Float(x)])]);
        let decoded = Event::from_json(&event.to_string(), &EventLimits::default())
            .expect("the event's own JSON decodes");
        assert_eq!(decoded.get("a"), Some(&[Value::Float(x)][..]), "{event}");
    }
}

/// Found by `fuzz_smoke::nasty_filters`: 32 negations of a predicate are within the default
/// depth limit, and the canonical text writes the innermost one as `!(a == 1)`; a parenthesis
/// right after a negation belongs to it, so the printed text stays within the same limit.
#[test]
fn canonical_text_of_a_filter_at_the_depth_limit_parses_under_the_same_limits() {
    let filter = Filter::parse(&format!("{}a == 1", "!".repeat(32))).expect("32 levels parse");
    let printed = filter.to_string();
    assert_eq!(Filter::parse(&printed).as_ref(), Ok(&filter), "{printed}");
}

/// The covering property above checks an implication; it would pass if `covers` always said
/// `false`. Over a fixed sample of generated pairs a real share must be covered, and of those a
/// real share must have events that match the covered filter.
#[test]
fn covering_pairs_are_often_covered() {
    let mut runner = TestRunner::deterministic();
    let strategy = covering_case();
    let (mut total, mut covered, mut exercised) = (0, 0, 0);
    for _ in 0..300 {
        let (a, b, events) = strategy
            .new_tree(&mut runner)
            .expect("the strategy generates")
            .current();
        total += 1;
        if covers(&a, &b) {
            covered += 1;
            if events.iter().any(|e| b.matches(e)) {
                exercised += 1;
            }
        }
    }
    eprintln!("{covered} of {total} pairs covered, {exercised} of them with a matching event");
    assert!(
        covered * 4 >= total,
        "only {covered} of {total} generated pairs are covered"
    );
    assert!(
        exercised * 3 >= covered,
        "only {exercised} of {covered} covered pairs have an event matching the covered filter"
    );
}
